"""The checks that span papers, which the schema (model.py) cannot make: duplicate ids,
titles, BibTeX keys and topic slugs, unknown topics; missing dates and authors, and links
on unofficial Hugging Face mirrors (warnings).

Every problem is reported as ``papers.yaml:LINE: paper '<id>': <field>: <problem>``. The
checks make no message, and look up no line, for papers that pass them.
"""

from __future__ import annotations

from typing import Any

from ..errors import AtlasError, quote
from ..ingest.links import mirror_host
from ..text import lookalike_key
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
    errors += _retired_checks(items("retired"), papers, located)
    return errors, warnings


def _retired_checks(retired: list[dict], papers: list[dict], located: Located) -> list[AtlasError]:
    """What keeps a retired id and key resolvable: each retired once, its key no paper's
    (the .bib would hold it twice) but that of ``replaced_by`` when only the id changed,
    its id no paper's but ``replaced_by``'s when only the key changed, and ``replaced_by``
    a paper of the catalogue."""
    errors: list[AtlasError] = []
    ids = {p.get("id") for p in papers if isinstance(p.get("id"), str)}
    keys = {p.get("bibtex_key"): p.get("id") for p in papers if isinstance(p.get("bibtex_key"), str)}
    seen_ids: dict[str, int] = {}
    seen_keys: dict[str, int] = {}

    def line(index: int, name: str) -> int | None:
        return located.line_of(("retired", index, name))

    for index, entry in enumerate(retired):
        ident, key, successor = entry.get("id"), entry.get("bibtex_key"), entry.get("replaced_by")
        label = f"retired {quote(ident)}" if ident else f"retired #{index + 1}"
        if isinstance(ident, str):
            if ident in seen_ids:
                errors.append(AtlasError(f"{label}: id: retired twice (first at line {seen_ids[ident]})", located.path, line(index, "id")))
            seen_ids.setdefault(ident, line(index, "id") or 0)
            if ident in ids and successor != ident:
                errors.append(
                    AtlasError(f"{label}: id: is the id of a paper of the catalogue; a retired id is never reused", located.path, line(index, "id"))
                )
        if isinstance(key, str):
            if key in seen_keys:
                errors.append(AtlasError(f"{label}: bibtex_key: {quote(key)} retired twice (first at line {seen_keys[key]})", located.path, line(index, "bibtex_key")))
            seen_keys.setdefault(key, line(index, "bibtex_key") or 0)
            if key in keys and keys[key] != successor:  # an id change keeps the paper's own key
                errors.append(
                    AtlasError(
                        f"{label}: bibtex_key: {quote(key)} is the key of paper {quote(keys[key])}; a retired key is never reused",
                        located.path,
                        line(index, "bibtex_key"),
                    )
                )
        if isinstance(successor, str) and successor not in ids:
            errors.append(AtlasError(f"{label}: replaced_by: no paper {quote(successor)} in the catalogue", located.path, line(index, "replaced_by")))
    return errors


def _known(slugs: list[str], shown: int = 10) -> str:
    """The known topic slugs, the first ``shown`` of them."""
    listed = ", ".join(slug if len(slug) <= 40 else slug[:40] + "…" for slug in slugs[:shown])
    return listed + (f", and {len(slugs) - shown} more" if len(slugs) > shown else "")


def _label(paper: dict, index: int) -> str:
    """How a message names a paper: by its id, else by its place."""
    ident = paper.get("id")
    return f"paper {quote(ident)}" if ident else f"paper #{index + 1}"
