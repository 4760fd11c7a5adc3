"""The generator knows no site builder: the same docs/ builds with MkDocs and with Zensical
(both read mkdocs.yml and the awesome-nav files), into sites with the same pages, the same
topics in the navigation and every paper's permalink resolving."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from conftest import copy_project
from generator.cli import main
from generator.store import load

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sites(tmp_path_factory) -> dict[str, Path]:
    project = copy_project(tmp_path_factory.mktemp("builders"))
    built = {}
    for builder in ("mkdocs", "zensical"):
        done = CliRunner().invoke(main, ["--catalogue", str(project / "papers.yaml"), "build", "--builder", builder])
        assert done.exit_code == 0, done.output
        built[builder] = project / f"site-{builder}"
        shutil.move(project / "site", built[builder])
    return built


def pages(site: Path) -> set[str]:
    """The site's content pages (not the builders' own: 404, search)."""
    return {
        p.relative_to(site).as_posix()
        for p in site.rglob("index.html")
        if not p.relative_to(site).as_posix().startswith(("search/", "assets/"))
    }


def test_both_builders_make_the_same_pages(sites):
    mkdocs, zensical = pages(sites["mkdocs"]), pages(sites["zensical"])
    assert mkdocs == zensical
    catalogue = load(ROOT / "papers.yaml")
    assert {f"topics/{t.slug}/index.html" for t in catalogue.topics} <= mkdocs


@pytest.mark.parametrize("builder", ["mkdocs", "zensical"])
def test_every_topic_is_in_the_navigation_in_catalogue_order(sites, builder):
    home = (sites[builder] / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(?:\./)?(topics/[^"/]+/)" class="md-nav__link', home)
    catalogue = load(ROOT / "papers.yaml")
    wanted = [f"topics/{t.slug}/" for t in catalogue.topics]
    assert [link for link in dict.fromkeys(links) if link in wanted] == wanted


@pytest.mark.parametrize("builder", ["mkdocs", "zensical"])
def test_every_paper_anchor_resolves(sites, builder):
    site = sites[builder]
    records = json.loads((site / "papers.json").read_text(encoding="utf-8"))["papers"]
    ids: dict[str, set[str]] = {}
    for record in records:
        parts = urlsplit(record["url"])
        if parts.path not in ids:
            ids[parts.path] = set(re.findall(r' id="([^"]+)"', (site / parts.path / "index.html").read_text(encoding="utf-8")))
        assert parts.fragment in ids[parts.path], record["url"]


@pytest.mark.parametrize("builder", ["mkdocs", "zensical"])
def test_both_sites_carry_the_feeds_the_whats_new_page_and_the_search_index(sites, builder):
    import feedparser

    site = sites[builder]
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo and feed.entries
    catalogue = load(ROOT / "papers.yaml")
    for topic in catalogue.topics:
        assert (site / "feeds" / f"{topic.slug}.xml").is_file()
    whats_new = (site / "whats-new" / "index.html").read_text(encoding="utf-8")
    assert "Week of" in whats_new
    home = (site / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="[^"]*feed\.xml"', home)
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert len(list((site / "papers").glob("*/index.html"))) >= len(catalogue.papers)
