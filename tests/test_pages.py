"""Catalogue -> Markdown pages, chart and papers.json, without running MkDocs (fast).

The built site is checked end to end in test_site.py; here each promise of pages.py,
chart.py and export.py is pinned down on its own."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import markdown
import pytest
import yaml

from generator.render import pages
from generator.render.bibtex import entry_text
from generator.render.chart import chart_svg
from generator.render.export import papers_json_chunks
from generator.render.paper_pages import paper_files
from generator.model import Catalogue, Paper, Topic

TOPICS = [
    Topic(slug="vla-models", title="VLA models", description="Robots that act."),
    Topic(slug="gui-agents", title="GUI <agents> & *co*", description="Screens."),
]


def paper(pid: str, **fields) -> Paper:
    values = dict(
        id=pid,
        title=f"Title of {pid}",
        topics=["vla-models"],
        tldr="A TL;DR.",
        bibtex_key="k" + pid.replace("-", ""),
        abstract="An abstract.",
    )
    values.update(fields)
    return Paper(**values)


@dataclass
class Site:
    """Every page of a Layout at once (path -> text) and where each paper lives."""

    files: dict[str, str]
    locations: dict[str, str]


def lay_out(catalogue: Catalogue, bibtex: dict[str, str], links: pages.SiteLinks = pages.SiteLinks()) -> Site:
    layout = pages.Layout(catalogue, bibtex, links)
    return Site(dict(layout.files()), layout.locations)


def render(*papers: Paper, links: pages.SiteLinks = pages.SiteLinks()) -> Site:
    catalogue = Catalogue(topics=TOPICS, papers=list(papers))
    return lay_out(catalogue, {p.id: entry_text(p) for p in papers}, links)


def paper_page(*papers: Paper, links: pages.SiteLinks = pages.SiteLinks()) -> str:
    """The first paper's own page (papers/<id>/index.html)."""
    catalogue = Catalogue(topics=TOPICS, papers=list(papers))
    entries = {p.id: entry_text(p) for p in papers}
    layout = pages.Layout(catalogue, entries, links)
    files = dict(paper_files(catalogue, entries, layout.plan.where, {}, links))
    return files[f"papers/{papers[0].id}/index.html"]


def to_html(page_markdown: str) -> str:
    """The page through Python-Markdown with the extensions mkdocs.yml enables."""
    body = page_markdown.split("---\n", 2)[2]
    return markdown.markdown(body, extensions=["attr_list", "tables", "toc"])


def test_relative_urls_between_site_paths():
    assert pages.relative("topics/a/", "") == "topics/a/"
    assert pages.relative("", "topics/a/") == "../../"
    assert pages.relative("topics/a/", "topics/a/") == "./"
    assert pages.relative("topics/a/page-2/", "topics/a/") == "page-2/"
    assert pages.relative("topics/a/", "topics/a/page-2/") == "../"
    assert pages.relative("topics/b/page-3/", "topics/a/page-2/") == "../../b/page-3/"
    assert pages.relative("bib/a.bib", "topics/a/") == "../../bib/a.bib"


def test_text_is_escaped_and_never_holds_a_blank_line():
    value = 'a <b> & "c" \'d\'\n\nnext\r\nline'
    escaped = pages.text(value)
    assert "<" not in escaped and '"' not in escaped and "\n" not in escaped
    assert "'" not in escaped and escaped.count("&#10;") == 3
    assert html.unescape(escaped) == value.replace("\r\n", "\n")  # what a browser shows


def test_control_characters_cannot_pose_as_markdown_placeholders():
    # Python-Markdown marks stashed HTML with STX/ETX; catalogue text must never contain them.
    assert pages.text("\x02wzxhzdk:0\x03") == "\ufffdwzxhzdk:0\ufffd"


