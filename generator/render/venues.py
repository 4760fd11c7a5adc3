"""Where a paper appeared, as citations need it: the curated venue table and what a
``venue`` of papers.yaml says.

``venue`` is free text written by people ("ICLR 2025 (Oral)", "NeurIPS 2024 (Datasets and
Benchmarks Track)", "Nature 588(7839):604-609 (2020)", "SEA Workshop @ NeurIPS 2025").
:func:`publication` reads it against the one table of known venues (venues.yaml beside
this file: abbreviation, full name, kind) into a :class:`Publication`:

* the container's name as references print it: a conference's full name with its
  abbreviation and year ("International Conference on Learning Representations (ICLR
  2025)"), a journal's name; a workshop of a known conference keeps its own words
  ("ICLR 2025 Workshop World Models");
* the venue's year (the 4-digit year it names), volume, number and pages of a journal;
* a track ("Datasets and Benchmarks Track", "Long Papers") joins the container's name;
  what else stands in parentheses (a presentation, "as '<other title>'", "PMLR 235") is a note.

A venue no table entry matches (a thesis, a book series) gives None: it is printed as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, TypeAdapter, ValidationError

from ..errors import AtlasError

Kind = Literal["conference", "workshop", "journal"]


class Venue(BaseModel):
    """One row of venues.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    abbreviation: Annotated[str, StringConstraints(min_length=2, max_length=40)]
    name: Annotated[str, StringConstraints(min_length=2, max_length=200)]
    kind: Kind


@dataclass(frozen=True)
class Publication:
    """What a ``venue`` says, for a citation."""

    kind: Kind
    #: the booktitle or journal, as references print it
    container: str
    venue: Venue | None = None
    year: str | None = None
    volume: str | None = None
    number: str | None = None
    pages: str | None = None
    note: str | None = None


@cache
def venue_table() -> tuple[Venue, ...]:
    """The curated venues (read once)."""
    text = resources.files(__package__).joinpath("venues.yaml").read_text(encoding="utf-8")
    try:
        return tuple(TypeAdapter(list[Venue]).validate_python(yaml.safe_load(text)))
    except ValidationError as exc:  # a broken table is the project's bug: say where
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        raise AtlasError(f"venue #{where}: {problem['msg']}", "generator/render/venues.yaml") from None


@cache
def _matchers() -> tuple[tuple[re.Pattern[str], Venue], ...]:
    """A pattern per abbreviation (case-sensitive) and full name (any case), longest first."""
    found = []
    for venue in venue_table():
        found.append((re.compile(rf"(?<![\w-]){re.escape(venue.abbreviation)}(?![\w-])"), venue, len(venue.abbreviation)))
        found.append((re.compile(rf"(?<![\w-]){re.escape(venue.name)}(?![\w-])", re.IGNORECASE), venue, len(venue.name)))
    found.sort(key=lambda item: -item[2])
    return tuple((pattern, venue) for pattern, venue, _ in found)


