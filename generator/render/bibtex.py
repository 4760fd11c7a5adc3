"""The BibTeX stage: papers -> BibTeX entries (bibtexparser's model and writer).

An entry's type comes from the paper's venue, read against the curated venue table
(:mod:`generator.render.venues`), in the shapes DBLP and Google Scholar users expect::

    @inproceedings{zhen20243dvla,
      title         = {{3D-VLA}: {A} {3D} Vision-Language-Action Generative World Model},
      author        = {Haoyu Zhen and Xiaowen Qiu and Peihao Chen and others},
      booktitle     = {International Conference on Machine Learning (ICML 2024)},
      year          = {2024},
      eprint        = {2403.09631},
      archivePrefix = {arXiv},
      url           = {https://arxiv.org/abs/2403.09631}
    }

* a known conference or workshop: ``@inproceedings`` with ``booktitle`` and the venue's year;
* a known journal: ``@article`` with ``journal`` (and volume, number, pages when given);
* anything else (a preprint, a thesis, a venue not in the table), and a paper without
  authors (whose authors are still to be found): ``@misc``, the venue as ``howpublished``;
  its year is the venue's, else the date's, with the date's month (``month = mar``: a
  macro every style knows) when the year is the date's.
  Every entry has the arXiv ``eprint``, ``archivePrefix`` and ``primaryClass`` when known.

What prints is the catalogue's text, in plainnat, unsrtnat, IEEEtran and biblatex alike
(tests/test_bibtex_styles.py compiles every entry with each): LaTeX specials are escaped,
formulas print as formulas and title words keep their capitals (:mod:`generator.render.latex`,
with the catalogue's lexicon of proper nouns); authors are written so BibTeX splits them
right (:func:`bibtex_name`); an entry without authors gets a short ``key`` (natbib's label
and everyone's sort key, with the year: natbib prints no year of its own beside a key) and
``shorttitle`` (biblatex's label), never the whole title. Display-only fields (tldr, tags,
upvotes, abstract) are never written.

A build formats each entry once (:func:`entries`, or :func:`entry_text` for one paper) and
makes every .bib file from those texts; :func:`library_chunks` gives a file in pieces, one
per entry, so a big library is written as it is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import AddEnclosingMiddleware
from bibtexparser.model import Entry, Field

from ..errors import AtlasError, quote
from ..ingest.keys import STOP_WORDS
from ..model import BibtexLexicon, Catalogue, Paper, Retired
from ..names import Name, parse_name
from .latex import clean, escape, latex_text, title_field
from .venues import Publication, publication

#: Months as BibTeX's predefined macros (``month = mar``, unbraced): plain.bst prints "March",
#: biber reads them as month 3, and neither warns.
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: "and" as a word of a name: BibTeX would split the name there.
_AND = re.compile(r"(?<!\S)(and)(?!\S)", re.IGNORECASE)

#: Writer settings: two-space indent, ``=`` aligned for the longest field (archivePrefix).
#: A fixed column (not "auto") keeps an entry's text the same alone and inside a file.
_FORMAT = bibtexparser.BibtexFormat()
_FORMAT.indent = "  "
_FORMAT.value_column = len("archivePrefix = ")

#: Braces around every value except those demanding none (``month = mar``). In place:
#: the libraries written here are built for the write and thrown away.
_ENCLOSE = AddEnclosingMiddleware(
    reuse_previous_enclosing=False,
    enclose_integers=True,
    default_enclosing="{",
    allow_inplace_modification=True,
)

_NO_LEXICON = BibtexLexicon()


@dataclass(frozen=True, eq=False)  # one per lexicon (_lookup): hashed by identity, cheaply
class Lexicon:
    """The catalogue's lexicon as the citation formats look it up: its proper nouns, and
    each author's name parsed once (:func:`generator.names.parse_name`)."""

    proper_nouns: tuple[str, ...]
    family_names: frozenset[str]
    groups: frozenset[str]
    _names: dict[str, Name] = field(default_factory=dict, repr=False)

    def name(self, author: str) -> Name:
        found = self._names.get(author)
        if found is None:
            found = self._names[author] = parse_name(author, self.family_names, self.groups)
        return found


