"""Where a problem of papers.yaml is: ``file:line``, the paper (or topic) and its field.

:class:`Located` holds the lines that :func:`generator.store.read.read_raw` noted on its one
pass; :func:`schema_errors` turns pydantic's errors into one located AtlasError each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..errors import AtlasError, quote
from ..model import Catalogue


@dataclass
class Located:
    """Line numbers of a loaded catalogue, so errors can name ``papers.yaml:LINE``."""

    path: str
    topics: list[int] = field(default_factory=list)
    papers: list[int] = field(default_factory=list)
    #: per paper index: field name -> line of its key
    fields: list[dict[str, int]] = field(default_factory=list)
    topic_fields: list[dict[str, int]] = field(default_factory=list)
    #: the entries of ``retired:``, and their field lines
    retired: list[int] = field(default_factory=list)
    retired_fields: list[dict[str, int]] = field(default_factory=list)
    #: the root's keys (``topics``, ``bibtex``, ``papers``) -> the line of each
    sections: dict[str, int] = field(default_factory=dict)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """The line for a pydantic error location such as ``('papers', 3, 'date')``."""
        if len(loc) >= 2 and loc[0] in ("papers", "topics", "retired") and isinstance(loc[1], int):
            starts, keys = {
                "papers": (self.papers, self.fields),
                "topics": (self.topics, self.topic_fields),
                "retired": (self.retired, self.retired_fields),
            }[loc[0]]
            if loc[1] < len(starts):
                if len(loc) >= 3 and loc[2] in keys[loc[1]]:
                    return keys[loc[1]][loc[2]]
                return starts[loc[1]]
        if loc and isinstance(loc[0], str) and loc[0] in self.sections:
            return self.sections[loc[0]]  # e.g. ('bibtex', 'proper_nouns', 2): the section's line
        return 1


def schema_errors(data: Any, located: Located) -> list[AtlasError]:
    """Check plain data against the schema; one located error per problem."""
    try:
        Catalogue.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = err["loc"]
            errors.append(AtlasError(_describe(data, loc, err["msg"]), located.path, located.line_of(loc)))
        return errors
    return []


def _describe(data: Any, loc: tuple[Any, ...], msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] in ("papers", "topics", "retired") and isinstance(loc[1], int):
        items = data.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        ident = item.get("slug" if loc[0] == "topics" else "id") if isinstance(item, dict) else None
        what = {"papers": "paper", "topics": "topic", "retired": "retired"}[loc[0]]
        label = f"{what} {quote(ident)}" if ident else f"{what} #{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:] if not str(part).startswith("function-"))
        return f"{label}: {rest}: {msg}" if rest else f"{label}: {msg}"
    return f"{'.'.join(map(str, loc)) or 'catalogue'}: {msg}"
