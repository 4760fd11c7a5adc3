"""Where enrichment reads facts about a paper: the recorded metadata file, arXiv, Semantic Scholar.

Every source answers one question, ``lookup(paper) -> Record | None``: what it knows about the
paper with this title (or arXiv id). A source never decides whether its answer is the same
paper; generator/enrich/enrich.py checks that before anything is copied into the catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from generator.errors import AtlasError
from generator.model import Paper

class Unavailable(AtlasError):
    """The source cannot answer about this one paper: its answer was damaged or hostile (too
    big, nested too deep, not what the service sends). Enrichment reports "source unavailable
    for this paper" and asks the source about the next paper as usual."""


#: How sure a source is that a record describes the paper it was asked about.
Confidence = Literal["exact", "likely", "none"]


@dataclass(frozen=True)
class Record:
    """What one source knows about one paper. Empty fields are unknown, never guessed."""

    #: The source's name, e.g. ``"metadata-file"``, ``"arxiv"``, ``"semantic-scholar"``.
    source: str
    #: The id or URL the facts were read from, e.g. ``"2403.09631"`` or a page URL.
    ref: str
    title: str
    confidence: Confidence
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    #: First publication date, ``YYYY-MM-DD`` (or ``YYYY-MM``).
    published: str | None = None
    venue: str | None = None
    #: arXiv's primary category, e.g. ``cs.RO``.
    arxiv_category: str | None = None

    @property
    def provenance(self) -> str:
        """The value enrichment stores in ``paper.provenance[field]``: ``"<source> <id or URL>"``."""
        return f"{self.source} {self.ref}"


class Source(Protocol):
    """Anything enrichment can ask about a paper."""

    #: Short name used in provenance and in the report.
    name: str

    @property
    def requests(self) -> int:
        """Network requests made so far (0 for offline sources)."""
        ...

    def lookup(self, paper: Paper) -> Record | None:
        """The record this source holds for ``paper``, or None when it knows nothing."""
        ...
