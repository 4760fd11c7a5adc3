"""A page per paper: related papers (deterministic, never itself), downloads that parse,
the citation managers' metadata, and COinS on topic pages."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, unquote

import bibtexparser
import rispy

from generator import store
from generator.render import bibtex, pages
from generator.render.paper_pages import paper_files
from generator.render.related import SHOWN, related

ROOT = Path(__file__).resolve().parents[1]


def same_text(shown: str, title: str) -> bool:
    """The same words, whether a formula is written ``A^2`` or printed ``A²``."""
    plain = lambda text: re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", text))  # noqa: E731
    return plain(shown) == plain(title)


def committed():
    return store.load(ROOT / "papers.yaml")


def test_related_papers_are_other_papers_most_alike_first_and_the_same_every_time():
    catalogue = committed()
    first, again = related(catalogue), related(catalogue)
    assert first == again
    ids = {p.id for p in catalogue.papers}
    for paper_id, others in first.items():
        assert paper_id not in others and len(others) == len(set(others)) <= SHOWN
        assert set(others) <= ids
    # Reversing the catalogue's order changes nothing (ties go to the smaller id, not to the order).
    reversed_catalogue = catalogue.model_copy(update={"papers": list(reversed(catalogue.papers))})
    assert related(reversed_catalogue) == first


def test_a_paper_shares_a_topic_with_most_of_its_related_papers():
    catalogue = committed()
    topics = {p.id: set(p.topics) for p in catalogue.papers}
    found = related(catalogue)
    shared = sum(bool(topics[pid] & topics[o]) for pid, others in found.items() for o in others)
    total = sum(len(others) for others in found.values())
    assert total and shared / total > 0.6


def test_every_paper_page_carries_its_metadata_and_downloads_that_parse():
    catalogue = committed()
    entries = bibtex.entries(catalogue)
    layout = pages.Layout(catalogue, entries)
    files = dict(paper_files(catalogue, entries, layout.plan.where, related(catalogue), pages.SiteLinks("https://x.example/")))
    for paper in catalogue.papers[:60]:
        page = files[f"papers/{paper.id}/index.html"]
        meta = {name: html.unescape(value) for name, value in re.findall(r'<meta name="(citation_\w+)" content="([^"]*)"', page)}
        assert meta["citation_title"] == paper.title
        authors = [html.unescape(v) for v in re.findall(r'<meta name="citation_author" content="([^"]*)"', page)]
        assert authors == paper.authors
        if paper.arxiv_id:
            assert meta["citation_arxiv_id"] == paper.arxiv_id
        assert f'<link rel="canonical" href="https://x.example/papers/{paper.id}/">' in page
        downloads = {
            html.unescape(name): unquote(html.unescape(url).split(",", 1)[1])
            for url, name in re.findall(r'<a href="(data:[^"]*)" download="([^"]*)">', page)
        }
        assert set(downloads) == {f"{paper.bibtex_key}.bib", f"{paper.bibtex_key}.ris", f"{paper.bibtex_key}.json"}
        library = bibtexparser.parse_string(downloads[f"{paper.bibtex_key}.bib"])
        assert [e.key for e in library.entries] == [paper.bibtex_key]
        (record,) = rispy.loads(downloads[f"{paper.bibtex_key}.ris"])
        assert same_text(record.get("title") or record.get("primary_title"), paper.title)
        (item,) = json.loads(downloads[f"{paper.bibtex_key}.json"])
        assert same_text(item["title"], paper.title)
    # A paper is one file: its downloads need none of their own.
    assert not [name for name in files if name.startswith("papers/") and not name.endswith("/index.html")]


def test_topic_pages_carry_coins_for_zotero():
    catalogue = committed()
    topic = catalogue.topics[0]
    files = dict(pages.Layout(catalogue, bibtex.entries(catalogue)).files())
    page = files[f"topics/{topic.slug}/index.md"]
    objects = [parse_qs(html.unescape(t)) for t in re.findall(r'<span class="Z3988" title="([^"]*)"', page)]
    shown = re.findall(r'<article class="paper" data-id="([^"]+)"', page)
    assert len(objects) == len(shown) > 0
    by_id = {p.id: p for p in catalogue.papers}
    for object_, paper_id in zip(objects, shown):
        assert object_["rft.atitle"] == [by_id[paper_id].title]
        assert object_.get("rft.au", []) == by_id[paper_id].authors