def test_hostile_text_survives_python_markdown_verbatim():
    hostile = "<script>alert(1)</script> *stars* _under_ $x^2$ {{ config }} [a](javascript:x) \\textbf{x} {"
    files = render(paper("p-1", title=hostile, abstract=hostile + "\n\n" + hostile, tldr=hostile[:200])).files
    html = to_html(files["topics/vla-models/index.md"])
    assert "<script" not in html and "<em>" not in html and "<strong>" not in html
    assert 'href="javascript' not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3
    assert "*stars* _under_ $x^2$ {{ config }} [a](javascript:x) \\textbf{x} {" in html


def test_front_matter_titles_are_html_escaped_for_the_theme():
    files = render(paper("p-1", topics=["gui-agents"])).files
    meta = yaml.safe_load(files["topics/gui-agents/index.md"].split("---\n")[1])
    assert meta["title"] == "GUI &lt;agents&gt; &amp; *co*"
    assert "<h1>GUI &lt;agents&gt; &amp; *co*</h1>" in files["topics/gui-agents/index.md"]


def test_long_author_lists_are_shortened_with_the_full_list_kept():
    names = [f"Author {i}" for i in range(9)]
    page = render(paper("p-1", authors=names)).files["topics/vla-models/index.md"]
    assert "Author 0, Author 1, Author 2, … and Author 8" in page
    assert 'title="' + ", ".join(names) + '"' in page
    assert "Authors: " + ", ".join(names) in page


def test_authors_count_stands_in_for_unknown_names():
    page = render(paper("p-1", authors_count=12)).files["topics/vla-models/index.md"]
    assert "12 authors" in page


def test_known_arxiv_id_links_straight_to_arxiv_and_hugging_face():
    entry = render(paper("p-1", arxiv_id="2403.09631")).files["topics/vla-models/index.md"]
    assert 'href="https://arxiv.org/abs/2403.09631"' in entry and 'href="https://arxiv.org/pdf/2403.09631"' in entry
    assert 'href="../../papers/p-1/"' in entry  # the paper's page has the rest
    page = paper_page(paper("p-1", arxiv_id="2403.09631"))
    assert 'href="https://arxiv.org/abs/2403.09631"' in page
    assert 'href="https://arxiv.org/pdf/2403.09631"' in page
    assert 'href="https://huggingface.co/papers/2403.09631"' in page
    assert "arxiv.org/search" not in page and "arxiv.org/search" not in entry


def test_unknown_arxiv_id_gets_title_searches():
    page = paper_page(paper("p-1", title="Find & seek"))
    for service in ("arxiv.org/search/?query=Find+%26+seek", "huggingface.co/papers?q=Find", "semanticscholar.org/search", "scholar.google.com"):
        assert service in page


def test_only_http_urls_become_links():
    assert pages.href("https://example.org/?a=1&b=2") == "https://example.org/?a=1&b=2"  # the template escapes it
    assert pages.href("HTTPS://example.org/") == "HTTPS://example.org/"  # schemes are case-insensitive
    for url in ("javascript:alert(1)", "data:text/html,x", "//evil.example/", " javascript:x", "httpsx://a.b/"):
        with pytest.raises(ValueError):
            pages.href(url)


def test_text_keeps_unusual_spaces_and_tabs_and_replaces_control_characters():
    # Not "printable" in Python's sense, yet shown as written; \x0b and \x0c have no visible form.
    assert pages.text("a\u00a0b\tc\u2028d\x0be\x0c<") == "a\u00a0b\tc\u2028d\ufffde\ufffd&lt;"
    assert pages.text("x\ry\r\n\rz") == "x&#10;y&#10;&#10;z"


def test_title_searches_quote_the_title():
    page = paper_page(paper("p-1", title='Café "&" co'))
    quoted = "Caf%C3%A9+%22%26%22+co"
    assert f'href="https://arxiv.org/search/?query={quoted}&amp;searchtype=title"' in page
    assert f'href="https://huggingface.co/papers?q={quoted}"' in page
    assert f'href="https://www.semanticscholar.org/search?q={quoted}"' in page
    assert f'href="https://scholar.google.com/scholar?q=%22{quoted}%22"' in page


