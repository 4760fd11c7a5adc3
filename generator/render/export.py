"""The catalogue as ``papers.json``: every paper with where it lives on the site.

One object ``{"topics": [...], "papers": [...]}``. Each paper carries all its catalogue
fields (as in papers.yaml, with empty values included), its ``bibtex`` entry (the same
text as in the .bib files), ``url`` (relative to the site root, e.g.
``topics/vla-models/#rt-2``) and, when the site's address is known, ``absolute_url``.
Papers are ordered by id and keys sorted, so equal catalogues give identical files.

The text is made one paper at a time (:func:`papers_json_chunks`), each record encoded on
its own with the same settings as the whole document would be (keys sorted, no spaces,
UTF-8 kept), so the chunks joined are exactly ``json.dumps`` of the whole document, and a
caller that writes them as they come never holds the whole file.
"""

from __future__ import annotations

import json
from typing import Iterator, Mapping

from ..model import Catalogue

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def papers_json_chunks(
    catalogue: Catalogue,
    locations: Mapping[str, str],
    bibtex: Mapping[str, str],
    site_url: str | None = None,
) -> Iterator[str]:
    """The JSON text in pieces, about one per paper. ``locations`` maps paper id ->
    site-relative URL of its entry."""
    base = site_url.rstrip("/") + "/" if site_url else None
    # The document's keys sorted: "papers" comes before "topics".
    yield '{"papers":['
    for number, paper in enumerate(sorted(catalogue.papers, key=lambda p: p.id)):
        # The fields as they are (a copy of the model's ``__dict__``, what ``dict(model)``
        # gives, without its iterator): model_dump() would copy every list and dict first,
        # and Paper has no sub-model or serialiser that it would convert.
        record = paper.__dict__.copy()
        record["bibtex"] = bibtex[paper.id]
        record["url"] = locations[paper.id]
        if base:
            record["absolute_url"] = base + locations[paper.id]
        yield ("," if number else "") + _ENCODER.encode(record)
    yield '],"topics":' + _ENCODER.encode([t.model_dump() for t in catalogue.topics]) + "}\n"
