"""The arXiv API: look a paper up by id, or search its title, and read the Atom feed it answers.

API: https://info.arxiv.org/help/api/user-manual.html. arXiv asks for one request every three
seconds; :func:`make_client` builds a client that keeps to that.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from generator.errors import AtlasError, quote
from generator.model import Paper
from generator.enrich.sources import Confidence, Record, Unavailable
from generator.enrich.sources.http import PoliteClient
from generator.text import normalise_title

API_URL = "https://export.arxiv.org/api/query"
#: arXiv's terms of use: no more than one request every three seconds.
MIN_INTERVAL = 3.0

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}
# New-style ids (2403.09631) and old-style ids (cs/0701001, math.GT/0309136), minus the version.
_ID_IN_URL = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")


@dataclass(frozen=True)
class ArxivEntry:
    """One ``<entry>`` of an arXiv Atom feed."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    #: Date of the first version, ``YYYY-MM-DD``.
    published: str | None
    primary_category: str | None
    journal_ref: str | None
    #: The abstract, whitespace folded (``python -m generator add`` takes it as the paper's abstract).
    summary: str = ""

    def record(self, confidence: Confidence) -> Record:
        # The journal reference is the only venue arXiv knows; a long citation is no venue name.
        venue = self.journal_ref if self.journal_ref and len(self.journal_ref) <= 300 else None
        return Record(
            source="arxiv",
            ref=self.arxiv_id,
            title=self.title,
            confidence=confidence,
            authors=self.authors,
            arxiv_id=self.arxiv_id,
            published=self.published,
            venue=venue,
            arxiv_category=self.primary_category,
        )


def parse_atom(text: str) -> list[ArxivEntry]:
    """The entries of an arXiv API answer. Raises AtlasError when it is not a feed, or an error."""
    # Atom never needs a DTD, and without one there are no entities to expand into a huge tree.
    if "<!DOCTYPE" in text.upper():
        raise Unavailable("arxiv: the answer declares a DTD; refusing to parse it")
    try:
        feed = ET.fromstring(text)
    except (ET.ParseError, RecursionError) as exc:
        raise Unavailable(f"arxiv: the answer is not XML ({type(exc).__name__})") from None
    if feed.tag != f"{{{_NS['atom']}}}feed":
        raise Unavailable(f"arxiv: the answer is not an Atom feed (root element {quote(feed.tag)})")
    entries = []
    for entry in feed.findall("atom:entry", _NS):
        entry_id = _text(entry, "atom:id")
        if "/api/errors" in entry_id:
            raise AtlasError(f"arxiv: the API refused the query: {_text(entry, 'atom:summary')}")
        match = _ID_IN_URL.search(entry_id)
        title = _text(entry, "atom:title")
        if not match or not title:
            continue  # an id_list miss answers an empty entry
        category = entry.find("arxiv:primary_category", _NS)
        entries.append(
            ArxivEntry(
                arxiv_id=match.group(1),
                title=title,
                authors=tuple(
                    name
                    for author in entry.findall("atom:author", _NS)
                    if (name := _text(author, "atom:name"))
                ),
                published=_text(entry, "atom:published")[:10] or None,
                primary_category=category.get("term") if category is not None else None,
                journal_ref=_text(entry, "arxiv:journal_ref") or None,
                summary=_text(entry, "atom:summary"),
            )
        )
    return entries


def _text(element: ET.Element, path: str) -> str:
    """The text of a child with runs of whitespace folded (arXiv wraps long titles)."""
    child = element.find(path, _NS)
    return " ".join((child.text or "").split()) if child is not None else ""


def make_client(**options: Any) -> PoliteClient:
    """A client that keeps to arXiv's rate limit. ``options`` go to :class:`PoliteClient`."""
    return PoliteClient("arxiv", min_interval=MIN_INTERVAL, **options)


class ArxivSource:
    """Looks a paper up by its arXiv id (exact), or else by a title phrase search (likely)."""

    name = "arxiv"

    def __init__(self, client: PoliteClient, *, max_results: int = 5):
        self.client = client
        self.max_results = max_results

    @property
    def requests(self) -> int:
        return self.client.requests

    def lookup(self, paper: Paper) -> Record | None:
        if paper.arxiv_id:
            entries = self._query({"id_list": paper.arxiv_id, "max_results": "1"})
            confidence: Confidence = "exact"
        else:
            # Quotes make a phrase search; punctuation inside the phrase only confuses it.
            phrase = normalise_title(paper.title)
            params = {"search_query": f'ti:"{phrase}"', "max_results": str(self.max_results)}
            entries = self._query(params)
            confidence = "likely"
        if not entries:
            return None
        wanted = normalise_title(paper.title)
        closest = max(
            entries,
            key=lambda e: SequenceMatcher(None, wanted, normalise_title(e.title), autojunk=False).ratio(),
        )
        return closest.record(confidence)

    def _query(self, params: dict[str, str]) -> list[ArxivEntry]:
        answer = self.client.get(API_URL, params)
        if answer.status == 404:
            return []
        return parse_atom(answer.text)
