"""Adding a paper by its arXiv id: ``python -m generator add 2403.09631``.

The metadata comes from arXiv (title, abstract, authors, date, category, journal
reference), or, for an id arXiv does not answer, from Semantic Scholar's record of that
arXiv id, through the rate-limited, cached clients enrichment uses. The paper then gets
what import gives a new paper (topics, tags, TL;DR, links from the abstract, all
fingerprinted) and a frozen key, derived from its first author, year and title. A paper
already in the catalogue (same arXiv id or same normalised title) is reported, not added twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from pydantic import ValidationError

from .errors import AtlasError, quote
from .files import locked
from .ingest.importer import text_values
from .ingest.keys import derive_key
from .model import Catalogue, Paper
from .store import load, save
from .enrich.sources.arxiv import API_URL, ArxivEntry, parse_atom
from .enrich.sources.http import PoliteClient
from .enrich.sources.semantic_scholar import S2Paper
from .text import fingerprint, lookalike_key, paper_id

# 2403.09631, arXiv:2403.09631v2, https://arxiv.org/abs/2403.09631, .../pdf/2403.09631v1(.pdf),
# https://huggingface.co/papers/2403.09631, and old-style ids (cs/0701001).
_ID = r"(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})"
_IDENTIFIER = re.compile(
    rf"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|https?://(?:www\.)?huggingface\.co/papers/)?"
    rf"{_ID}(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
#: arXiv answers at most this many ids in one request here (its API allows more; politeness).
BATCH = 20
#: Semantic Scholar's Graph API: one paper by its arXiv id.
S2_PAPER_URL = "https://api.semanticscholar.org/graph/v1/paper/arXiv:{arxiv_id}"
S2_FIELDS = "title,abstract,authors,externalIds,publicationDate,venue,year"


def arxiv_id_of(identifier: str) -> str:
    """The arXiv id (no version) named by ``identifier``: an id, an arXiv or Hugging Face URL."""
    found = _IDENTIFIER.match(identifier.strip())
    if not found:
        shown = identifier if len(identifier) <= 80 else identifier[:80] + "…"
        raise AtlasError(f"{quote(shown)} is not an arXiv id or an arXiv / Hugging Face paper URL")
    return found.group(1)


@dataclass
class AddReport:
    """What ``add`` did: the papers added, and those already present (arXiv id -> paper id)."""

    added: list[Paper] = field(default_factory=list)
    present: dict[str, str] = field(default_factory=dict)
    not_found: list[str] = field(default_factory=list)
    written: bool = False

    def lines(self) -> list[str]:
        out = [f"added {p.id} ({p.bibtex_key}): {p.title}" for p in self.added]
        out += [f"already in the catalogue: {a} is {i}" for a, i in self.present.items()]
        out += [f"not found on arXiv or Semantic Scholar: {a}" for a in self.not_found]
        return out


def fetch_entries(client: PoliteClient, arxiv_ids: Sequence[str]) -> dict[str, ArxivEntry]:
    """arXiv's entries for ``arxiv_ids`` (id -> entry; ids arXiv does not know are left out)."""
    found: dict[str, ArxivEntry] = {}
    for start in range(0, len(arxiv_ids), BATCH):
        batch = arxiv_ids[start : start + BATCH]
        answer = client.get(API_URL, {"id_list": ",".join(batch), "max_results": str(len(batch))})
        if answer.status == 404:
            continue
        for entry in parse_atom(answer.text):
            found[entry.arxiv_id] = entry
    return found


def from_semantic_scholar(client: PoliteClient, arxiv_id: str) -> ArxivEntry | None:
    """Semantic Scholar's record of an arXiv id, as an entry (None when it has none, or no abstract)."""
    answer = client.get(S2_PAPER_URL.format(arxiv_id=arxiv_id), {"fields": S2_FIELDS})
    if answer.status == 404:
        return None
    try:
        paper = S2Paper.model_validate_json(answer.text)
    except ValidationError:
        raise AtlasError("semantic-scholar: unexpected answer (not a paper record)") from None
    if not paper.abstract or paper.arxiv_id not in (None, arxiv_id):
        return None
    record = paper.record()
    return ArxivEntry(
        arxiv_id=arxiv_id,
        title=record.title,
        authors=record.authors,
        published=record.published,
        primary_category=None,
        journal_ref=record.venue,
        summary=" ".join(paper.abstract.split()),
    )


