"""papers.yaml in and out: the one :func:`load` (read, schema, cross-paper checks) and :func:`save`.

=========== ==========================================================================
read.py     the file's bytes -> plain data and the line of every paper, topic, field
locate.py   those lines, and pydantic's errors as ``file:line: paper 'id': field: problem``
checks.py   what spans papers: duplicates, unknown topics; missing dates, authors (warnings)
write.py    a catalogue -> deterministic YAML, written atomically (``save``)
history.py  papers.yaml at a git ref, and the ids and keys changed or removed since (``validate --base``)
=========== ==========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import AtlasError
from ..model import Catalogue
from .checks import cross_check
from .locate import Located, schema_errors
from .read import read_raw
from .write import save


@dataclass
class Verdict:
    """Every located problem of a catalogue file, and the catalogue when there is none."""

    catalogue: Catalogue | None
    errors: list[AtlasError] = field(default_factory=list)
    warnings: list[AtlasError] = field(default_factory=list)
    #: The plain data read and the lines of its papers (None when the file could not be read).
    raw: Any = None
    located: Located | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check(path: Path | str, data: bytes | None = None) -> Verdict:
    """Read and check a catalogue file (``data``: its bytes, if the caller read them
    already, so that what is checked is what it holds). Refusals of the file itself (not
    YAML, too big, ...) come back as its one error; otherwise every schema and cross-paper
    error, sorted by line.

    The schema check runs once; only when it fails does it run again for located
    messages. The cross-paper checks run on the plain data, also when the schema fails.
    """
    try:
        data_, located = read_raw(path, data)
    except AtlasError as exc:
        return Verdict(None, [exc])
    try:
        catalogue: Catalogue | None = Catalogue.model_validate(data_)
        errors: list[AtlasError] = []
    except ValidationError:
        catalogue, errors = None, schema_errors(data_, located)
    cross_errors, warnings = cross_check(data_, located)
    errors = sorted(errors + cross_errors, key=lambda e: e.line or 0)
    return Verdict(None if errors else catalogue, errors, warnings, data_, located)


def load(path: Path | str, data: bytes | None = None) -> Catalogue:
    """The catalogue at ``path`` if it passes every check (see :func:`check`), else its
    first located error, raised. ``data``: the file's bytes, if read already."""
    verdict = check(path, data)
    if verdict.errors:
        raise verdict.errors[0]
    assert verdict.catalogue is not None
    return verdict.catalogue


__all__ = ["Verdict", "check", "load", "save"]
