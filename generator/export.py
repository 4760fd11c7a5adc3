"""The catalogue as ``papers.json``: every paper with where it lives on the site.

One object ``{"topics": [...], "papers": [...]}``. Each paper carries all its catalogue
fields (as in papers.yaml, with empty values included), its ``bibtex`` entry (the same
text as in the .bib files), ``url`` (relative to the site root, e.g.
``topics/vla-models/#rt-2``) and, when the site's address is known, ``absolute_url``.
Papers are ordered by id and keys sorted, so equal catalogues give identical files.
"""

from __future__ import annotations

import json
from typing import Mapping

from .model import Catalogue


def papers_json(
    catalogue: Catalogue,
    locations: Mapping[str, str],
    bibtex: Mapping[str, str],
    site_url: str | None = None,
) -> str:
    """The JSON text. ``locations`` maps paper id -> site-relative URL of its entry."""
    base = site_url.rstrip("/") + "/" if site_url else None
    papers = []
    for paper in sorted(catalogue.papers, key=lambda p: p.id):
        record = paper.model_dump()
        record["bibtex"] = bibtex[paper.id]
        record["url"] = locations[paper.id]
        if base:
            record["absolute_url"] = base + locations[paper.id]
        papers.append(record)
    document = {"topics": [t.model_dump() for t in catalogue.topics], "papers": papers}
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
