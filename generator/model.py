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

from .errors import quote

#: Cross-cutting tags a paper may carry, besides its topics.
TAGS = ("survey", "benchmark", "dataset")

#: TL;DRs longer than this are refused by the schema.
TLDR_MAX = 300

# Bounds on everything a pull request can put in the catalogue, so that no input can blow
# up the site (a chart 7 MB wide, a nav of 1,000 topics on every page, a 2 MB link on a
# page, an author list over BibTeX's global string size of 200,000 characters). Each is
# far above what a real survey needs; a value past one is refused in one located line.
#: The first year a paper may be dated; the last is next year (papers dated "in press").
MIN_YEAR = 1950
#: Characters in a title (a listing's longer "titles" are skipped as well).
TITLE_MAX = 500
#: Authors of one paper (500 names of 300 characters stay under BibTeX's string limit).
AUTHORS_MAX = 500
#: Topics of the taxonomy (every page carries them all in its navigation), and of one paper.
TOPICS_MAX = 50
PAPER_TOPICS_MAX = 10
#: Characters in a URL, and links of one paper.
URL_MAX = 2000
LINKS_MAX = 20

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)]
BibtexKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9]*$", max_length=40)]
ArxivId = Annotated[
    str,
    StringConstraints(pattern=r"^(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})$"),
]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=TITLE_MAX)]
#: A short text: a name, a venue, an organisation, a listing's file name.
Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
#: A field name as a key of ``provenance`` and ``generated``.
FieldName = Annotated[str, StringConstraints(min_length=1, max_length=40)]


_YEAR_MONTH = re.compile(r"\d{4}-\d{2}")
_YEAR_MONTH_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: What a URL may not hold: quotes and angle brackets (they end an attribute or a tag), any
#: space or control character (NUL makes biber abort on the whole library; CR, LF, tabs),
#: and the invisible format characters (zero-width joiners, bidirectional overrides).
_NOT_IN_URLS = re.compile(r'[<>"\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]')


def last_year() -> int:
    """The last year a date may have: next year (in UTC)."""
    return dt.datetime.now(dt.timezone.utc).year + 1


def year_in_range(year: int) -> bool:
    """Whether a paper may be dated in ``year`` (:data:`MIN_YEAR` to next year)."""
    return MIN_YEAR <= year <= last_year()


def _check_date(value: str) -> str:
    """Accept ``YYYY-MM-DD`` or ``YYYY-MM`` (month precision) for real calendar dates from
    :data:`MIN_YEAR` to next year."""
    if _YEAR_MONTH.fullmatch(value):
        year, month = map(int, value.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(f"impossible date {quote(value)}: month {month} does not exist")
    elif not _YEAR_MONTH_DAY.fullmatch(value):
        raise ValueError(f"date {quote(value)} is not YYYY-MM-DD or YYYY-MM")
    else:
        try:
            year = dt.date.fromisoformat(value).year
        except ValueError:
            raise ValueError(f"impossible date {quote(value)}") from None
    if not year_in_range(year):
        raise ValueError(f"date {quote(value)} is out of range ({MIN_YEAR} to {last_year()})")
    return value


def _check_url(value: str) -> str:
    """Only absolute http(s) URLs with a host, without spaces or control characters: never
    ``javascript:`` or relative links."""
    bad = _NOT_IN_URLS.search(value)
    if bad:
        char = bad.group()
        what = "a space" if char == " " else f"the character U+{ord(char):04X}"
        raise ValueError(f"malformed URL {quote(value)}: {what} is not allowed in a URL (percent-encode it)")
    try:
        parts = urlsplit(value)
    except ValueError:  # an unbalanced "[" in the host
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"malformed URL {quote(value)}: expected an absolute http(s) URL")
    return value


def is_valid_url(value: str) -> bool:
    """Whether the schema takes ``value`` as a link (see :func:`_check_url`, :data:`URL_MAX`)."""
    try:
        _check_url(value)
    except ValueError:
        return False
    return len(value) <= URL_MAX


def _empty(kind: type) -> Any:
    """The default of an optional list or mapping field: a new empty one for each model
    (pydantic would deep-copy a shared ``[]`` or ``{}``, 160,000 times for 100,000 papers),
    still published as ``"default": []`` (or ``{}``) in the JSON Schema."""
    return Field(default_factory=kind, json_schema_extra={"default": kind()})


Date = Annotated[
    str,
    AfterValidator(_check_date),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$",
            "description": f"YYYY-MM-DD or YYYY-MM, from {MIN_YEAR} to next year",
        }
    ),
]
Url = Annotated[
    str,
    StringConstraints(max_length=URL_MAX),
    AfterValidator(_check_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://[^\\s<>\"]*$", "maxLength": URL_MAX}),
]
LinkName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=40)]