@lru_cache(maxsize=16)
def _lookup(proper_nouns: tuple[str, ...], family_names: tuple[str, ...], groups: tuple[str, ...]) -> Lexicon:
    return Lexicon(proper_nouns, frozenset(family_names), frozenset(groups))


def lexicon_of(lexicon: BibtexLexicon | None) -> Lexicon:
    """The :class:`Lexicon` of the catalogue's ``bibtex:`` section (one per distinct section)."""
    lexicon = lexicon or _NO_LEXICON
    return _lookup(tuple(lexicon.proper_nouns), tuple(lexicon.family_names), tuple(lexicon.groups))


def _words(text: str) -> str:
    """Name text with a standalone "and" braced, so BibTeX does not split the name there."""
    text = escape(text)
    return _AND.sub(r"{\1}", text) if "and" in text.lower() else text


def bibtex_name(name: Name, written: str) -> str:
    """One author as BibTeX name text that BibTeX splits as meant.

    A group is braced whole (``{Open-Ended Learning Team}``): one name, sorted and cited by
    its first word. A family name of more than one word, or a suffix, is written first
    (``Vilares Ferro, Manuel``, ``van Hasselt, Hado``, ``King, Jr., Martin``); a family
    name with a particle inside is braced, or BibTeX would take its first words for a
    particle (``{D'Amely di Melendugno}, Guido Maria``). Any other name is written as
    printed (BibTeX takes its last word for the family name); a name with a comma is kept
    as written, its commas braced; a lone ``others`` would print as "et al.".
    """
    if name.group:
        return "{" + escape(name.family) + "}"
    if name.parsed and name.given and (name.multiword_family or name.suffix):
        family = _words(name.family)
        if name.family[0].isupper() and any(w[0].islower() for w in name.family.split()[1:]):
            family = "{" + family + "}"
        return ", ".join([family] + ([_words(name.suffix)] if name.suffix else []) + [_words(name.given)])
    text = _words(written)
    if "," in text:
        text = text.replace(",", "{,}")
    return "{" + text + "}" if text.lower() == "others" else text


@lru_cache(maxsize=1 << 16)  # people write many papers: each name is written once
def _author(author: str, words: Lexicon) -> str:
    return bibtex_name(words.name(author), author)


def author_field(paper: Paper, lexicon: BibtexLexicon | None = None) -> str | None:
    """``A and B``, plus ``and others`` when ``authors_count`` says the list is cut short."""
    words = lexicon_of(lexicon)
    names = [_author(a, words) for a in paper.authors]
    names = [n for n in names if n]
    if not names:
        return None
    if paper.authors_count and paper.authors_count > len(paper.authors):
        names.append("others")
    return " and ".join(names)


#: Words a short label skips besides the key's stop words: "Why Are Web AI Agents ..." -> "Web".
_LABEL_SKIPS = STOP_WORDS | {"why", "how", "what", "when", "where", "which", "who", "not", "let", "lets"}
_HANDLE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def short_label(paper: Paper) -> str:
    """A short stand-in for the authors of a paper without them, for labels and sorting:
    the organisation the listing named (its name, without the Hugging Face handle before
    it), else the system name before the title's colon (at most three words), else the
    title's first significant word. As plain text (formulas as written)."""
    if paper.organization:
        handle, _, name = clean(paper.organization).partition(" ")
        return name if name and _HANDLE.match(handle) else clean(paper.organization)
    title = clean(paper.title)
    head, colon, _ = title.partition(": ")
    if colon and len(head.split()) <= 3 and len(head) <= 40:
        return head
    for word in title.split():
        bare = word.strip(".,;:!?\"'()[]")
        if bare and bare.casefold() not in _LABEL_SKIPS:
            return bare
    return title.split()[0] if title.split() else paper.bibtex_key


def best_url(paper: Paper) -> str | None:
    """The arXiv abstract page, else links.project, else links.code, else the first link."""
    if paper.arxiv_id:
        return f"https://arxiv.org/abs/{paper.arxiv_id}"
    for name in ("project", "code"):
        if name in paper.links:
            return paper.links[name]
    return next(iter(paper.links.values()), None)


