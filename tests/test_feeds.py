"""The Atom feeds and the what's-new page: valid Atom read by a real parser, stable, escaped."""

from __future__ import annotations

import html

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest

from generator import store
from generator.render import pages
from generator.render.bibtex import entry_text
from generator.render.feeds import FEED_PAPERS, feed_files, newest
from generator.model import Catalogue
from generator.render.whatsnew import SHOWN, whats_new_page

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://example.org/atlas/"
ATOM = "{http://www.w3.org/2005/Atom}"


def locations_of(catalogue: Catalogue) -> dict[str, str]:
    layout = pages.Layout(catalogue, {p.id: entry_text(p) for p in catalogue.papers}, pages.SiteLinks(SITE))
    for _ in layout.files():
        pass
    return layout.locations


@pytest.fixture(scope="module")
def committed() -> Catalogue:
    return store.load(ROOT / "papers.yaml")


@pytest.fixture(scope="module")
def feeds(committed) -> dict[str, bytes]:
    return dict(feed_files(committed, locations_of(committed), SITE))


def with_added(catalogue: Catalogue, days: dict[str, str]) -> Catalogue:
    return catalogue.model_copy(update={"papers": [p.model_copy(update={"added": days.get(p.id, p.added)}) for p in catalogue.papers]})


def test_one_feed_for_the_survey_and_one_per_topic(committed, feeds):
    assert set(feeds) == {"feed.xml"} | {f"feeds/{t.slug}.xml" for t in committed.topics}


def test_every_feed_is_atom_a_real_parser_reads_without_complaint(feeds):
    for path, body in feeds.items():
        parsed = feedparser.parse(body)
        assert parsed.version == "atom10", path
        assert not parsed.bozo, (path, parsed.get("bozo_exception"))


def test_the_rfc_4287_rules_that_matter(committed, feeds):
    for path, body in feeds.items():
        feed = ET.fromstring(body)
        assert feed.findtext(f"{ATOM}id") and feed.findtext(f"{ATOM}title")
        assert dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated")).tzinfo is not None
        assert feed.find(f"{ATOM}author/{ATOM}name") is not None  # so every entry has an author
        ids = []
        for entry in feed.findall(f"{ATOM}entry"):
            ids.append(entry.findtext(f"{ATOM}id"))
            assert entry.findtext(f"{ATOM}title")
            assert dt.datetime.fromisoformat(entry.findtext(f"{ATOM}updated")).tzinfo is not None
            alternates = [l for l in entry.findall(f"{ATOM}link") if l.get("rel", "alternate") == "alternate"]
            assert len(alternates) == 1 and alternates[0].get("href").startswith(SITE), path
        assert len(ids) == len(set(ids)) and all(i.startswith("tag:example.org,") for i in ids)


def test_entries_link_to_the_papers_entry_and_carry_its_tldr_authors_and_topics(committed, feeds):
    locations = locations_of(committed)
    parsed = feedparser.parse(feeds["feed.xml"])
    by_id = {p.id: p for p in committed.papers}
    for entry in parsed.entries:
        paper = by_id[entry.id.rsplit("/", 1)[1]]
        assert entry.link == SITE + locations[paper.id]
        assert entry.summary == paper.tldr and entry.title == paper.title
        assert [a.name for a in entry.get("authors", []) if a.get("name")] == paper.authors[:20]
        assert {t.term for t in entry.tags} == set(paper.topics)


def test_the_newest_papers_come_first_and_a_feed_is_bounded(committed):
    days = {p.id: f"2026-12-{1 + n % 28:02d}" for n, p in enumerate(committed.papers)}
    catalogue = with_added(committed, days)
    parsed = feedparser.parse(dict(feed_files(catalogue, locations_of(catalogue), SITE))["feed.xml"])
    updated = [e.updated for e in parsed.entries]
    assert updated == sorted(updated, reverse=True)
    assert len(parsed.entries) == min(FEED_PAPERS, len(committed.papers))
    assert parsed.feed.updated == updated[0]


def test_feeds_are_byte_identical_until_a_paper_is_added(committed, feeds):
    again = dict(feed_files(committed, locations_of(committed), SITE))
    assert again == feeds  # no build time, no random id
    paper = committed.papers[0]
    added = with_added(committed, {paper.id: "2026-12-24"})
    changed = dict(feed_files(added, locations_of(added), SITE))
    assert changed["feed.xml"] != feeds["feed.xml"]
    assert feedparser.parse(changed["feed.xml"]).entries[0].id.endswith("/" + paper.id)
    # Entry ids do not depend on where a paper is listed: the same paper, the same id.
    ids = lambda body: {e.id for e in feedparser.parse(body).entries}  # noqa: E731
    assert ids(changed["feed.xml"]) - {e for e in ids(feeds["feed.xml"])} <= {f"tag:example.org,2026:paper/{paper.id}"}


def test_hostile_text_stays_text_in_a_feed(committed):
    hostile = "<script>alert(1)</script> & \x1b[31m \x00 ]]>"
    paper = committed.papers[0].model_copy(update={"title": "T " + hostile, "tldr": "S " + hostile, "added": "2026-12-30"})
    catalogue = committed.model_copy(update={"papers": [paper, *committed.papers[1:]]})
    body = dict(feed_files(catalogue, locations_of(catalogue), SITE))["feed.xml"]
    assert b"<script>" not in body
    entry = feedparser.parse(body).entries[0]
    assert "<script>" in entry.title or "&lt;script&gt;" in entry.title  # shown as text, never as markup
    assert "\x1b" not in entry.title and "\x00" not in entry.summary


def test_no_site_url_no_feed(committed):
    assert list(feed_files(committed, {}, None)) == []


def test_whats_new_groups_the_latest_additions_by_week(committed):
    paper, other = committed.papers[0], committed.papers[1]
    catalogue = with_added(committed, {paper.id: "2026-12-09", other.id: "2026-12-02"})
    text = whats_new_page(catalogue, locations_of(catalogue))
    assert text.index("Week of 2026-12-07") < text.index("Week of 2026-11-30")  # Mondays, newest first
    first_week = text[text.index("Week of 2026-12-07") : text.index("Week of 2026-11-30")]
    assert pages.text(paper.title) in first_week and pages.text(other.title) not in first_week
    assert 'href="../feed.xml"' in text


def test_whats_new_stays_small_however_many_were_added(committed):
    text = whats_new_page(committed, locations_of(committed))  # every paper added the same day
    assert text.count("<li>") <= SHOWN
    if len(committed.papers) > SHOWN:
        assert f"… and {len(committed.papers) - SHOWN} more added that week" in text


def test_whats_new_escapes_hostile_titles(committed):
    paper = committed.papers[0].model_copy(update={"title": '<img src=x onerror="alert(1)">', "added": "2026-12-31"})
    catalogue = committed.model_copy(update={"papers": [paper, *committed.papers[1:]]})
    text = whats_new_page(catalogue, locations_of(catalogue))
    assert "<img" not in text and '<img src=x onerror="alert(1)">' in html.unescape(text)
