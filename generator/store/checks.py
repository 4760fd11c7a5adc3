"""The checks that span papers, which the schema (model.py) cannot make: duplicate ids,
titles, BibTeX keys and topic slugs, unknown topics; missing dates and authors, and links
on unofficial Hugging Face mirrors (warnings).

Every problem is reported as ``papers.yaml:LINE: paper '<id>': <field>: <problem>``. The
checks make no message, and look up no line, for papers that pass them.
"""

from __future__ import annotations

from typing import Any

from ..errors import AtlasError
from ..ingest.links import mirror_host
from ..text import normalise_title
from .locate import Located


def cross_check(data: dict[str, Any], located: Located) -> tuple[list[AtlasError], list[AtlasError]]:
    """Checks across papers, on the raw data so they run even when the schema check fails:
    duplicate ids, titles and keys; unknown topics; missing dates and authors, links on
    Hugging Face mirrors (warnings)."""
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
        links = paper.get("links")
        for name, url in sorted(links.items()) if isinstance(links, dict) else []:
            host = mirror_host(url) if isinstance(url, str) else None
            if host:
                warnings.append(
                    AtlasError(
                        f"{_label(paper, index)}: links.{name}: {host} is an unofficial Hugging Face mirror; "
                        "link the page on huggingface.co (or the project's own site) instead",
                        path,
                        line(index, "links"),
                    )
                )
    return errors, warnings


def _label(paper: dict, index: int) -> str:
    """How a message names a paper: by its id, else by its place."""
    ident = paper.get("id")
    return f"paper {ident!r}" if ident else f"paper #{index + 1}"