def test_report_link_fills_in_the_issue_form():
    links = pages.SiteLinks(repo_url="https://github.com/o/r/")
    page = paper_page(paper("p-1"), links=links)
    (url,) = re.findall(r'<a href="([^"]+)" rel="noopener">Report a mistake</a>', page)
    parts = urlsplit(html.unescape(url))
    assert parts.netloc == "github.com" and parts.path == "/o/r/issues/new"
    assert parse_qs(parts.query) == {"template": ["wrong-entry.yml"], "paper": ["p-1"], "title": ["Wrong entry: p-1"]}


def test_catalogue_link_that_is_one_of_ours_is_shown_once():
    page = paper_page(paper("p-1", arxiv_id="2403.09631", links={"huggingface": "https://huggingface.co/papers/2403.09631/"}))
    assert page.count('href="https://huggingface.co/papers/2403.09631') == 1


def test_abstract_urls_become_links():
    abstract = "Code at https://github.com/a/b. Page (https://x.org/p_(1)), and <https://y.org>."
    page = render(paper("p-1", abstract=abstract)).files["topics/vla-models/index.md"]
    assert re.findall(r'<a href="([^"]+)" rel="nofollow noopener">', page) == [
        "https://github.com/a/b",
        "https://x.org/p_(1)",
        "https://y.org",
    ]


def test_data_attributes_for_filters():
    page = render(
        paper("p-1", date="2024-05", upvotes=7, tags=["benchmark", "dataset"], links={"code-2": "https://github.com/a/b"})
    ).files["topics/vla-models/index.md"]
    assert (
        'data-id="p-1" data-date="2024-05" data-year="2024" data-upvotes="7" data-code="1" data-tags="benchmark dataset"'
        in page
    )


