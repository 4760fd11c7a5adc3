"""The one schema of the catalogue (papers.yaml): Topic, Paper, Catalogue.

Every stage reads and writes these models. The JSON Schema published at
``schema/papers.schema.json`` is generated from them (``python -m generator schema``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

#: Cross-cutting tags a paper may carry, besides its topics.
TAGS = ("survey", "benchmark", "dataset")

#: TL;DRs longer than this are refused by the schema.
TLDR_MAX = 300

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)]
BibtexKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*$", max_length=40)]
ArxivId = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})$"),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_YEAR_MONTH_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_NOT_IN_URLS = re.compile(r'[ <>"\n]')


def _check_date(value: str) -> str:
    """Accept ``YYYY-MM-DD`` or ``YYYY-MM`` (month precision) for real calendar dates."""
    if _YEAR_MONTH.fullmatch(value):
        year, month = map(int, value.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(f"impossible date {value!r}: month {month} does not exist")
        return value
    if not _YEAR_MONTH_DAY.fullmatch(value):
        raise ValueError(f"date {value!r} is not YYYY-MM-DD or YYYY-MM")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"impossible date {value!r}") from None
    return value


def _check_url(value: str) -> str:
    """Only absolute http(s) URLs with a host: never ``javascript:`` or relative links."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or _NOT_IN_URLS.search(value):
        raise ValueError(f"malformed URL {value!r}: expected an absolute http(s) URL")
    return value


def _empty(kind: type) -> Any:
    """The default of an optional list or mapping field: a new empty one for each model
    (pydantic would deep-copy a shared ``[]`` or ``{}``, 160,000 times for 100,000 papers),
    still published as ``"default": []`` (or ``{}``) in the JSON Schema."""
    return Field(default_factory=kind, json_schema_extra={"default": kind()})


Date = Annotated[str, AfterValidator(_check_date), WithJsonSchema({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"})]
Url = Annotated[str, AfterValidator(_check_url), WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"})]
LinkName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]


class Topic(BaseModel):
    """A page of the survey, with the phrases that put papers on it."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Text
    description: Text
    #: Phrases (case-insensitive, matched on word boundaries) that put a paper on this
    #: topic when found in its title (weighs most) or abstract. See generator/ingest/taxonomy.py.
    phrases: list[Annotated[str, StringConstraints(min_length=2, max_length=200)]] = _empty(list)


class Paper(BaseModel):
    """One paper of the catalogue. Field order here is the key order in papers.yaml."""

    model_config = ConfigDict(extra="forbid")

    id: Slug
    title: Text
    authors: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = _empty(list)
    authors_count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    organization: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    date: Date | None = None
    venue: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    arxiv_id: ArxivId | None = None
    #: arXiv's primary category (``cs.RO``), exported as BibTeX ``primaryClass``.
    arxiv_category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$", max_length=40)] | None = None
    upvotes: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    topics: Annotated[list[Slug], Field(min_length=1)]
    tags: list[Literal[TAGS]] = _empty(list)  # type: ignore[valid-type]
    tldr: Annotated[str, StringConstraints(min_length=1, max_length=TLDR_MAX)]
    links: dict[LinkName, Url] = _empty(dict)
    bibtex_key: BibtexKey
    abstract: Text
    sources: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = _empty(list)
    #: The day the paper entered the survey (set by import, add and accept; never changed
    #: afterwards). Feeds and "what's new" read it.
    added: Date | None = None
    #: Where enriched values came from: field -> "source id-or-URL".
    provenance: dict[str, Annotated[str, StringConstraints(max_length=1000)]] = _empty(dict)
    #: Fingerprints of the values the generator last wrote: field -> short hash.
    #: A field whose value no longer matches its fingerprint was edited by a human
    #: (it is "curated") and no generator step will touch it again.
    generated: dict[str, Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]] = _empty(dict)

    @model_validator(mode="after")
    def _unique_lists(self) -> "Paper":
        for name in ("topics", "tags"):
            values = getattr(self, name)
            if len(values) > 1 and len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return self


#: A word or phrase of the BibTeX lexicon: text as it is printed, without LaTeX specials.
LexiconEntry = Annotated[str, StringConstraints(pattern=r"^[^\s{}\\$%#&~^_](?:[^{}\\$%#&~^_\n\t]*[^\s{}\\$%#&~^_])?$", max_length=100)]


class BibtexLexicon(BaseModel):
    """What the BibTeX stage (generator/render/bibtex.py) cannot tell by rule; curators extend it.

    Acronyms, words with inner capitals or digits (``VLA``, ``RoboCasa``, ``GPT-4``) and
    names ending in an organisational word (``... Team``, ``... Consortium``) are found by
    rule; what is listed here is what no rule can see.
    """

    model_config = ConfigDict(extra="forbid")

    #: Capitalised title words and phrases that stay capitalised in styles that lower-case
    #: titles (``Android``, ``Monte-Carlo``, ``de Finetti``): matched whole and case-sensitively.
    proper_nouns: list[LexiconEntry] = _empty(list)
    #: Family names of more than one word that no rule can see (``Vilares Ferro``): an author
    #: whose name ends in one is written ``Vilares Ferro, Manuel``.
    family_names: list[LexiconEntry] = _empty(list)
    #: Group authors without an organisational word (``OpenAI``, ``Google DeepMind``): written
    #: as one name in braces, never split into given and family names.
    groups: list[LexiconEntry] = _empty(list)


class Catalogue(BaseModel):
    """The whole of papers.yaml: the taxonomy in page order, the BibTeX lexicon, then the papers."""

    model_config = ConfigDict(extra="forbid")

    topics: Annotated[list[Topic], Field(min_length=1)]
    bibtex: BibtexLexicon = Field(default_factory=BibtexLexicon, json_schema_extra={"default": {}})
    papers: list[Paper] = []

    def topic(self, slug: str) -> Topic:
        for topic in self.topics:
            if topic.slug == slug:
                return topic
        raise KeyError(slug)

    def papers_in(self, slug: str) -> list[Paper]:
        """Papers whose ``topics`` include ``slug`` (primary or secondary)."""
        return [p for p in self.papers if slug in p.topics]


class Candidate(BaseModel):
    """A paper the weekly discovery found on arXiv, waiting in candidates.yaml for a curator."""

    model_config = ConfigDict(extra="forbid")

    arxiv_id: ArxivId
    title: Text
    authors: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = _empty(list)
    date: Date | None = None
    arxiv_category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$", max_length=40)] | None = None
    venue: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    abstract: Text
    #: The day the discovery put it in the queue.
    found: Date
    #: The topic whose phrases found it.
    found_by: Slug


class Rejected(BaseModel):
    """A candidate a curator turned down: never proposed again."""

    model_config = ConfigDict(extra="forbid")

    arxiv_id: ArxivId
    title: Text
    reason: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None


class CandidateQueue(BaseModel):
    """The whole of candidates.yaml: papers waiting for review, and papers turned down."""

    model_config = ConfigDict(extra="forbid")

    candidates: list[Candidate] = _empty(list)
    rejected: list[Rejected] = _empty(list)
