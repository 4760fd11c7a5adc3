"""The built site, as a reader's browser gets it: real `python -m generator build` runs
(MkDocs, Material, strict) on a copy of the project with a small hostile catalogue, and
once on the real papers.yaml. HTML is checked with the standard library's parser."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from click.testing import CliRunner

from conftest import copy_project
from generator.render.bibtex import entry_text, library_chunks
from generator import store
from tests.helpers import yaml_text
from generator.cli import main
from generator.ingest.links import find_links
from generator.model import Catalogue, Paper, Topic
from generator.site import is_generated
from generator.render import plan
from generator.store import load

ROOT = Path(__file__).resolve().parents[1]
SITE_URL = "https://action-atlas.github.io/action-atlas/"  # mkdocs.yml's default

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "{{ config }}",
    "{% include 'x' %}",
    "$x^2$",
    "*stars* and _under_",
    "\\textbf{x}",
    "unbalanced {",
    '"><svg onload=alert(1)>',
    "&amp; &lt;not an entity&gt; __init__ `code` <!-- comment",
]
BIG_TOPIC_PAPERS = 130  # more than two pages (50 papers each) of the big topic


# --- a tiny DOM from html.parser ------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Element | None"):
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list["Element | str"] = []

    def text(self, skip_class: str | None = None) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not (skip_class and skip_class in (child.attrs.get("class") or "").split()):
                parts.append(child.text(skip_class))
        return "".join(parts)

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs: str) -> list["Element"]:
        return [
            el
            for el in self.iter()
            if (tag is None or el.tag == tag)
            and (class_ is None or class_ in (el.attrs.get("class") or "").split())
            and all(el.attrs.get(name) == value for name, value in attrs.items())
        ]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        el = Element(tag, dict(attrs), self.current)
        self.current.children.append(el)
        if tag not in VOID:
            self.current = el

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


@functools.lru_cache(maxsize=None)
def parse(path: Path) -> Element:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    return builder.root


# --- the project copy ------------------------------------------------------------------


def hostile_catalogue() -> Catalogue:
    topics = [
        Topic(slug="vla-models", title="VLA <b>models</b> & *friends*", description="Models that _act_.\n{{ config }} $x$"),
        Topic(slug="gui-agents", title="GUI agents", description="Agents that use screens."),
        Topic(slug="empty-topic", title="Nothing yet", description="No paper here."),
    ]
    papers = []
    for i, bad in enumerate(HOSTILE):
        papers.append(
            Paper(
                id=f"hostile-{i}",
                title=f"Hostile {i}: {bad}",
                authors=[f"Author{j} {bad}" for j in range(i + 1)],
                authors_count=None,
                organization=f"Org {bad}" if i % 2 else None,
                venue=f"Venue {bad}" if i % 3 == 2 else None,
                date=f"202{i % 6}-0{1 + i % 9}-1{i % 9}" if i % 4 else None,
                arxiv_id=f"2403.{9630 + i}" if i % 3 == 1 else None,
                upvotes=i * 3 if i % 2 else None,
                topics=["vla-models", "gui-agents"] if i % 3 == 0 else ["vla-models"],
                tags=["benchmark"] if i % 2 else (["survey", "dataset"] if i == 4 else []),
                tldr=f"TL;DR {bad}",
                links={"code": f"https://github.com/x/y_{i}", "project": f"https://example.org/p?a={i}&b='x'"}
                if i % 2
                else {},
                bibtex_key=f"hostile{i}",
                abstract=(
                    f"Abstract {bad}\n\nSecond paragraph, see https://github.com/x/y_{i}. "
                    f"And (https://example.org/a_(b)) end {bad}\r\nlast line"
                ),
            )
        )
    for i in range(BIG_TOPIC_PAPERS):
        papers.append(
            Paper(
                id=f"bulk-{i:03d}",
                title=f"Bulk paper {i}",
                authors=["Ann Author"],
                date=f"20{10 + i % 15}-{1 + i % 12:02d}",
                topics=["gui-agents"],
                tldr="A paper that fills the big topic.",
                bibtex_key=f"bulk{i}",
                abstract="Words " * 40,
                upvotes=i,
            )
        )
    return Catalogue(topics=topics, papers=papers)


def build(project: Path, *args: str):
    return CliRunner().invoke(main, ["--catalogue", str(project / "papers.yaml"), "build", *args])


def docs_state(docs: Path) -> dict[str, int]:
    return {p.relative_to(docs).as_posix(): p.stat().st_mtime_ns for p in docs.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The hostile catalogue, built twice; the docs/ state after each build."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    (project / "papers.yaml").write_text(yaml_text(hostile_catalogue()), encoding="utf-8")
    catalogue = load(project / "papers.yaml")  # as the build reads it: papers sorted by id
    first = build(project)
    assert first.exit_code == 0, first.output
    state = docs_state(project / "docs")
    second = build(project)
    assert second.exit_code == 0, second.output
    return {"project": project, "catalogue": catalogue, "site": project / "site", "first": first,
            "second": second, "state": state}


def topic_html(built, url: str) -> Path:
    return built["site"] / urlsplit(url).path / "index.html"


def articles(page: Element) -> dict[str, Element]:
    return {a.attrs["data-id"]: a for a in page.find_all("article", class_="paper")}


# --- tests -----------------------------------------------------------------------------


def test_build_passes_mkdocs_strict_and_reports_what_it_wrote(built):
    assert "generated files written" in built["first"].output
    assert (built["site"] / "index.html").is_file()
    for topic in built["catalogue"].topics:
        assert (built["site"] / "topics" / topic.slug / "index.html").is_file()


def test_second_build_rewrites_no_generated_file(built):
    assert "up to date: " in built["second"].output  # nothing validated, rendered or written
    assert docs_state(built["project"] / "docs") == built["state"]


def test_generation_record_lists_every_generated_file_with_its_content_hash(built):
    # The record (.generated.json) must say exactly which files the generation produced
    # and what they hold, so that any change to one of them is noticed.
    docs = built["project"] / "docs"
    record = json.loads((docs / ".generated.json").read_text(encoding="utf-8"))
    on_disk = {
        p.relative_to(docs).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in docs.rglob("*")
        if p.is_file() and is_generated(p.relative_to(docs).as_posix())
    }
    assert record["files"] == on_disk
    assert {"index.md", "papers.json", "papers.yaml", "assets/chart.svg", "bib/references.bib", "topics/.nav.yml"} <= set(on_disk)


def test_a_generated_file_edited_to_the_same_size_is_repaired(built, tmp_path):
    project = tmp_path / "copy"
    shutil.copytree(built["project"], project, ignore=shutil.ignore_patterns("site"))
    page = project / "docs" / "topics" / "vla-models" / "index.md"
    good = page.read_bytes()
    stale = good.replace(b"<h1>", b"<h2>", 1).replace(b"</h1>", b"</h2>", 1)
    assert len(stale) == len(good) and stale != good
    page.write_bytes(stale)
    done = build(project, "--no-builder")
    assert done.exit_code == 0, done.output
    assert "up to date" not in done.output
    assert page.read_bytes() == good


def test_a_build_killed_during_generation_is_repaired_by_the_next(built, tmp_path):
    """Kill -9 a build of a changed catalogue half-way, put the old catalogue back: the next
    build must not call the half-written docs/ up to date."""
    project = tmp_path / "copy"
    shutil.copytree(built["project"], project, ignore=shutil.ignore_patterns("site"))
    docs = project / "docs"
    good = {path: digest for path, digest in json.loads((docs / ".generated.json").read_text())["files"].items()}
    original = (project / "papers.yaml").read_bytes()
    catalogue = load(project / "papers.yaml")
    many = [
        p.model_copy(update={"id": f"{p.id}-copy-{n}", "title": f"{p.title} copy {n}", "bibtex_key": f"{p.bibtex_key}c{n}"})
        for n in range(40)
        for p in catalogue.papers[:60]
    ]
    store.save(catalogue.model_copy(update={"papers": [*catalogue.papers, *many]}), project / "papers.yaml")
    command = [sys.executable, "-m", "generator", "--catalogue", str(project / "papers.yaml"), "build", "--no-builder"]
    home = docs / "index.md"
    before = home.read_bytes()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while home.read_bytes() == before and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()
    process.wait()
    assert home.read_bytes() != before, "the build ended before it wrote anything: too fast to test"
    (project / "papers.yaml").write_bytes(original)
    done = build(project, "--no-builder")
    assert done.exit_code == 0, done.output
    assert "up to date" not in done.output
    for path, digest in good.items():
        assert hashlib.sha256((docs / path).read_bytes()).hexdigest() == digest, path


def test_changed_catalogue_is_regenerated_after_an_up_to_date_build(built, tmp_path):
    """The up-to-date shortcut must not hide a change: edit papers.yaml, build, see it."""
    project = tmp_path / "copy"
    shutil.copytree(built["project"], project, ignore=shutil.ignore_patterns("site"))
    catalogue = store.load(project / "papers.yaml")
    first = catalogue.papers[0]
    edited = first.model_copy(update={"tldr": "A tl;dr a curator just rewrote."})
    store.save(catalogue.model_copy(update={"papers": [edited, *catalogue.papers[1:]]}), project / "papers.yaml")
    done = CliRunner().invoke(main, ["--catalogue", str(project / "papers.yaml"), "build", "--no-mkdocs"])
    assert done.exit_code == 0, done.output
    assert "up to date" not in done.output
    assert "A tl;dr a curator just rewrote." in (project / "docs" / "papers.json").read_text(encoding="utf-8")


def test_titles_and_abstracts_appear_verbatim_as_text(built):
    data = json.loads((built["site"] / "papers.json").read_text(encoding="utf-8"))
    urls = {p["id"]: p["url"] for p in data["papers"]}
    for paper in built["catalogue"].papers:
        page = parse(topic_html(built, urls[paper.id]))
        article = articles(page)[paper.id]
        (heading,) = article.find_all("h3", id=paper.id)
        assert heading.text(skip_class="headerlink") == paper.title
        (abstract,) = article.find_all("p", class_="paper-abstract-text")
        assert abstract.text() == paper.abstract.replace("\r\n", "\n")
        (tldr,) = article.find_all("p", class_="paper-tldr")
        assert tldr.text() == paper.tldr


def test_topic_titles_are_text_in_heading_navigation_and_window_title(built):
    page = parse(built["site"] / "topics" / "vla-models" / "index.html")
    title = "VLA <b>models</b> & *friends*"
    assert [h.text() for h in page.find_all("h1")] == [title]
    assert page.find_all("title")[0].text() == f"{title} - Action Atlas"
    assert not page.find_all("b")


def test_navigation_lists_the_topics_in_catalogue_order(built):
    page = parse(built["site"] / "index.html")
    nav = [" ".join(a.text().split()) for a in page.find_all("a", class_="md-nav__link")]
    titles = [t.title for t in built["catalogue"].topics]
    positions = [nav.index(title) for title in titles]
    assert positions == sorted(positions)


def test_every_paper_has_its_anchor_on_every_topic_page_it_belongs_to(built):
    pages = {}
    for html_file in (built["site"] / "topics").rglob("index.html"):
        for pid, article in articles(parse(html_file)).items():
            slug = html_file.relative_to(built["site"] / "topics").parts[0]
            assert article.find_all("h3", id=pid)
            pages.setdefault(pid, set()).add(slug)
    for paper in built["catalogue"].papers:
        assert pages[paper.id] == set(paper.topics)


def test_paper_containers_carry_data_attributes_for_filters(built):
    page = parse(built["site"] / "topics" / "vla-models" / "index.html")
    found = articles(page)
    by_id = {p.id: p for p in built["catalogue"].papers}
    for pid, article in found.items():
        paper = by_id[pid]
        assert article.attrs["data-date"] == (paper.date or "")
        assert article.attrs["data-year"] == (paper.date[:4] if paper.date else "")
        assert article.attrs["data-upvotes"] == ("" if paper.upvotes is None else str(paper.upvotes))
        assert article.attrs["data-code"] == ("1" if "code" in paper.links else "0")
        assert article.attrs["data-tags"].split() == paper.tags


def test_papers_are_newest_first_with_undated_last(built):
    page = parse(built["site"] / "topics" / "vla-models" / "index.html")
    dates = [a.attrs["data-date"] for a in page.find_all("article", class_="paper")]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    assert dates[len(dated):] == [""] * (len(dates) - len(dated))
    assert [h.text().strip("¶ ") for h in page.find_all("h2")][-1] == "Undated"


def test_every_url_in_an_abstract_is_a_link(built):
    page = parse(built["site"] / "topics" / "vla-models" / "index.html")
    found = articles(page)
    for paper in built["catalogue"].papers_in("vla-models"):
        (abstract,) = found[paper.id].find_all("p", class_="paper-abstract-text")
        hrefs = [a.attrs["href"] for a in abstract.find_all("a")]
        assert hrefs == [url for _, _, url in find_links(paper.abstract)]
        assert "https://example.org/a_(b)" in hrefs


def test_no_script_event_handler_or_javascript_link_from_the_catalogue(built):
    for html_file in built["site"].rglob("*.html"):
        page = parse(html_file)
        for el in page.iter():
            for name, value in el.attrs.items():
                assert not name.startswith("on"), (html_file, el.tag, name)
                if name in ("href", "src", "action", "formaction", "xlink:href"):
                    assert not (value or "").strip().lower().startswith(("javascript:", "data:text/html")), (html_file, value)
            assert el.tag not in ("iframe", "object", "embed"), (html_file, el.tag)
        for script in page.find_all("script"):
            src = script.attrs.get("src")
            if src:
                assert not urlsplit(src).scheme and not src.startswith("//"), src
                resolved = urljoin(SITE_URL + html_file.relative_to(built["site"]).as_posix(), src)
                assert resolved.startswith(SITE_URL + "assets/"), (html_file, src)
            else:
                assert "alert" not in script.text(), html_file


def test_no_request_leaves_the_site(built):
    for html_file in built["site"].rglob("*.html"):
        page = parse(html_file)
        for el in page.iter():
            url = None
            if el.tag in ("script", "img", "iframe", "source", "video", "audio", "embed"):
                url = el.attrs.get("src")
            elif el.tag == "link" and el.attrs.get("rel") not in ("canonical", "prev", "next"):
                url = el.attrs.get("href")
            elif el.tag == "object":
                url = el.attrs.get("data")
            if url:
                assert not url.startswith("//") and (not urlsplit(url).scheme or url.startswith(SITE_URL)), (html_file, url)
            assert "url(http" not in (el.attrs.get("style") or ""), html_file
            assert el.attrs.get("data-md-component") != "source", "Material would fetch GitHub stars"
    for css in built["site"].rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert "@import" not in text and "url(http" not in text.replace(" ", ""), css
    svg = (built["site"] / "assets" / "chart.svg").read_text(encoding="utf-8")
    assert "<script" not in svg and "kozea.github.io" not in svg and "href=" not in svg


def test_bibtex_blocks_and_downloads_hold_the_same_entries(built):
    catalogue, site_dir = built["catalogue"], built["site"]
    assert (site_dir / "bib" / "references.bib").read_text(encoding="utf-8") == "".join(library_chunks(catalogue.papers))
    for topic in catalogue.topics:
        text = (site_dir / "bib" / f"{topic.slug}.bib").read_text(encoding="utf-8")
        assert text == "".join(library_chunks(catalogue.papers_in(topic.slug)))
    page = parse(site_dir / "topics" / "vla-models" / "index.html")
    found = articles(page)
    for paper in catalogue.papers_in("vla-models"):
        (details,) = found[paper.id].find_all("details", class_="paper-bibtex")
        assert details.find_all("code")[0].text() == entry_text(paper)


def test_papers_json_lists_every_paper_with_its_url(built):
    data = json.loads((built["site"] / "papers.json").read_text(encoding="utf-8"))
    catalogue = built["catalogue"]
    assert [p["id"] for p in data["papers"]] == sorted(p.id for p in catalogue.papers)
    by_id = {p.id: p for p in catalogue.papers}
    for record in data["papers"]:
        paper = by_id[record["id"]]
        assert {k: record[k] for k in paper.model_dump()} == paper.model_dump()
        assert record["bibtex"] == entry_text(paper)
        assert record["url"].startswith(f"topics/{paper.topics[0]}/") and record["url"].endswith("#" + paper.id)
        assert record["absolute_url"] == SITE_URL + record["url"]
        page = parse(topic_html(built, record["url"]))
        assert page.find_all("h3", id=paper.id)


def test_big_topic_is_split_and_permalinks_find_their_page(built):
    topic_dir = built["site"] / "topics" / "gui-agents"
    anchors = json.loads((topic_dir / "anchors.json").read_text(encoding="utf-8"))
    counts = {}
    for number in sorted(set(anchors.values())):
        html_file = topic_dir / ("index.html" if number == 1 else f"page-{number}/index.html")
        page = parse(html_file)
        on_page = articles(page)
        counts[number] = len(on_page)
        assert {pid for pid, n in anchors.items() if n == number} == set(on_page)
        assert page.find_all("div", class_="atlas-anchors")
        assert page.find_all("nav", class_="atlas-pager")
    assert len(counts) >= 2
    assert max(counts.values()) <= plan.PAGE_PAPERS
    assert sum(counts.values()) == len(built["catalogue"].papers_in("gui-agents"))
    data = json.loads((built["site"] / "papers.json").read_text(encoding="utf-8"))
    on_page_2 = [p for p in data["papers"] if p["url"].startswith("topics/gui-agents/page-2/")]
    assert on_page_2 and all(anchors[p["id"]] == 2 for p in on_page_2)


def test_pages_stay_small(built):
    for html_file in built["site"].rglob("*.html"):
        assert html_file.stat().st_size < 1_000_000, html_file
    # Search is Pagefind's: one record per paper page, in fragments fetched per query.
    entry = json.loads((built["site"] / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    (language,) = entry["languages"].values()
    assert language["page_count"] == len(built["catalogue"].papers)
    fragments = list((built["site"] / "pagefind" / "fragment").glob("*.pf_fragment"))
    assert len(fragments) == len(built["catalogue"].papers)
    assert max(f.stat().st_size for f in fragments) < 20_000

def test_home_page_has_counts_chart_topics_downloads_and_citation(built):
    page = parse(built["site"] / "index.html")
    text = page.text()
    assert f"{len(built['catalogue'].papers)} papers" in " ".join(text.split())
    (img,) = page.find_all("img", src="assets/chart.svg")
    assert img.attrs["alt"]
    hrefs = {a.attrs.get("href") for a in page.find_all("a")}
    for topic in built["catalogue"].topics:
        assert f"topics/{topic.slug}/" in hrefs and f"bib/{topic.slug}.bib" in hrefs
    assert {"bib/references.bib", "papers.json", "papers.yaml", "contributing/"} <= hrefs
    assert "@misc{actionatlas" in text
    for download in ("papers.yaml", "papers.json", "bib/references.bib", "assets/chart.svg"):
        assert (built["site"] / download).is_file()


def test_generated_pages_edit_papers_yaml(built):
    page = parse(built["site"] / "topics" / "vla-models" / "index.html")
    edits = [a.attrs["href"] for a in page.find_all("a") if a.attrs.get("rel") == "edit"]
    assert edits == ["https://github.com/action-atlas/action-atlas/edit/main/papers.yaml"]
    about = parse(built["site"] / "about" / "index.html")
    edits = [a.attrs["href"] for a in about.find_all("a") if a.attrs.get("rel") == "edit"]
    assert edits == ["https://github.com/action-atlas/action-atlas/edit/main/docs/about.md"]


def test_stale_generated_files_are_removed(tmp_path):
    project = copy_project(tmp_path)
    catalogue = hostile_catalogue()
    (project / "papers.yaml").write_text(yaml_text(catalogue), encoding="utf-8")
    assert build(project, "--no-mkdocs").exit_code == 0
    docs = project / "docs"
    assert (docs / "topics" / "gui-agents" / "page-2" / "index.md").is_file()
    smaller = Catalogue(
        topics=[t for t in catalogue.topics if t.slug != "gui-agents"],
        papers=[p.model_copy(update={"topics": ["vla-models"]}) for p in catalogue.papers if p.topics[0] == "vla-models"],
    )
    (project / "papers.yaml").write_text(yaml_text(smaller), encoding="utf-8")
    result = build(project, "--no-mkdocs")
    assert result.exit_code == 0, result.output
    assert not (docs / "topics" / "gui-agents").exists()
    assert not (docs / "bib" / "gui-agents.bib").exists()
    assert (docs / "about.md").is_file() and (docs / "assets" / "atlas.js").is_file()


def test_a_generated_file_that_cannot_be_written_stops_the_build_with_one_line(tmp_path):
    # Files are written by a second thread while the next ones are made: its failure must
    # still end the build, as one located line, with no record of a finished generation.
    project = copy_project(tmp_path)
    (project / "papers.yaml").write_text(yaml_text(hostile_catalogue()), encoding="utf-8")
    (project / "docs" / "papers.json").mkdir()  # in the way of the export
    (project / "docs" / ".generated.json").unlink(missing_ok=True)  # a record copied from the checkout
    result = build(project, "--no-mkdocs")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "papers.json" in lines[0] and "is a directory" in lines[0]
    assert not (project / "docs" / ".generated.json").exists()
    assert (project / "docs" / "topics" / "vla-models" / "index.md").is_file()  # made before it


def test_search_index_is_built_beside_the_builder_and_leaves_nothing_behind(built, tmp_path):
    # Pagefind indexes the paper pages of docs/ while the builder runs; its bundle ends in
    # site/pagefind and its scratch directory is gone, after a build that succeeded ...
    assert not list(built["project"].glob("site-search-*"))
    assert (built["site"] / "pagefind" / "pagefind-entry.json").is_file()
    # ... and after one whose builder failed (a broken link: strict MkDocs refuses it).
    project = copy_project(tmp_path)
    (project / "papers.yaml").write_text(yaml_text(hostile_catalogue()), encoding="utf-8")
    with (project / "docs" / "about.md").open("a", encoding="utf-8") as about:
        about.write("\n[nowhere](no-such-page.md)\n")
    result = build(project)
    assert result.exit_code == 1 and "mkdocs build failed" in result.output
    assert "Traceback" not in result.output
    assert not list(project.glob("site-search-*"))
    assert not (project / "site" / "pagefind").exists()
    # The last site is moved aside and deleted, not built over: nothing of it survives.
    (project / "docs" / "about.md").write_text((ROOT / "docs" / "about.md").read_text(encoding="utf-8"), encoding="utf-8")
    (project / "site" / "papers" / "gone").mkdir(parents=True)
    (project / "site" / "papers" / "gone" / "index.html").write_text("stale", encoding="utf-8")
    assert build(project).exit_code == 0
    assert not (project / "site" / "papers" / "gone").exists()
    assert (project / "site" / "pagefind" / "pagefind-entry.json").is_file()
    assert not list(project.glob("site-search-*"))


def test_every_generated_file_is_ignored_by_git(built):
    # Generated from papers.yaml on every build, never committed: a contributor's
    # `git status` after a build shows only what they changed.
    record = json.loads((built["project"] / "docs" / ".generated.json").read_text(encoding="utf-8"))
    paths = ["docs/.generated.json", "site/index.html", *(f"docs/{path}" for path in record["files"])]
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "--non-matching", "--verbose"],
        cwd=ROOT, input="\n".join(paths) + "\n", capture_output=True, text=True, check=False,
    )
    not_ignored = [line.split("\t", 1)[1] for line in checked.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == [] and len(checked.stdout.splitlines()) == len(paths)


def test_build_refuses_a_broken_catalogue_with_one_located_line(tmp_path):
    project = copy_project(tmp_path)
    text = yaml_text(hostile_catalogue()).replace("- vla-models\n", "- no-such-topic\n", 1)
    (project / "papers.yaml").write_text(text, encoding="utf-8")
    result = build(project)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "papers.yaml:" in lines[0]
    assert "no-such-topic" in lines[0]
    assert not (project / "site").exists() and not (project / "docs" / "index.md").exists()


def test_the_real_catalogue_builds(tmp_path):
    """The committed papers.yaml: valid, built strictly, every paper reachable at its url."""
    catalogue = load(ROOT / "papers.yaml")
    project = copy_project(tmp_path)  # with the committed papers.yaml
    result = build(project)
    assert result.exit_code == 0, result.output
    site_dir = project / "site"
    data = json.loads((site_dir / "papers.json").read_text(encoding="utf-8"))
    assert len(data["papers"]) == len(catalogue.papers)
    ids_by_page: dict[str, set[str]] = {}
    for record in data["papers"]:
        path = urlsplit(record["url"]).path
        if path not in ids_by_page:
            ids_by_page[path] = set(articles(parse(site_dir / path / "index.html")))
        assert record["id"] in ids_by_page[path]
    for html_file in site_dir.rglob("*.html"):
        assert html_file.stat().st_size < 1_000_000, html_file
    for topic in catalogue.topics:
        assert (site_dir / "bib" / f"{topic.slug}.bib").is_file()
    for paper in catalogue.papers:
        page = (site_dir / "papers" / paper.id / "index.html").read_text(encoding="utf-8")
        assert 'name="citation_title"' in page and "data-pagefind-body" in page


def test_footer_links_name_the_next_page_by_its_title_escaped_once(built):
    # The hostile topic title comes right after the topics overview in the navigation.
    page = parse(built["site"] / "topics" / "index.html")
    (link,) = page.find_all("a", class_="md-footer__link--next")
    title = built["catalogue"].topics[0].title
    assert link.attrs["aria-label"] == f"Next: {title}"