_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")
_PARENTHESES = re.compile(r"\s*\(([^()]*)\)")
#: "588(7839):604-609": volume, issue and pages of a journal article
_VOLUME_ISSUE_PAGES = re.compile(r"\b(\d+)\((\d+)\):(\d+)\s*[-–]+\s*(\d+)\b")
_VOLUME = re.compile(r",?\s*\bVol(?:ume)?\.?\s*(\d+)", re.IGNORECASE)
_NUMBER = re.compile(r",?\s*\bNo\.?\s*(\d+)", re.IGNORECASE)
_PRESENTATION = re.compile(r"^(?:oral|poster|spotlight|highlight)(?: presentation)?$", re.IGNORECASE)
_TRACK = re.compile(r"\b(?:track|papers|volume)\b", re.IGNORECASE)
_OTHER_TITLE = re.compile(r"^as\s+(['\"‘“].*)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 14)  # venues repeat: a few hundred distinct ones for any number of papers
def publication(venue: str | None) -> Publication | None:
    """What ``venue`` says (see the module docstring), or None for a venue not in the table."""
    text = " ".join((venue or "").split())
    if not text:
        return None
    volume = number = pages = None
    numbers = _VOLUME_ISSUE_PAGES.search(text)
    if numbers:
        volume, number, pages = numbers[1], numbers[2], f"{numbers[3]}--{numbers[4]}"
        text = text[: numbers.start()] + text[numbers.end() :]
    for pattern in (_VOLUME, _NUMBER):
        found = pattern.search(text)
        if found:
            if pattern is _VOLUME:
                volume = found[1]
            else:
                number = found[1]
            text = text[: found.start()] + text[found.end() :]
    qualifiers = [q.strip() for q in _PARENTHESES.findall(text) if q.strip()]
    main = " ".join(_PARENTHESES.sub(" ", text).split()).strip(" ,;")
    if any(q.casefold() == "findings" for q in qualifiers) and not main.startswith("Findings"):
        main = "Findings of " + main
        qualifiers = [q for q in qualifiers if q.casefold() != "findings"]
    known = _known(main) or next((v for v in map(_known, qualifiers) if v), None)
    if known is None:
        return None
    # What the main text says besides the venue's name and year: kept as a note.
    residue = _YEAR.sub(" ", _pattern_of(known).sub(" ", main) if _pattern_of(known).search(main) else main)
    residue = " ".join(residue.split()).strip(" ,;:@-–")
    years = _YEAR.findall(main) or [y for q in qualifiers for y in _YEAR.findall(q)]
    year = years[0] if years else None
    workshop = known.kind == "workshop" or "workshop" in text.casefold()
    notes, tracks = [], []
    for qualifier in qualifiers:
        other_title = _OTHER_TITLE.match(qualifier)
        if other_title:
            notes.append(f"Published as {other_title[1]}")
        elif _PRESENTATION.match(qualifier):
            notes.append(qualifier[0].upper() + qualifier[1:])
        elif _echoes(qualifier, known) or qualifier.casefold() == "workshop" or _YEAR.fullmatch(qualifier):
            continue  # the venue's own name or year again: "(RSS)", "(WWW '20)", "(2024)"
        elif workshop and known.kind != "workshop":
            continue  # kept in the workshop's own words below
        elif _TRACK.search(qualifier):
            tracks.append(qualifier)
        else:
            notes.append(qualifier)
    if residue and not workshop and residue.casefold() not in ("proceedings of the", "proceedings of", "the"):
        notes.append(residue)  # "Findings of ACL 2025 50% _x_": the "50% _x_"
    note = "; ".join(notes) or None
    if known.kind == "journal":
        return Publication("journal", known.name, known, year, volume, number, pages, note)
    if workshop and known.kind != "workshop":
        # A workshop at a known conference: its own words, without the notes.
        own = " ".join(_PARENTHESES.sub(lambda m: "" if _is_note(m[1]) else m[0], text).split())
        return Publication("workshop", own, known, year, note=note)
    container = f"{known.name} ({known.abbreviation} {year})" if year else f"{known.name} ({known.abbreviation})"
    if tracks:
        container += ", " + ", ".join(tracks)
    return Publication(known.kind, container, known, year, note=note)


def _pattern_of(venue: Venue) -> re.Pattern[str]:
    """The pattern matching ``venue``'s abbreviation or name."""
    return re.compile(
        rf"(?<![\w-])(?:{re.escape(venue.name)}|(?-i:{re.escape(venue.abbreviation)}))(?![\w-])", re.IGNORECASE
    )


def _known(text: str) -> Venue | None:
    """The table's venue that ``text`` names (the longest name or abbreviation found)."""
    for pattern, venue in _matchers():
        if pattern.search(text):
            return venue
    return None


def _echoes(qualifier: str, venue: Venue) -> bool:
    return venue.abbreviation in qualifier or venue.name.casefold() in qualifier.casefold()


def _is_note(qualifier: str) -> bool:
    return bool(_PRESENTATION.match(qualifier.strip()) or _OTHER_TITLE.match(qualifier.strip()))
