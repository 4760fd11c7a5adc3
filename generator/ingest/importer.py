"""Merge parsed listings into the catalogue without ever undoing a curator's edit.

How curated values are told from generated ones: every value that import (or
enrichment) writes is fingerprinted in the paper's ``generated`` mapping. On the next
run a field is regenerated only while its value still matches its fingerprint; once a
person edits it, the fingerprint no longer matches, the field is *curated*, and no
generator step touches it again. Import never clears a value, and ``id`` and
``bibtex_key`` are assigned once and never changed.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from pydantic import ValidationError

from ..errors import AtlasError, quote
from ..files import locked, within
from .keys import KeyAllocator, key_base
from .links import links_from_abstract
from .listings import Listing, ListingEntry, read_listing
from ..model import Catalogue, Paper, Topic
from ..store import load, save
from .taxonomy import CompiledTaxonomy, assign_tags, assign_topics, compile_topics
from ..text import fingerprint, lookalike_key, paper_id
from .tldr import pick_tldr
from .parallel import parallel_map

#: A listing's file name from its path (a few files, many entries each).
_file_name = lru_cache(maxsize=None)(os.path.basename)


@dataclass
class ListingPaper:
    """A paper as the listings show it, combined over every listing that has it."""

    title: str
    abstract: str
    entries: list[ListingEntry]
    date: str | None = None
    authors_count: int | None = None
    organization: str | None = None
    upvotes: int | None = None
    #: ``lookalike_key(title)``, the key listings and catalogue papers are matched by: two
    #: titles a reader cannot tell apart (a Cyrillic homoglyph, a zero-width joiner) are one.
    title_key: str = ""

    def __post_init__(self) -> None:
        if not self.title_key:
            self.title_key = lookalike_key(self.title)

    @property
    def sources(self) -> list[str]:
        return sorted({_file_name(e.listing) for e in self.entries})


@dataclass
class ImportReport:
    """What an import did, for the summary line."""

    listings: int = 0
    entries: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    warnings: list[AtlasError] = field(default_factory=list)
    written: bool = False

    def summary(self) -> str:
        return (
            f"{self.listings} listings read, {self.entries} entries found: "
            f"{self.new} new, {self.merged} merged, {self.unchanged} unchanged papers; "
            f"{len(self.warnings)} warnings"
        )


def combine(listings: Iterable[Listing]) -> tuple[list[ListingPaper], list[AtlasError]]:
    """Group listing entries by normalised title, independent of the order of listings.

    The first occurrence (by listing file name, then line) gives title and abstract;
    metadata is combined: upvotes take the highest count, other fields the first shown,
    and conflicting values are reported.
    """
    warnings: list[AtlasError] = []
    entries = sorted(
        (e for listing in listings for e in listing.entries),
        key=lambda e: (_file_name(e.listing), e.line),
    )
    groups: dict[str, ListingPaper] = {}
    for entry in entries:
        key = lookalike_key(entry.title)
        if not key:
            warnings.append(AtlasError("title has no letters or digits, entry skipped", entry.listing, entry.line))
            continue
        paper = groups.get(key)
        if paper is None:
            groups[key] = paper = ListingPaper(entry.title, entry.abstract, [], title_key=key)
        paper.entries.append(entry)
        for name in ("date", "authors_count", "organization"):
            value = getattr(entry, name)
            if value is None:
                continue
            current = getattr(paper, name)
            if current is None:
                setattr(paper, name, value)
            elif current != value:
                warnings.append(
                    AtlasError(
                        f"{name} {quote(value)} differs from {quote(current)} shown for the same paper elsewhere; keeping {quote(current)}",
                        entry.listing,
                        entry.line,
                    )
                )
        if entry.upvotes is not None:
            paper.upvotes = max(paper.upvotes or 0, entry.upvotes)
    return list(groups.values()), warnings


def listing_values(listed: ListingPaper) -> dict[str, Any]:
    """The values a paper takes straight from the listings."""
    return {
        "title": listed.title,
        "abstract": listed.abstract,
        "date": listed.date,
        "authors_count": listed.authors_count,
        "organization": listed.organization,
        "upvotes": listed.upvotes,
    }


def text_values(title: str, abstract: str, taxonomy: Sequence[Topic] | CompiledTaxonomy) -> dict[str, Any]:
    """The values derived from a paper's (possibly curated) title and abstract.

    ``taxonomy``: the topics, or ``compile_topics`` of them (faster for many papers).
    """
    return {
        "links": links_from_abstract(abstract),
        "topics": assign_topics(title, abstract, taxonomy),
        "tags": assign_tags(title, abstract),
        "tldr": pick_tldr(title, abstract),
    }


#: From this many new papers up, import drafts them in worker processes (see :func:`merge`).
PARALLEL_FROM = 2_000


@dataclass
class _Draft:
    """A listed paper worked out as a new paper, except what must be unique in the
    catalogue (its id and key get their suffixes in :func:`merge`)."""

    data: dict[str, Any]
    #: the slug of the title (the id, unless another paper has it)
    base_id: str
    #: the key, unless another paper has it (``keys.key_base``)
    key_base: str


def _draft(listed: dict[str, Any], taxonomy: CompiledTaxonomy) -> _Draft:
    """Everything a new paper takes from its listing values (:func:`listing_values`):
    text values, fingerprints, the bases of its id and key. Runs in worker processes."""
    values = listed | text_values(listed["title"], listed["abstract"], taxonomy)
    data = {name: value for name, value in values.items() if not _empty(value)}
    data["generated"] = {name: fingerprint(value) for name, value in data.items()}
    return _Draft(data, paper_id(listed["title"]), key_base(listed["title"], (), listed["date"]))


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def _update(paper: Paper, listed: ListingPaper, taxonomy: CompiledTaxonomy) -> Paper:
    """Refresh the generated fields that nobody edited; keep curated ones."""
    data = paper.model_dump()
    generated = dict(paper.generated)

    def refresh(values: dict[str, Any]) -> None:
        for name, new in values.items():
            if _empty(new):
                continue  # import never clears a value
            current = data[name]
            if _empty(current) or (name in generated and fingerprint(current) == generated[name]):
                data[name] = new
                generated[name] = fingerprint(new)

    refresh(listing_values(listed))
    # Derived after the text, so that topics and tldr follow the text as it is saved.
    refresh(text_values(data["title"], data["abstract"], taxonomy))
    data["sources"] = sorted(set(data["sources"]) | set(listed.sources))
    data["generated"] = generated
    return Paper.model_validate(data)


def _unfit(listed: ListingPaper, exc: ValidationError, outcome: str) -> AtlasError:
    """A located warning for listing values the schema refuses (a 30,000-character abstract)."""
    err = exc.errors()[0]
    where = ".".join(str(part) for part in err["loc"])
    first = listed.entries[0]
    return AtlasError(f"{outcome}: {where}: {err['msg']}", first.listing, first.line)


def merge(
    catalogue: Catalogue, listed_papers: Sequence[ListingPaper], workers: int | None = None
) -> tuple[Catalogue, ImportReport]:
    """Merge combined listing papers into a catalogue; returns the new catalogue and counts.

    A listed paper is a catalogue paper with the same normalised title, else with its
    id (the slug of the title; only for a paper whose title a curator wrote), else whose
    title import once wrote (its fingerprint); anything else is a new paper.

    New papers are worked out (text values, fingerprints: :func:`_draft`) by ``workers``
    processes for big imports (default: one per CPU; see :func:`generator.ingest.parallel.parallel_map`),
    while this process builds the papers that are ready. The result does not depend on
    the number of workers.
    """
    report = ImportReport()
    papers = list(catalogue.papers)
    by_title = {lookalike_key(p.title): i for i, p in enumerate(papers)}
    by_id = {p.id: i for i, p in enumerate(papers)}
    by_fingerprint = {p.generated["title"]: i for i, p in enumerate(papers) if "title" in p.generated}
    # A retired id or key is never given to a new paper, and a retired paper (its id is the
    # slug of its title) is not imported again from a listing that still shows it.
    retired_ids = {r.id for r in catalogue.retired}
    ids = set(by_id) | retired_ids
    keys = KeyAllocator([*(p.bibtex_key for p in papers), *(r.bibtex_key for r in catalogue.retired)])
    taxonomy = compile_topics(catalogue.topics)

    unmatched = [listed.title_key not in by_title for listed in listed_papers]
    drafts = iter(
        parallel_map(
            _draft,
            [listing_values(listed) for listed, new in zip(listed_papers, unmatched) if new],
            setup=compile_topics,
            setup_args=(list(catalogue.topics),),
            workers=workers,
            parallel_from=PARALLEL_FROM,
        )
    )
    for listed, new in zip(listed_papers, unmatched):
        index = by_title.get(listed.title_key)  # also a paper new in this import: listed twice
        draft = next(drafts) if new else None
        if index is None and draft is not None:
            index = by_id.get(draft.base_id)
            # Ids are cut at 80 characters: a paper whose title import wrote (and would
            # have matched by title) is another paper that happens to share the slug.
            if index is not None and "title" in papers[index].generated:
                index = None
            if index is None:
                index = by_fingerprint.get(draft.data["generated"]["title"])
            if index is None and draft.base_id in retired_ids:
                report.unchanged += 1  # retired on purpose: it stays out
                continue
            if index is None:
                ident, n = draft.base_id, 1
                while ident in ids:
                    n += 1
                    ident = f"{draft.base_id}-{n}"
                key = keys.peek(draft.key_base)
                data = draft.data | {"id": ident, "bibtex_key": key, "sources": listed.sources}
                try:
                    paper = Paper.model_validate(data)
                except ValidationError as exc:
                    report.warnings.append(_unfit(listed, exc, "entry skipped"))
                    continue
                keys.reserve(key)
                ids.add(paper.id)
                by_title[listed.title_key] = len(papers)  # a new paper's title is the listed one
                papers.append(paper)
                report.new += 1
                continue
        try:
            updated = _update(papers[index], listed, taxonomy)
        except ValidationError as exc:
            report.warnings.append(_unfit(listed, exc, f"paper {quote(papers[index].id)} not updated"))
            continue
        if updated == papers[index]:
            report.unchanged += 1
        else:
            papers[index] = updated
            report.merged += 1
    return catalogue.model_copy(update={"papers": papers}), report


def default_listings(root: Path) -> list[Path]:
    return sorted((root / "listings").glob("*.txt"))


def stamp_added(before: Catalogue, after: Catalogue, today: dt.date) -> Catalogue:
    """``after`` with ``added: today`` on every paper that ``before`` did not have (by id)."""
    known = {p.id for p in before.papers}
    stamped = [p if p.id in known or p.added else p.model_copy(update={"added": today.isoformat()}) for p in after.papers]
    return after.model_copy(update={"papers": stamped})


def run_import(
    catalogue_path: Path,
    listing_paths: Sequence[Path],
    today: dt.date | None = None,
    roots: Sequence[Path] = (),
) -> ImportReport:
    """Parse listings and merge them into the catalogue file (locked, atomic, no-op if unchanged).
    New papers are stamped ``added: today`` (default: today's UTC date).

    Every listing must be a regular file inside the repository (the catalogue's directory)
    or one of ``roots``, with no symbolic link on the way (see ``files.check_regular``).
    A refused listing (unreadable, not text, a link) refuses the whole import and leaves
    the catalogue byte-identical.
    """
    if not listing_paths:
        raise AtlasError("no listings to import (expected listings/*.txt)", str(catalogue_path.parent / "listings"))
    project = Path(os.path.abspath(catalogue_path)).parent
    listings = [
        read_listing(path, within(path, project, *roots)) for path in sorted(listing_paths, key=lambda p: (p.name, str(p)))
    ]
    listed, warnings = combine(listings)
    with locked(catalogue_path):
        catalogue = load(catalogue_path)
        merged, report = merge(catalogue, listed)
        merged = stamp_added(catalogue, merged, today or dt.datetime.now(dt.timezone.utc).date())
        report.written = save(merged, catalogue_path)
    report.listings = len(listings)
    report.entries = sum(len(listing.entries) for listing in listings)
    report.warnings = [w for listing in listings for w in listing.warnings] + warnings + report.warnings
    return report