def _url_field(url: str) -> str:
    # Percent-encoding keeps the URL equivalent and BibTeX's brace count balanced.
    return url.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def entry_type(paper: Paper) -> tuple[str, Publication | None]:
    """``inproceedings``, ``article`` or ``misc``, and what the venue says (see the module docstring)."""
    published = publication(paper.venue)
    if published is None or not paper.authors or not (published.year or paper.date):
        return "misc", published
    return ("article" if published.kind == "journal" else "inproceedings"), published


def entry_year(paper: Paper, published: Publication | None) -> str | None:
    """The year of the entry: the venue's, else the paper's date's."""
    return (published.year if published else None) or (paper.date[:4] if paper.date else None)


def paper_entry(paper: Paper, lexicon: BibtexLexicon | None = None) -> Entry:
    """The bibtexparser entry of one paper; field order is fixed."""
    words = lexicon_of(lexicon)
    kind, published = entry_type(paper)
    year = entry_year(paper, published)
    fields = [Field("title", title_field(paper.title, words.proper_nouns))]
    authors = author_field(paper, lexicon)
    if authors:
        fields.append(Field("author", authors))
    else:
        # Styles label and sort an entry without authors by its key (natbib: the whole
        # label, without a year of its own: hence the year in it), biblatex by its shorttitle.
        label = latex_text(short_label(paper))
        fields.append(Field("key", f"{label}, {year}" if year else label))
        fields.append(Field("shorttitle", label))
    if kind == "inproceedings":
        fields.append(Field("booktitle", latex_text(published.container)))
    elif kind == "article":
        fields.append(Field("journal", latex_text(published.container)))
        numbers = (("volume", published.volume), ("number", published.number), ("pages", published.pages))
        fields += [Field(name, value) for name, value in numbers if value]
    if kind == "misc":
        if year:
            fields.append(Field("year", year))
        if paper.date and year == paper.date[:4]:  # the date's month, if it is the entry's year
            fields.append(Field("month", MONTHS[int(paper.date[5:7]) - 1], enclosing="no-enclosing"))
        venue = latex_text(published.container) if published else escape(paper.venue or "")
        if venue:
            fields.append(Field("howpublished", venue))
    else:
        fields.append(Field("year", year))
    if published and published.note:
        fields.append(Field("note", latex_text(published.note)))
    if paper.arxiv_id:
        fields.append(Field("eprint", paper.arxiv_id))
        fields.append(Field("archivePrefix", "arXiv"))
        if paper.arxiv_category:
            fields.append(Field("primaryClass", paper.arxiv_category))
    url = best_url(paper)
    if url:
        fields.append(Field("url", _url_field(url)))
    return Entry(kind, paper.bibtex_key, fields)


def entry_text(paper: Paper, lexicon: BibtexLexicon | None = None) -> str:
    """The BibTeX text of one paper, ending in a newline; .bib files are these joined.
    ``lexicon``: the catalogue's ``bibtex:`` section (:func:`entries` passes it)."""
    entry = paper_entry(paper, lexicon)
    # The enclosing middleware on this one entry, then the writer with nothing more to do:
    # the same text as write_string(Library([entry]), unparse_stack=[_ENCLOSE]), without
    # the middleware's per-call library (this runs once per paper: 100,000 times at scale).
    _ENCLOSE.transform_entry(entry, None)
    return bibtexparser.write_string(Library([entry]), unparse_stack=[], bibtex_format=_FORMAT)


def entries(catalogue: Catalogue) -> dict[str, str]:
    """Every paper's entry text, by paper id, with the catalogue's lexicon: what a build
    formats once and makes every .bib file (and page) from."""
    return {paper.id: entry_text(paper, catalogue.bibtex) for paper in catalogue.papers}