def test_year_headings_cannot_clash_with_paper_ids():
    page = render(paper("2024", date="2024-01-01"), paper("year-2024", date="2024-02-01")).files[
        "topics/vla-models/index.md"
    ]
    html = to_html(page)
    ids = re.findall(r'(?<![\w-])id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "year_2024" in ids


def test_big_topics_are_split_by_count():
    papers = [paper(f"p-{i:03d}", date=f"20{10 + i % 15}-01-01") for i in range(pages.PAGE_PAPERS * 2 + 1)]
    rendered = render(*papers)
    assert "topics/vla-models/page-3/index.md" in rendered.files
    assert "topics/vla-models/page-4/index.md" not in rendered.files
    anchors = json.loads(rendered.files["topics/vla-models/anchors.json"])
    assert sorted(anchors) == sorted(p.id for p in papers)
    for pid, number in anchors.items():
        expected = "topics/vla-models/" if number == 1 else f"topics/vla-models/page-{number}/"
        assert rendered.locations[pid] == f"{expected}#{pid}"
        name = "index.md" if number == 1 else f"page-{number}/index.md"
        assert f'<h3 id="{pid}">' in rendered.files[f"topics/vla-models/{name}"]


def test_big_topics_are_split_by_size():
    long = "word " * 3000  # about 15 kB of abstract each
    papers = [paper(f"p-{i:03d}", abstract=long) for i in range(100)]
    rendered = render(*papers)
    sizes = [len(text) for path, text in rendered.files.items() if path.startswith("topics/vla-models/")]
    assert len(sizes) > 2
    assert max(sizes) < pages.PAGE_BYTES + 100_000


def test_paper_lives_on_its_first_topic_and_is_listed_on_the_others():
    rendered = render(paper("p-1", topics=["gui-agents", "vla-models"]))
    assert rendered.locations["p-1"] == "topics/gui-agents/#p-1"
    main = rendered.files["topics/gui-agents/index.md"]
    other = rendered.files["topics/vla-models/index.md"]
    assert 'Also in: <a href="../vla-models/#p-1">VLA models</a>' in main
    assert 'Main entry: <a href="../gui-agents/#p-1">GUI &lt;agents&gt; &amp; *co*</a>' in other


def test_report_and_edit_links_need_a_repository():
    links = pages.SiteLinks("https://site.example/", "https://github.com/o/r", "https://github.com/o/r/edit/main/papers.yaml")
    page = paper_page(paper("p-1"), links=links)
    assert "https://github.com/o/r/issues/new?template=wrong-entry.yml&amp;paper=p-1" in page
    assert 'href="https://github.com/o/r/edit/main/papers.yaml"' in page
    assert "issues/new" not in paper_page(paper("p-1")) and "/edit/" not in paper_page(paper("p-1"))


def test_rendering_is_deterministic():
    papers = [paper("b", date="2020-01-01", upvotes=3), paper("a", authors=["X Y"] * 7)]
    first, second = render(*papers), render(*reversed(papers))
    assert first.files == second.files


def test_chart_is_static_and_deterministic():
    catalogue = Catalogue(topics=TOPICS, papers=[paper("p-1", date="2023-01-01"), paper("p-2", date="2025-06")])
    svg = chart_svg(catalogue)
    assert svg == chart_svg(catalogue)
    assert "<script" not in svg and "kozea.github.io" not in svg and "Generated with pygal" not in svg
    assert "<title>Papers per year, by topic</title>" in svg


def test_papers_json_has_fields_bibtex_and_urls():
    papers = [paper("b"), paper("a", topics=["gui-agents"])]
    catalogue = Catalogue(topics=TOPICS, papers=papers)
    bibtex = {p.id: entry_text(p) for p in papers}
    rendered = lay_out(catalogue, bibtex)
    text = "".join(papers_json_chunks(catalogue, rendered.locations, bibtex, "https://site.example/atlas"))
    data = json.loads(text)
    assert [p["id"] for p in data["papers"]] == ["a", "b"]
    first = data["papers"][0]
    assert first["url"] == "topics/gui-agents/#a"
    assert first["absolute_url"] == "https://site.example/atlas/topics/gui-agents/#a"
    assert first["bibtex"] == bibtex["a"] and first["tldr"] == "A TL;DR."
    assert text == "".join(papers_json_chunks(catalogue, rendered.locations, bibtex, "https://site.example/atlas"))


def test_papers_json_is_one_canonical_document_whatever_the_text():
    # Written in pieces, one per paper: together they must be exactly the sorted, compact,
    # UTF-8 JSON of the whole document, also with text JSON must escape.
    odd = 'Quotes " and \\ back, \u2028 line sep, tab\t, é, 😀, </script>'
    papers = [paper("b", title=odd, abstract=odd + "\n\nsecond"), paper("a", topics=["gui-agents"], links={"code": "https://x.org/?a=1&b=2"})]
    catalogue = Catalogue(topics=TOPICS, papers=papers)
    bibtex = {p.id: entry_text(p) for p in papers}
    rendered = lay_out(catalogue, bibtex)
    for site_url in (None, "https://site.example/atlas/"):
        text = "".join(papers_json_chunks(catalogue, rendered.locations, bibtex, site_url))
        data = json.loads(text)
        assert text == json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        assert list(data) == ["papers", "topics"] and [t["slug"] for t in data["topics"]] == ["vla-models", "gui-agents"]
        assert data["papers"][1]["title"] == odd and data["papers"][1]["abstract"] == odd + "\n\nsecond"
        assert ("absolute_url" in data["papers"][0]) == (site_url is not None)


def test_papers_json_of_no_papers():
    catalogue = Catalogue(topics=TOPICS, papers=[])
    data = json.loads("".join(papers_json_chunks(catalogue, {}, {})))
    assert data["papers"] == [] and len(data["topics"]) == 2
