"""Semantic Scholar's Graph API title match: the one paper whose title best matches a query.

API: https://api.semanticscholar.org/api-docs/graph (``/paper/search/match``). The answer is
``{"data": [{"paperId", "title", "matchScore", "authors": [{"authorId", "name"}],
"externalIds": {"ArXiv": ...}, "publicationDate", "venue", "year"}]}``, and HTTP 404 with
``{"error": "Title match not found"}`` when nothing matches. Without an API key the service
shares one pool between all anonymous users; with a key it allows one request per second.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from generator.model import Paper
import httpx

from generator.enrich.sources import Record, Unavailable
from generator.enrich.sources.http import PoliteClient
from generator.text import normalise_title

API_URL = "https://api.semanticscholar.org/graph/v1/paper/search/match"
FIELDS = "title,authors,externalIds,publicationDate,venue,year"
MIN_INTERVAL = 1.0

_ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$")


class S2Author(BaseModel):
    model_config = ConfigDict(extra="ignore")

    authorId: str | None = None
    name: str


class S2Paper(BaseModel):
    """One paper of a Graph API answer, with the fields we ask for."""

    model_config = ConfigDict(extra="ignore")

    paperId: str
    title: str
    matchScore: float | None = None
    authors: list[S2Author] = []
    externalIds: dict[str, str | int] | None = None
    publicationDate: str | None = None
    venue: str | None = None
    year: int | None = None
    #: Only when asked for (``python -m generator add`` asks by arXiv id, with the abstract).
    abstract: str | None = None

    @property
    def arxiv_id(self) -> str | None:
        match = _ARXIV_ID.match(str((self.externalIds or {}).get("ArXiv", "")))
        return match.group(1) if match else None

    def record(self) -> Record:
        return Record(
            source="semantic-scholar",
            ref=self.paperId,
            title=" ".join(self.title.split()),
            confidence="likely",  # a title match, never an identity
            authors=tuple(a.name.strip() for a in self.authors if a.name.strip()),
            arxiv_id=self.arxiv_id,
            published=self.publicationDate or None,
            venue=(self.venue or "").strip() or None,
        )


class S2Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[S2Paper] = []


def parse_match(text: str) -> list[S2Paper]:
    """The papers of a ``/paper/search/match`` answer, best match first."""
    try:
        return S2Answer.model_validate(json.loads(text)).data
    except RecursionError:
        raise Unavailable("semantic-scholar: unexpected answer (JSON nested too deep)") from None
    except (ValueError, ValidationError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise Unavailable(f"semantic-scholar: unexpected answer ({problem})") from None


def make_client(*, api_key: str | None = None, **options: Any) -> PoliteClient:
    """A client at one request per second, sending ``api_key`` as ``x-api-key`` when given:
    over https to the API's own host only, never where a redirect points elsewhere."""
    credentials = {"x-api-key": api_key} if api_key else {}
    return PoliteClient(
        "semantic-scholar",
        min_interval=MIN_INTERVAL,
        credentials=credentials,
        credential_host=httpx.URL(API_URL).host,
        **options,
    )


class SemanticScholarSource:
    """Asks Semantic Scholar for the paper whose title best matches the catalogue's title."""

    name = "semantic-scholar"

    def __init__(self, client: PoliteClient):
        self.client = client

    @property
    def requests(self) -> int:
        return self.client.requests

    def lookup(self, paper: Paper) -> Record | None:
        # Plain words: the service's search stumbles on hyphens and punctuation.
        params = {"query": normalise_title(paper.title), "fields": FIELDS}
        answer = self.client.get(API_URL, params)
        if answer.status == 404:
            return None
        papers = parse_match(answer.text)
        return papers[0].record() if papers else None