def today_utc() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def new_paper(
    entry: ArxivEntry,
    catalogue: Catalogue,
    ids: set[str],
    keys: set[str],
    provenance: str | None = None,
    added: dt.date | None = None,
) -> Paper:
    """The catalogue paper for an arXiv entry, with an id and a key not in ``ids``/``keys``,
    entered the survey on ``added`` (default: today, UTC); ``provenance`` names where its
    metadata came from (default: ``arxiv <id>``)."""
    if not entry.summary:
        raise AtlasError(f"arXiv {entry.arxiv_id}: the answer has no abstract")
    derived = {"title": entry.title, "abstract": entry.summary} | text_values(entry.title, entry.summary, catalogue.topics)
    enriched = {
        "authors": list(entry.authors),
        "date": entry.published,
        "arxiv_id": entry.arxiv_id,
        "arxiv_category": entry.primary_category,
        "venue": entry.journal_ref if entry.journal_ref and len(entry.journal_ref) <= 300 else None,
    }
    data = {name: value for name, value in (derived | enriched).items() if value not in (None, [], {}, "")}
    data["generated"] = {name: fingerprint(value) for name, value in data.items()}
    data["provenance"] = {name: provenance or f"arxiv {entry.arxiv_id}" for name in enriched if name in data}
    base, n = paper_id(entry.title), 1
    ident = base
    while ident in ids:
        n += 1
        ident = f"{base}-{n}"
    data["id"] = ident
    data["bibtex_key"] = derive_key(entry.title, entry.authors, entry.published, keys, catalogue.bibtex.groups)
    data["sources"] = [f"arxiv {entry.arxiv_id}"]
    data["added"] = (added or today_utc()).isoformat()
    try:
        return Paper.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        raise AtlasError(f"arXiv {entry.arxiv_id}: {where}: {problem['msg']}") from None


def add_papers(
    catalogue: Catalogue,
    identifiers: Iterable[str],
    client: PoliteClient,
    fallback: PoliteClient | None = None,
    today: dt.date | None = None,
) -> tuple[Catalogue, AddReport]:
    """``catalogue`` with the papers named by ``identifiers`` added (the input is unchanged).
    ``client`` asks arXiv; ``fallback``, if given, asks Semantic Scholar for ids arXiv lacks."""
    report = AddReport()
    wanted = list(dict.fromkeys(arxiv_id_of(i) for i in identifiers))
    by_arxiv = {p.arxiv_id: p.id for p in catalogue.papers if p.arxiv_id}
    by_title = {lookalike_key(p.title): p.id for p in catalogue.papers}
    report.present = {a: by_arxiv[a] for a in wanted if a in by_arxiv}
    missing = [a for a in wanted if a not in by_arxiv]
    entries = fetch_entries(client, missing) if missing else {}
    # Retired ids and keys are never handed out again.
    ids = {p.id for p in catalogue.papers} | {r.id for r in catalogue.retired}
    keys = {p.bibtex_key for p in catalogue.papers} | {r.bibtex_key for r in catalogue.retired}
    papers = list(catalogue.papers)
    for arxiv_id in missing:
        entry, provenance = entries.get(arxiv_id), None
        if entry is None and fallback is not None:
            entry = from_semantic_scholar(fallback, arxiv_id)
            provenance = f"semantic-scholar arXiv:{arxiv_id}"
        if entry is None:
            report.not_found.append(arxiv_id)
            continue
        same_title = by_title.get(lookalike_key(entry.title))
        if same_title:
            report.present[arxiv_id] = same_title
            continue
        paper = new_paper(entry, catalogue, ids, keys, provenance, today)
        ids.add(paper.id)
        keys.add(paper.bibtex_key)
        by_title[lookalike_key(paper.title)] = paper.id
        papers.append(paper)
        report.added.append(paper)
    return catalogue.model_copy(update={"papers": sorted(papers, key=lambda p: p.id)}), report


def run_add(
    catalogue_path: Path, identifiers: Sequence[str], client: PoliteClient, fallback: PoliteClient | None = None
) -> AddReport:
    """Add the papers to the catalogue file (locked, validated, atomic; unchanged if none is new)."""
    if not identifiers:
        raise AtlasError("name at least one arXiv id or paper URL")
    for identifier in identifiers:
        arxiv_id_of(identifier)  # refuse a bad argument before any request
    with locked(catalogue_path):
        catalogue = load(catalogue_path)
        updated, report = add_papers(catalogue, identifiers, client, fallback)
        if report.added:
            report.written = save(updated, catalogue_path)
    return report