class Topic(BaseModel):
    """A page of the survey, with the phrases that put papers on it."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    #: Phrases (case-insensitive, matched on word boundaries) that put a paper on this
    #: topic when found in its title (weighs most) or abstract. See generator/ingest/taxonomy.py.
    phrases: Annotated[list[Annotated[str, StringConstraints(min_length=2, max_length=200)]], Field(max_length=500)] = _empty(list)


class Paper(BaseModel):
    """One paper of the catalogue. Field order here is the key order in papers.yaml."""

    model_config = ConfigDict(extra="forbid")

    id: Slug
    title: Title
    authors: Annotated[list[Name], Field(max_length=AUTHORS_MAX)] = _empty(list)
    authors_count: Annotated[int, Field(ge=1, le=10_000)] | None = None
    organization: Name | None = None
    date: Date | None = None
    venue: Name | None = None
    arxiv_id: ArxivId | None = None
    #: arXiv's primary category (``cs.RO``), exported as BibTeX ``primaryClass``.
    arxiv_category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$", max_length=40)] | None = None
    upvotes: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    topics: Annotated[list[Slug], Field(min_length=1, max_length=PAPER_TOPICS_MAX)]
    tags: list[Literal[TAGS]] = _empty(list)  # type: ignore[valid-type]
    tldr: Annotated[str, StringConstraints(min_length=1, max_length=TLDR_MAX)]
    links: Annotated[dict[LinkName, Url], Field(max_length=LINKS_MAX)] = _empty(dict)
    bibtex_key: BibtexKey
    abstract: Text
    sources: Annotated[list[Name], Field(max_length=100)] = _empty(list)
    #: The day the paper entered the survey (set by import, add and accept; never changed
    #: afterwards). Feeds and "what's new" read it.
    added: Date | None = None
    #: Where enriched values came from: field -> "source id-or-URL".
    provenance: Annotated[dict[FieldName, Annotated[str, StringConstraints(max_length=1000)]], Field(max_length=40)] = _empty(dict)
    #: Fingerprints of the values the generator last wrote: field -> short hash.
    #: A field whose value no longer matches its fingerprint was edited by a human
    #: (it is "curated") and no generator step will touch it again.
    generated: Annotated[dict[FieldName, Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]], Field(max_length=40)] = _empty(dict)

    @model_validator(mode="after")
    def _unique_lists(self) -> "Paper":
        for name in ("topics", "tags"):
            values = getattr(self, name)
            if len(values) > 1 and len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return self


class Retired(BaseModel):
    """A published id or BibTeX key that no paper has any more, kept so that what readers
    cite and link to still resolves: a paper removed (withdrawn, off-topic, a duplicate of
    another) or whose id or key was changed. ``validate --base`` refuses such a change
    without one.

    The site sends the old anchor (``#<id>``) to ``replaced_by``'s entry, and the .bib
    keeps the old key: an entry with ``crossref`` to ``replaced_by``'s key, or, with no
    replacement, a ``@misc`` entry whose note gives the reason.
    """

    model_config = ConfigDict(extra="forbid")

    #: The old id (its anchor): never the id of a paper of the catalogue, except the
    #: paper's own when only its key changed (then ``replaced_by`` is that id).
    id: Slug
    #: The old key, kept in the .bib; never the key of a paper of the catalogue.
    bibtex_key: BibtexKey
    #: The paper that now stands for it (an id under ``papers:``), if any.
    replaced_by: Slug | None = None
    #: Why, for readers and curators ("duplicate of ...", "withdrawn by its authors").
    reason: Name


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
    """The whole of papers.yaml: the taxonomy in page order, the BibTeX lexicon, the papers,
    and the retired ids and keys that must stay resolvable."""

    model_config = ConfigDict(extra="forbid")

    topics: Annotated[list[Topic], Field(min_length=1, max_length=TOPICS_MAX)]
    bibtex: BibtexLexicon = Field(default_factory=BibtexLexicon, json_schema_extra={"default": {}})
    papers: list[Paper] = []
    retired: list[Retired] = _empty(list)

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
    title: Title
    authors: Annotated[list[Name], Field(max_length=AUTHORS_MAX)] = _empty(list)
    date: Date | None = None
    arxiv_category: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$", max_length=40)] | None = None
    venue: Name | None = None
    abstract: Text
    #: The day the discovery put it in the queue.
    found: Date
    #: The topic whose phrases found it.
    found_by: Slug


class Rejected(BaseModel):
    """A candidate a curator turned down: never proposed again."""

    model_config = ConfigDict(extra="forbid")

    arxiv_id: ArxivId
    title: Title
    reason: Name | None = None


class CandidateQueue(BaseModel):
    """The whole of candidates.yaml: papers waiting for review, and papers turned down."""

    model_config = ConfigDict(extra="forbid")

    candidates: list[Candidate] = _empty(list)
    rejected: list[Rejected] = _empty(list)
