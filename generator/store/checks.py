"""The checks that span papers, which the schema (model.py) cannot make: duplicate ids,
titles, BibTeX keys and topic slugs, unknown topics; missing dates and authors (warnings).

Every problem is reported as ``papers.yaml:LINE: paper '<id>': <field>: <problem>``. The
checks make no message, and look up no line, for papers that pass them.
"""

from __future__ import annotations

from typing import Any

from ..errors import AtlasError, quote
from ..text import lookalike_key
from .locate import Located


def cross_check(data: dict[str, Any], located: Located) -> tuple[list[AtlasError], list[AtlasError]]:
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
            errors.append(AtlasError(f"topic {quote(slug)}: slug: defined twice", path, located.line_of(("topics", index, "slug"))))
    known = set(topic_slugs)

    papers = items("papers")
    seen: dict[str, dict[object, int]] = {"id": {}, "title": {}, "bibtex_key": {}}  # value -> first paper's index
    for index, paper in enumerate(papers):
        for name, first in seen.items():
            value = paper.get(name)
            if not isinstance(value, str) or not value:
                continue
            if name == "title":
                value = lookalike_key(value)  # look-alikes (a Cyrillic a, a zero-width joiner) are duplicates too
            where = first.setdefault(value, index)
            if where != index:
                first_id = papers[where].get("id")
                errors.append(
                    AtlasError(
                        f"{_label(paper, index)}: {name}: duplicate of paper {quote(first_id)} at line {line(where) or 0}",
                        path,
                        line(index, name),
                    )
                )
        topics = paper.get("topics")
        for slug in topics if isinstance(topics, list) else []:
            if isinstance(slug, str) and slug not in known:
                errors.append(
                    AtlasError(
                        f"{_label(paper, index)}: topics: unknown topic {quote(slug)} (known: {_known(topic_slugs)})",
                        path,
                        line(index, "topics"),
                    )
                )
        if not paper.get("date"):
            warnings.append(AtlasError(f"{_label(paper, index)}: date: missing", path, line(index)))
        if not paper.get("authors"):
            warnings.append(AtlasError(f"{_label(paper, index)}: authors: missing", path, line(index)))
    return errors, warnings


def _known(slugs: list[str], shown: int = 10) -> str:
    """The known topic slugs, the first ``shown`` of them."""
    listed = ", ".join(slug if len(slug) <= 40 else slug[:40] + "…" for slug in slugs[:shown])
    return listed + (f", and {len(slugs) - shown} more" if len(slugs) > shown else "")


def _label(paper: dict, index: int) -> str:
    """How a message names a paper: by its id, else by its place."""
    ident = paper.get("id")
    return f"paper {quote(ident)}" if ident else f"paper #{index + 1}"
