"""Enrichment: fill a paper's empty authors, arXiv id, date and venue from metadata sources.

Three rules keep the catalogue trustworthy:

* Same paper only. A record is used only when its title is the paper's title (see
  :func:`title_mismatch`) and it contradicts nothing the catalogue knows (:func:`record_problem`).
  Everything refused is listed in the report with its reason.
* Fill, never overwrite. Only empty fields are filled, and a field a curator emptied on purpose
  (its ``generated`` fingerprint no longer matches) stays empty. Each filled field gets
  ``provenance[field] = "<source> <id or URL>"`` and ``generated[field] = fingerprint(value)``.
* Dates: a listing date stays; else the first publication date of a record; else the month
  of the arXiv id (``2403.09631`` -> ``2024-03``).

Enrichment never touches ``bibtex_key``. After the one-time enrichment of the catalogue the
keys are re-derived once by ``generator.ingest.keys.rederive_all_keys``; ``EnrichReport.changed``
lists the papers that got new values.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from pydantic import TypeAdapter, ValidationError

from generator.errors import AtlasError, quote
from generator.model import Catalogue, Paper
from generator.enrich.sources import Record, Source, Unavailable
from generator.text import fingerprint, normalise_title

#: The fields enrichment may fill, in the order it reports them.
FIELDS = ("authors", "arxiv_id", "date", "venue", "arxiv_category")
#: The fields whose absence makes a paper worth a lookup (a missing venue alone is common).
CORE_FIELDS = ("authors", "arxiv_id", "date")

#: Two spellings of a title must be this similar (difflib ratio of the normalised titles),
#: differ by dropped or added runs of at most MAX_EDIT characters, MAX_EDITS in all.
MIN_TITLE_SIMILARITY = 0.97
MAX_EDIT = 2
MAX_EDITS = 4

_VALIDATORS = {name: TypeAdapter(Paper.model_fields[name].annotation) for name in FIELDS}


@dataclass(frozen=True)
class Rejection:
    """A record, or one value of it, that enrichment refused to use."""

    paper_id: str
    title: str
    source: str
    reason: str


@dataclass
class EnrichReport:
    """The enriched catalogue and what happened on the way."""

    catalogue: Catalogue
    #: Field -> number of papers that got a value for it.
    filled: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    rejected: list[Rejection] = field(default_factory=list)
    #: Source name -> papers asked about / network requests made (cache hits are free).
    lookups: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    #: Ids of the papers that got at least one value, in catalogue order.
    changed: list[str] = field(default_factory=list)
    #: Source name -> the error after which it was asked nothing more this run.
    unavailable: dict[str, str] = field(default_factory=dict)

    def summary(self) -> list[str]:
        """The report as lines for a terminal, in a stable order."""
        lines = ["filled: " + ", ".join(f"{name} {count}" for name, count in self.filled.items())]
        lines += [
            f"looked up: {name} {count} papers, {self.requests.get(name, 0)} requests"
            for name, count in self.lookups.items()
        ]
        lines += [f"rejected: {r.paper_id} ({r.source}): {r.reason}" for r in self.rejected]
        lines += [f"unavailable: {error}" for error in self.unavailable.values()]
        return lines


def title_mismatch(title: str, candidate: str) -> str | None:
    """Why ``candidate`` is not the title ``title``, or None when both name the same paper.

    Equal after :func:`normalise_title`, or a spelling of it: at most a few dropped or added
    characters, two at a time (``behaviour``/``behavior``, ``real world``/``realworld``,
    ``videos``/``video``), never a changed letter (``Octo`` is not ``Octa``) nor a changed
    number (``RT-1`` is not ``RT-2``), with a similarity of at least 0.97. A dropped or
    changed subtitle makes another title.
    """
    ours, theirs = normalise_title(title), normalise_title(candidate)
    if ours == theirs:
        return None
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    similarity = matcher.ratio()
    edits = [
        max(i2 - i1, j2 - j1) if tag != "replace" else MAX_EDIT + 1
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    if (
        similarity >= MIN_TITLE_SIMILARITY
        and max(edits) <= MAX_EDIT
        and sum(edits) <= MAX_EDITS
        and abs(len(ours.split()) - len(theirs.split())) <= 1
        and re.findall(r"\d+", ours) == re.findall(r"\d+", theirs)
    ):
        return None
    return f"title {quote(candidate)} is not {quote(title)} (similarity {similarity:.2f})"


def record_problem(paper: Paper, record: Record) -> str | None:
    """Why ``record`` may not describe ``paper``, or None when it may be used.

    Every record must pass the title check and agree with the paper's arXiv id. A record the
    source itself is unsure of (``likely``, ``none``) must also agree with the paper's date
    (within a month) and author count, as the listing gave them.
    """
    problem = title_mismatch(paper.title, record.title)
    if problem:
        return problem
    if paper.arxiv_id and record.arxiv_id and paper.arxiv_id != record.arxiv_id:
        return f"arXiv id {record.arxiv_id} is not the catalogue's {paper.arxiv_id}"
    if record.confidence == "exact":
        return None
    # The arXiv id's month is the first version's; a "published" date may be a later venue's.
    record_month = _arxiv_month(record.arxiv_id) if record.arxiv_id else (record.published or "")[:7]
    known_month = re.fullmatch(r"\d{4}-\d{2}", record_month)
    if paper.date and known_month and abs(_months(paper.date) - _months(record_month)) > 1:
        return f"{record.confidence} match dated {record_month}, the catalogue says {paper.date}"
    if paper.authors_count and record.authors and len(record.authors) != paper.authors_count:
        return (
            f"{record.confidence} match lists {len(record.authors)} authors, "
            f"the catalogue says {paper.authors_count}"
        )
    return None


def fillable_fields(paper: Paper) -> list[str]:
    """Fields enrichment may fill: empty, and not emptied by a curator."""
    fillable = []
    for name in FIELDS:
        value = getattr(paper, name)
        emptied_by_curator = name in paper.generated and paper.generated[name] != fingerprint(value)
        if value in (None, []) and not emptied_by_curator:
            fillable.append(name)
    return fillable


def needs_enrichment(paper: Paper) -> bool:
    """Whether the paper lacks authors, arXiv id or date that a source could fill.

    The scheduled workflow makes no request at all when this is false for every paper.
    """
    return any(name in CORE_FIELDS for name in fillable_fields(paper))


def enrich_catalogue(
    catalogue: Catalogue, sources: Sequence[Source], *, only_missing: bool = True
) -> EnrichReport:
    """A new catalogue with empty fields filled from ``sources``, asked in order.

    With ``only_missing`` (the default) only papers that :func:`needs_enrichment` are looked up,
    and a paper's lookups stop once its authors, arXiv id and date are known. Otherwise every
    paper with any fillable field (venue included) is looked up. Either way a field gets the
    first acceptable value offered, and the input catalogue is left unchanged.
    """
    report = EnrichReport(catalogue=catalogue)
    report.lookups = {source.name: 0 for source in sources}
    requests_before = {source.name: source.requests for source in sources}
    wanted = CORE_FIELDS if only_missing else FIELDS
    papers = []
    for paper in catalogue.papers:
        enriched = _enrich_paper(paper, sources, wanted, report)
        if enriched is not paper:
            report.changed.append(paper.id)
        papers.append(enriched)
    report.requests = {s.name: s.requests - requests_before[s.name] for s in sources}
    report.catalogue = catalogue.model_copy(update={"papers": papers})
    return report


def _enrich_paper(
    paper: Paper, sources: Sequence[Source], wanted: Sequence[str], report: EnrichReport
) -> Paper:
    def still_wanted(current: Paper) -> bool:
        return any(name in wanted for name in fillable_fields(current))

    for source in sources:
        if not still_wanted(paper):
            break
        if source.name in report.unavailable:
            continue
        report.lookups[source.name] += 1
        try:
            record = source.lookup(paper)
        except Unavailable as exc:
            # A damaged or hostile answer about this paper: the next paper is asked as usual.
            report.rejected.append(Rejection(paper.id, paper.title, source.name, f"source unavailable for this paper ({exc.text})"))
            continue
        except AtlasError as exc:
            # A service that gave up once will not do better for the next paper.
            report.unavailable[source.name] = str(exc)
            continue
        if record is None:
            continue
        problem = record_problem(paper, record)
        if problem:
            report.rejected.append(Rejection(paper.id, paper.title, source.name, problem))
            continue
        offered = {
            "authors": list(record.authors),
            "arxiv_id": record.arxiv_id,
            "date": record.published,
            "venue": record.venue,
            "arxiv_category": record.arxiv_category,
        }
        for name in fillable_fields(paper):
            if offered[name]:
                paper = _fill(paper, name, offered[name], record.source, record.provenance, report)
    if "date" in fillable_fields(paper) and paper.arxiv_id:
        derived = _arxiv_month(paper.arxiv_id)
        paper = _fill(paper, "date", derived, "arxiv-id", f"arxiv-id {paper.arxiv_id}", report)
    return paper


def _fill(
    paper: Paper, name: str, value: Any, source: str, provenance: str, report: EnrichReport
) -> Paper:
    """``paper`` with ``name`` set to ``value`` and the provenance and fingerprint recorded."""
    try:
        value = _VALIDATORS[name].validate_python(value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        report.rejected.append(Rejection(paper.id, paper.title, source, f"{name}: {problem}"))
        return paper
    report.filled[name] += 1
    return paper.model_copy(
        update={
            name: value,
            "provenance": {**paper.provenance, name: provenance},
            "generated": {**paper.generated, name: fingerprint(value)},
        }
    )


def _arxiv_month(arxiv_id: str) -> str:
    """The month an arXiv id was issued: ``2403.09631`` -> ``2024-03``, ``cs/9912001`` -> ``1999-12``."""
    digits = arxiv_id.rsplit("/", 1)[-1]
    year, month = int(digits[:2]), digits[2:4]
    # Old-style ids began in 1991; new-style ids (with a dot) began in 2007.
    century = 1900 if "/" in arxiv_id and year >= 91 else 2000
    return f"{century + year}-{month}"


def _months(date: str) -> int:
    """A ``YYYY-MM[-DD]`` date as a count of months, for comparing months."""
    return int(date[:4]) * 12 + int(date[5:7])
