"""Check papers.yaml: the schema (model.py) plus what spans papers (duplicates, topics).

Every problem is reported as ``papers.yaml:LINE: paper '<id>': <field>: <problem>``.
Missing dates or authors are warnings; everything else is an error.

The file is read once (``catalogue.read_raw``) and checked against the schema once; only
when that fails is it checked again, for located messages. The cross-paper checks make no
message, and look up no line, for papers that pass them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from . import read as catalogue_io
from ..errors import AtlasError
from ..model import Catalogue
from ..text import normalise_title


@dataclass
class Verdict:
    """The outcome of validating a catalogue."""

    catalogue: Catalogue | None
    errors: list[AtlasError] = field(default_factory=list)
    warnings: list[AtlasError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def cross_check(data: dict, located: catalogue_io.Located) -> tuple[list[AtlasError], list[AtlasError]]:
    """Checks across papers, on the raw data so they run even when the schema check fails:
    duplicate ids, titles and keys; unknown topics; missing dates and authors (warnings)."""
    errors: list[AtlasError] = []
    warnings: list[AtlasError] = []
    path = located.path

    def items(name: str) -> list[dict]:
        value = data.get(name)
        return [x if isinstance(x, dict) else {} for x in value] if isinstance(value, list) else []

    def line(index: int, name: str | None = None) -> int | None:
        return located.line_of(("papers", index, name) if name else ("papers", index))

    topic_slugs = [str(t.get("slug")) for t in items("topics")]
    for index, slug in enumerate(topic_slugs):
        if slug in topic_slugs[:index]:
            errors.append(AtlasError(f"topic {slug!r}: slug: defined twice", path, located.line_of(("topics", index, "slug"))))
    known = set(topic_slugs)

    papers = items("papers")
    seen: dict[str, dict[object, int]] = {"id": {}, "title": {}, "bibtex_key": {}}  # value -> first paper's index
    for index, paper in enumerate(papers):
        for name, first in seen.items():
            value = paper.get(name)
            if not isinstance(value, str) or not value:
                continue
            if name == "title":
                value = normalise_title(value)
            where = first.setdefault(value, index)
            if where != index:
                first_id = papers[where].get("id")
                errors.append(
                    AtlasError(
                        f"{_label(paper, index)}: {name}: duplicate of paper {first_id!r} at line {line(where) or 0}",
                        path,
                        line(index, name),
                    )
                )
        topics = paper.get("topics")
        for slug in topics if isinstance(topics, list) else []:
            if isinstance(slug, str) and slug not in known:
                errors.append(
                    AtlasError(
                        f"{_label(paper, index)}: topics: unknown topic {slug!r} (known: {', '.join(topic_slugs)})",
                        path,
                        line(index, "topics"),
                    )
                )
        if not paper.get("date"):
            warnings.append(AtlasError(f"{_label(paper, index)}: date: missing", path, line(index)))
        if not paper.get("authors"):
            warnings.append(AtlasError(f"{_label(paper, index)}: authors: missing", path, line(index)))
    return errors, warnings


def _label(paper: dict, index: int) -> str:
    """How a message names a paper: by its id, else by its place."""
    ident = paper.get("id")
    return f"paper {ident!r}" if ident else f"paper #{index + 1}"


def validate(path: Path | str, data: bytes | None = None) -> Verdict:
    """Validate a catalogue file (``data``: its bytes, if read already). Refusals of the
    file itself (YAML) come back as errors.

    The garbage collector stays paused throughout (see ``catalogue.gc_paused``), so the raw
    data is built, checked and freed without it ever scanning the raw data's containers.
    """
    with catalogue_io.gc_paused():
        return _validate(path, data)


def _validate(path: Path | str, text: bytes | None) -> Verdict:
    try:
        data, located = catalogue_io.read_raw(path, text)
    except AtlasError as exc:
        return Verdict(None, [exc])
    try:  # one schema check; its result is the catalogue (located errors only on failure)
        catalogue: Catalogue | None = Catalogue.model_validate(data)
        errors: list[AtlasError] = []
    except ValidationError:
        catalogue, errors = None, catalogue_io.schema_errors(data, located)
    cross_errors, warnings = cross_check(data, located)
    errors = sorted(errors + cross_errors, key=lambda e: e.line or 0)
    if errors:
        return Verdict(None, errors, warnings)
    return Verdict(catalogue, errors, warnings)


def load_valid(path: Path | str, data: bytes | None = None) -> Catalogue:
    """Load a catalogue that passes every check, or raise its first error (``data``: the
    file's bytes, if read already)."""
    verdict = validate(path, data)
    if verdict.errors:
        raise verdict.errors[0]
    assert verdict.catalogue is not None
    return verdict.catalogue
