"""Atom feeds of the newest papers (feedgen): one for the whole survey, one per topic.

A paper's entry: its title, a link to its entry on the site, its TL;DR, its authors, its
topics as categories, and ``updated`` = the day it entered the survey (``added``). Entry
ids are tag URIs of the site's host and the paper's id, so they stay the same from build to
build; a feed's ``updated`` is its newest paper's day, so a build with nothing added writes
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Iterator, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from feedgen.feed import FeedGenerator

from ..model import Catalogue, Paper

#: Entries per feed: the newest papers.
FEED_PAPERS = 50
#: XML 1.0 refuses these characters; lxml would raise on them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def feed_path(slug: str | None = None) -> str:
    """Where a feed lives in docs/: ``feed.xml`` (whole survey) or ``feeds/<topic>.xml``.

    The survey's feed sits at the site's root because every page announces it with
    ``<link rel="alternate">``, and Material's instant navigation fetches ``sitemap.xml``
    beside every such link (for language versions): beside the root's, that is the real one."""
    return f"feeds/{slug}.xml" if slug else "feed.xml"


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _day(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)


def newest(papers: Sequence[Paper], count: int = FEED_PAPERS) -> list[Paper]:
    """The ``count`` most recently added papers, newest first (ties by id); undated ones last."""
    dated = sorted((p for p in papers if p.added), key=lambda p: p.id)
    dated.sort(key=lambda p: p.added or "", reverse=True)
    return dated[:count]


def atom_feed(
    papers: Sequence[Paper],
    *,
    catalogue: Catalogue,
    site_url: str,
    locations: Mapping[str, str],
    title: str,
    subtitle: str,
    path: str,
) -> bytes:
    """An Atom feed of ``papers`` (already chosen and ordered), at ``site_url`` + ``path``."""
    host = urlsplit(site_url).hostname or "localhost"
    topics = {t.slug: t.title for t in catalogue.topics}
    fg = FeedGenerator()
    fg.id(urljoin(site_url, path))
    fg.title(_text(title))
    fg.subtitle(_text(subtitle))
    fg.author({"name": "Action Atlas contributors"})
    fg.link(href=site_url, rel="alternate", type="text/html")
    fg.link(href=urljoin(site_url, path), rel="self", type="application/atom+xml")
    fg.language("en")
    days = [p.added for p in papers if p.added]
    fg.updated(_day(max(days)) if days else dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    # feedgen lists entries last-added first; add them oldest first so the feed reads newest first.
    for paper in reversed(papers):
        entry = fg.add_entry()
        entry.id(f"tag:{host},2026:paper/{paper.id}")
        entry.title(_text(paper.title))
        entry.link(href=urljoin(site_url, locations.get(paper.id, "")), rel="alternate", type="text/html")
        entry.summary(_text(paper.tldr))
        if paper.added:
            entry.updated(_day(paper.added))
            entry.published(_day(paper.added))
        for name in paper.authors[:20]:
            entry.author({"name": _text(name)})
        for slug in paper.topics:
            if slug in topics:
                entry.category(term=slug, label=_text(topics[slug]))
    return fg.atom_str(pretty=True)


def feed_files(catalogue: Catalogue, locations: Mapping[str, str], site_url: str | None) -> Iterator[tuple[str, bytes]]:
    """The feeds, as (docs-relative path, bytes): the whole survey, then each topic.
    None without a site URL (feed readers need absolute links)."""
    if not site_url:
        return
    site_url = site_url if site_url.endswith("/") else site_url + "/"
    yield feed_path(), atom_feed(
        newest(catalogue.papers),
        catalogue=catalogue,
        site_url=site_url,
        locations=locations,
        title="Action Atlas: new papers",
        subtitle="Papers newly added to the survey of action in AI.",
        path=feed_path(),
    )
    for topic in catalogue.topics:
        yield feed_path(topic.slug), atom_feed(
            newest(catalogue.papers_in(topic.slug)),
            catalogue=catalogue,
            site_url=site_url,
            locations=locations,
            title=f"Action Atlas: {topic.title}",
            subtitle=f"Papers newly added to the survey's topic {topic.title}.",
            path=feed_path(topic.slug),
        )
