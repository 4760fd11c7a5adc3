"""The BibTeX stage: papers -> BibTeX entries (bibtexparser's model and writer).

Every paper becomes one ``@misc`` entry in the shape arXiv's own export uses::

    @misc{zhen20243dvla,
      title         = {{3D}-{VLA}: {A} {3D} Vision-Language-Action Generative World Model},
      author        = {Haoyu Zhen and Xiaowen Qiu and Peihao Chen},
      year          = {2024},
      month         = mar,
      howpublished  = {ICML 2024},
      eprint        = {2403.09631},
      archivePrefix = {arXiv},
      url           = {https://arxiv.org/abs/2403.09631}
    }

Why always ``@misc``: ``venue`` is free text ("NeurIPS 2023 (spotlight)", "PhD thesis, Lund
University (2018)", "Nature 588(7839):604-609 (2020)"); turning it into ``@inproceedings``,
``@article`` or ``@phdthesis`` would be a guess, and those types make plain.bst warn about
the fields we cannot fill (booktitle, journal, school, ...). ``@misc`` with the venue as
``howpublished`` prints it verbatim in every style and passes biber's datamodel check.

Every entry compiles with plain.bst without warnings, and the reader sees the catalogue's
text: LaTeX specials are escaped (see :data:`_ESCAPES`), title words whose capitals must
survive sentence-casing styles are braced one by one (``{VLA}``, ``{ReAct}``, ``{3D}``), and
non-ASCII text stays UTF-8. Display-only fields (tldr, tags, upvotes, abstract) are never
written.

A build formats each entry once (:func:`entry_text`) and makes every .bib file from those
texts; :func:`library_chunks` gives a file in pieces, one per entry, so a big library is
written as it is made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import AddEnclosingMiddleware
from bibtexparser.model import Entry, Field

from ..errors import AtlasError, quote
from ..model import Catalogue, Paper, Retired

#: Months as BibTeX's predefined macros (``month = mar``, unbraced): plain.bst prints "March",
#: biber reads them as month 3, and neither warns.
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

#: LaTeX specials and what the reader should see instead. Braces and the backslash become
#: commands, never ``\{``: BibTeX counts every brace, escaped or not, so ``\{`` alone would
#: unbalance the entry. ``<``, ``>`` and ``|`` print as other glyphs in LaTeX's default
#: OT1 encoding. Commands sit in ``{\...}`` groups, which BibTeX treats as one character.
_ESCAPES = {
    "\\": r"{\textbackslash}",
    "{": r"{\textbraceleft}",
    "}": r"{\textbraceright}",
    "~": r"{\textasciitilde}",
    "^": r"{\textasciicircum}",
    "<": r"{\textless}",
    ">": r"{\textgreater}",
    "|": r"{\textbar}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
#: Any of those characters: text without one (most names and titles) needs no translation.
_SPECIAL = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")

#: Control characters (other than whitespace, which _clean turns into spaces) and lone
#: surrogates: they have no printed form and cannot be written as UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")

#: "and" as a word of a name: BibTeX would split the name there.
_AND = re.compile(r"(?<!\S)(and)(?!\S)", re.IGNORECASE)

#: A title word: letters and digits (any script).
_WORD = re.compile(r"([^\W_]+)")
#: A title that opens with a one-word system name and a colon: "Recon-Act: A Self-...".
_NAME = re.compile(r"^([^\s:{}\\]+):\s")

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


def _clean(text: str) -> str:
    """Single spaces for any whitespace run; control characters and surrogates dropped."""
    # Printable text has no whitespace but the plain space: then single inner spaces and
    # none at the ends mean there is nothing to do (the common case, and a fast check).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_CONTROL.sub("", text).split())


def escape(text: str) -> str:
    """``text`` as BibTeX/LaTeX source that prints as ``text`` (no case protection)."""
    text = _clean(text)
    return text.translate(_ESCAPE_TABLE) if _SPECIAL.search(text) else text


def _keeps_case(word: str) -> bool:
    """Whether sentence-casing styles would wrongly lowercase this title word.

    Acronyms and mixed case (VLA, ReAct, OpenVLA, 3D), capitals with digits (R1, GPT4)
    and single capitals (Q-learning, Plan A, I). ``word`` is letters and digits only.
    """
    lowered = word.lower()
    if lowered == word:
        return False
    rest = word[1:]
    return len(word) == 1 or rest.lower() != rest or not word.isalpha()


def title_field(title: str) -> str:
    """The ``title`` value: escaped, with case-sensitive words braced one by one."""
    # Escaping only adds lowercase command names, which are never braced.
    name = _NAME.match(title)
    if name and any(c.isupper() for c in name[1][1:]):
        # "Recon-Act: ..." names the system: keep the whole name as written, not "Recon-act".
        rest = title_field(title[name.end(1) :]) if name.end(1) < len(title) else ""
        return "{" + escape(name[1]) + "}" + rest
    parts = _WORD.split(escape(title))
    for i in range(1, len(parts), 2):  # split() with a group puts the words at odd indices
        # Styles never lowercase a title's first letter: "A Survey" needs no "{A}".
        opening_letter = i == 1 and not parts[0] and len(parts[1]) == 1
        if _keeps_case(parts[i]) and not opening_letter:
            parts[i] = "{" + parts[i] + "}"
    return "".join(parts)


def _name(author: str) -> str:
    """One author as BibTeX name text that prints as written.

    Commas and a standalone ``and`` are braced so BibTeX neither reads ``Last, First``
    nor splits the name in two; a lone ``others`` would print as "et al.".
    """
    name = escape(author)
    if "," in name:
        name = name.replace(",", "{,}")
    lowered = name.lower()
    if "and" in lowered:
        name = _AND.sub(r"{\1}", name)
    return "{" + name + "}" if lowered == "others" else name


def author_field(paper: Paper) -> str | None:
    """``A and B``, plus ``and others`` when ``authors_count`` says the list is cut short."""
    names = [n for n in (_name(a) for a in paper.authors) if n]
    if not names:
        return None
    if paper.authors_count and paper.authors_count > len(paper.authors):
        names.append("others")
    return " and ".join(names)


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


def paper_entry(paper: Paper) -> Entry:
    """The bibtexparser entry of one paper; field order is fixed."""
    fields = [Field("title", title_field(paper.title))]
    authors = author_field(paper)
    if authors:
        fields.append(Field("author", authors))
    else:
        # plain.bst sorts entries without authors on `key` (and warns if it is missing).
        fields.append(Field("key", escape(paper.title) or paper.bibtex_key))
    if paper.date:
        fields.append(Field("year", paper.date[:4]))
        fields.append(Field("month", MONTHS[int(paper.date[5:7]) - 1], enclosing="no-enclosing"))
    venue = escape(paper.venue or "")
    if venue:
        fields.append(Field("howpublished", venue))
    if paper.arxiv_id:
        fields.append(Field("eprint", paper.arxiv_id))
        fields.append(Field("archivePrefix", "arXiv"))
        if paper.arxiv_category:
            fields.append(Field("primaryClass", paper.arxiv_category))
    url = best_url(paper)
    if url:
        fields.append(Field("url", _url_field(url)))
    return Entry("misc", paper.bibtex_key, fields)


def entry_text(paper: Paper) -> str:
    """The BibTeX text of one paper, ending in a newline; .bib files are these joined."""
    entry = paper_entry(paper)
    # The enclosing middleware on this one entry, then the writer with nothing more to do:
    # the same text as write_string(Library([entry]), unparse_stack=[_ENCLOSE]), without
    # the middleware's per-call library (this runs once per paper: 100,000 times at scale).
    _ENCLOSE.transform_entry(entry, None)
    return bibtexparser.write_string(Library([entry]), unparse_stack=[], bibtex_format=_FORMAT)


def library_chunks(papers: Iterable[Paper], entries: Mapping[str, str] | None = None) -> Iterator[str]:
    """:func:`library_text` in pieces, one per entry, for writing a big file as it is made.

    The duplicate key check runs as the pieces come: a refused library raises before
    the piece of the paper whose key is taken.
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


def library_text(papers: Iterable[Paper], entries: Mapping[str, str] | None = None) -> str:
    """A whole .bib file: the papers' entries in the given order, one blank line apart.

    Each entry is exactly :func:`entry_text` (taken from ``entries``, paper id -> text, when
    the caller already has them); the file ends with a newline (and is empty for no
    papers). Two papers with the same ``bibtex_key`` are refused: BibTeX would silently
    drop the second.
    """
    return "".join(library_chunks(papers, entries))


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
