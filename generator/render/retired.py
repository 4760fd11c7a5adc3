"""Retired anchors: where a link to a retired paper's entry (``#<old id>``) must send the reader.

A retired paper (``retired:`` in papers.yaml, see ``model.Retired``) has no entry any
more, but links to ``topics/<topic>/#<old id>`` exist: the site sends them to the entry of
the paper that stands for it. :func:`redirect_targets` says where; the pages carry it
(``retired.json``, read by the page script like ``anchors.json``). Its BibTeX side is
``render.bibtex.references_chunks``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..model import Catalogue

#: The docs-relative file of the redirects (old id -> site-relative URL).
PAGE = "retired.json"


def redirect_targets(catalogue: Catalogue, locations: Mapping[str, str]) -> dict[str, str]:
    """Old id -> the site-relative URL of the entry that stands for it (``locations``:
    paper id -> URL, as ``pages.Layout.locations``), for every retired id with a
    replacement; an id whose paper only changed its key keeps its own entry and needs none.
    """
    return {
        retired.id: locations[retired.replaced_by]
        for retired in sorted(catalogue.retired, key=lambda r: r.id)
        if retired.replaced_by and retired.replaced_by != retired.id and retired.replaced_by in locations
    }


def redirects_json(catalogue: Catalogue, locations: Mapping[str, str]) -> str:
    """:func:`redirect_targets` as the text of :data:`PAGE` (deterministic, one line)."""
    return json.dumps(redirect_targets(catalogue, locations), sort_keys=True, separators=(",", ":")) + "\n"