def library_chunks(papers: Iterable[Paper], entries: Mapping[str, str] | None = None) -> Iterator[str]:
    """A whole .bib file in pieces, one per entry, for writing a big file as it is made:
    joined, the papers' entries in the given order, one blank line apart.

    Each entry is exactly :func:`entry_text` (taken from ``entries``, paper id -> text, when
    the caller already has them); the file ends with a newline (and is empty for no
    papers). Two papers with the same ``bibtex_key`` are refused: BibTeX would silently
    drop the second. The duplicate key check runs as the pieces come: a refused library
    raises before the piece of the paper whose key is taken.
    """
    owners: dict[str, str] = {}
    for paper in papers:
        if paper.bibtex_key in owners:
            raise AtlasError(
                f"papers {owners[paper.bibtex_key]!r} and {paper.id!r} "
                f"share the bibtex_key {paper.bibtex_key!r}"
            )
        text = entries[paper.id] if entries is not None else entry_text(paper)
        yield "\n" + text if owners else text
        owners[paper.bibtex_key] = paper.id


#: The whole library; a topic may not take this name for its own .bib file.
LIBRARY = "bib/references.bib"


def bib_files(catalogue: Catalogue, entries: Mapping[str, str]) -> Iterator[tuple[str, Iterator[str]]]:
    """The BibTeX files: the whole library, then one per topic, from ``entries`` (paper
    id -> entry text); each file's content comes in pieces, one per entry."""
    if any(f"bib/{t.slug}.bib" == LIBRARY for t in catalogue.topics):
        raise AtlasError(f"topic slug 'references' is taken by the whole library, {LIBRARY}; rename the topic")
    yield LIBRARY, references_chunks(catalogue, entries)
    members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
    for paper in catalogue.papers:
        for slug in paper.topics:
            if slug in members:
                members[slug].append(paper)
    for topic in catalogue.topics:
        yield f"bib/{topic.slug}.bib", library_chunks(members[topic.slug], entries)


# --- retired keys ------------------------------------------------------------------------
# A key readers cited keeps resolving after its paper was retired (model.Retired): the
# whole library (bib/references.bib) starts with one entry per retired key.


def retired_entry_text(retired: Retired, keys: Mapping[str, str]) -> str:
    """The .bib entry that keeps a retired key citable, ending in a newline.

    With a replacement (``keys``: paper id -> bibtex_key), ``crossref`` to its key: BibTeX
    and biber fill in every field from it, so ``\\cite{old}`` prints the paper that stands
    for it, with a note naming its key now. Without one, a ``@misc`` titled with the old id,
    with the old key as ``key`` (for sorting) and a note saying why it was retired (biber
    warns that it has no date, as for any undated paper). Either way, an entry that
    plain.bst compiles without warnings; a crossref entry must come before the entry it
    names, so these go first in a file (:func:`references_chunks`).
    """
    new_key = keys.get(retired.replaced_by) if retired.replaced_by else None
    if new_key:
        fields = [Field("crossref", new_key), Field("note", escape(f"Now cited as {new_key}"))]
    else:
        fields = [
            Field("title", "{" + escape(retired.id) + "}"),
            Field("key", retired.bibtex_key),
            Field("note", escape(f"Retired from the survey: {retired.reason}")),
        ]
    entry = Entry("misc", retired.bibtex_key, fields)
    _ENCLOSE.transform_entry(entry, None)
    return bibtexparser.write_string(Library([entry]), unparse_stack=[], bibtex_format=_FORMAT)


def references_chunks(catalogue: Catalogue, entries: Mapping[str, str] | None = None) -> Iterator[str]:
    """The whole library in pieces: an entry per retired key (:func:`retired_entry_text`),
    then :func:`library_chunks` of every paper. A retired key that a paper has, or that
    is retired twice, is refused (BibTeX would drop the second entry silently)."""
    keys = {p.id: p.bibtex_key for p in catalogue.papers}
    taken = set(keys.values())
    done: set[str] = set()
    for retired in catalogue.retired:
        if retired.replaced_by and keys.get(retired.replaced_by) == retired.bibtex_key:
            continue  # only the id changed: the key is the paper's own entry
        if retired.bibtex_key in taken or retired.bibtex_key in done:
            raise AtlasError(f"retired {quote(retired.id)}: bibtex_key {quote(retired.bibtex_key)} is taken; a retired key is never reused")
        done.add(retired.bibtex_key)
        yield retired_entry_text(retired, keys) + "\n"
    yield from library_chunks(catalogue.papers, entries)
