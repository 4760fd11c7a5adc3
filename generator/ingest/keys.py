"""BibTeX citation keys: readable, Google-Scholar-style, and frozen once assigned.

A key is lowercase ASCII letters and digits, starts with a letter and has at most
40 characters (``BibtexKey`` in generator/model.py). Its base is built from the paper's
first author, year and title:

* with a first author: ``<family name><year><first significant title word>``,
  e.g. ``zhen20243dvla`` for "3D-VLA: A 3D Vision-Language-Action ..." by Haoyu Zhen (2024);
  a group author gives its first word instead of a family name (``openended2021...`` for
  the "Open-Ended Learning Team");
* without authors (or when the family name does not fold to a name starting with a
  letter): ``<first significant title word starting with a letter><year><next significant
  word>``, e.g. ``survey2024visionlanguageaction`` for "A Survey on Vision-Language-Action
  Models" (2024); ``paper<year><first word>`` if no title word starts with a letter;
* without a date the year is left out: ``zhen3dvla``, ``surveyvisionlanguageaction``.

Names and words are folded to ASCII with python-slugify (``Kuciński`` -> ``kucinski``,
``Müller`` -> ``muller``, ``张`` -> ``zhang``). A title word is a whitespace-separated token
with its punctuation removed (``3D-VLA:`` -> ``3dvla``); stop words (:data:`STOP_WORDS`) are
skipped. The base is cut to fit in 40 characters.

On collision the key gets a letter suffix: ``zhen2024vla``, ``zhen2024vlab``,
``zhen2024vlac``, ... ``zhen2024vlaz``, ``zhen2024vlaaa``, ``zhen2024vlaab``, ...

Keys are frozen: once a paper has a ``bibtex_key`` no function here changes it, because
papers citing the survey's .bib would break. :func:`rederive_all_keys` is the one exception,
run once by the enrichment step before the site is first published.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence, Set
from typing import Any

from slugify import slugify

from ..errors import AtlasError, quote
from ..names import is_group

KEY_MAX = 40

#: Title words that never make a key (articles, prepositions, conjunctions, auxiliaries).
STOP_WORDS = frozenset(
    """a an the on of for to towards toward in into onto and or with without via from by at
    as is are be do does can vs versus""".split()
)

#: Name tokens after the family name that are not the family name.
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "et", "al", "al."})

_FAMILY_MAX = 20


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _fold(text: str) -> str:
    """``text`` as lowercase ASCII letters and digits only.

    ASCII text needs no transliteration: slugify would only keep its letters and digits,
    lower-cased, which is done here directly (a tenth of the time; the tests check both
    agree). Anything else goes through slugify."""
    if text.isascii():
        return _NOT_ALNUM.sub("", text.lower())
    return slugify(text, separator="", entities=False, decimal=False, hexadecimal=False)


def family_name(author: str, groups: Collection[str] = ()) -> str:
    """The folded family name of an author: ``Łukasz Kuciński`` -> ``kucinski``.

    ``Last, First`` gives ``Last``; otherwise the last word, skipping suffixes like ``Jr.``.
    A group author (:func:`generator.names.is_group`; ``groups``: the lexicon's list) gives
    its first word: ``Open-Ended Learning Team`` -> ``openended``, not ``team``.
    """
    if is_group(author, groups):
        return _fold(author.split()[0])
    if "," in author:
        return _fold(author.split(",", 1)[0])
    tokens = author.split()
    while len(tokens) > 1 and tokens[-1].casefold() in _NAME_SUFFIXES:
        tokens.pop()
    return _fold(tokens[-1]) if tokens else ""


def _significant_words(title: str) -> Iterator[str]:
    # Lazily: a key needs one or two words, and folding every word of 100,000 titles is slow.
    for token in title.split():
        word = _fold(token)
        if word and word not in STOP_WORDS:
            yield word


def title_words(title: str) -> list[str]:
    """The significant words of a title, folded: whitespace tokens minus :data:`STOP_WORDS`."""
    return list(_significant_words(title))


def _year(date: str | None) -> str:
    match = re.match(r"\d{4}", date or "")
    return match.group() if match else ""


def key_base(title: str, authors: Sequence[str] = (), date: str | None = None, groups: Collection[str] = ()) -> str:
    """The key a paper gets when no other paper has it yet (see the module docstring);
    ``groups``: group authors the lexicon lists (``bibtex: groups:``)."""
    year = _year(date)
    words = _significant_words(title)
    family = family_name(authors[0], groups)[:_FAMILY_MAX] if authors else ""
    if family[:1].isalpha():
        base = family + year + next(words, "")
    else:
        first = next((w for w in words if w[0].isalpha()), None)
        if first is not None:
            base = first + year + next(words, "")
        else:
            base = "paper" + year + next(_significant_words(title), "")
    return base[:KEY_MAX]


def _suffix(n: int) -> str:
    """Bijective base-26 letters: 1 -> a, 26 -> z, 27 -> aa, 28 -> ab."""
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return letters


def derive_key(
    title: str,
    authors: Sequence[str] = (),
    date: str | None = None,
    taken: Set[str] = frozenset(),
    groups: Collection[str] = (),
) -> str:
    """A new key for a paper, not in ``taken``. Pure: ``taken`` is not modified.

    Works from the raw fields so that the importer can call it before a ``Paper`` exists.
    The result depends only on the arguments: the same paper gets the same key whatever
    other papers exist, unless their keys are in ``taken``.
    """
    return _first_free(key_base(title, authors, date, groups), taken)[0]


def _first_free(base: str, taken: Set[str], start: int = 1) -> tuple[str, int]:
    """The first of ``base`` (n = 1), ``base`` + ``b`` (n = 2), ``c``, ... from ``start`` on
    that is not in ``taken``, and its n: the second paper with a base gets "b"."""
    n = start
    while True:
        candidate = base if n == 1 else base[: KEY_MAX - len(_suffix(n))] + _suffix(n)
        if candidate not in taken:
            return candidate, n
        n += 1


class KeyAllocator:
    """Hands out new keys, each one :func:`derive_key` would give with every key handed out
    so far (and ``taken``) in its ``taken`` set.

    Many papers can share a base (``survey2024vision`` ...): rather than trying ``b``,
    ``c``, ... from the start for each of them, the allocator remembers, per base, where
    the search for a free suffix stopped. Keys are only ever added, so every suffix before
    that point is still taken: the result is exactly :func:`derive_key`'s.
    """

    def __init__(self, taken: Iterable[str] = ()):
        self.taken: set[str] = set(taken)
        self._next: dict[str, int] = {}  # base -> the suffix number its last search stopped at

    def new_key(self, title: str, authors: Sequence[str] = (), date: str | None = None) -> str:
        """A key for the paper that is not taken yet; it is taken from now on."""
        return self.allocate(key_base(title, authors, date))

    def allocate(self, base: str) -> str:
        """The first of ``base``, ``base`` + ``b``, ``c``, ... not taken yet (see :func:`derive_key`);
        it is taken from now on."""
        key = self.peek(base)
        self.taken.add(key)
        return key

    def peek(self, base: str) -> str:
        """The key :meth:`allocate` would give, without taking it (see :meth:`reserve`)."""
        key, self._next[base] = _first_free(base, self.taken, self._next.get(base, 1))
        return key  # every suffix before it is taken, and stays taken

    def reserve(self, key: str) -> None:
        """Mark ``key`` as taken (a key the catalogue already has, or one :meth:`peek` gave
        to a paper that is kept)."""
        self.taken.add(key)


def _field(paper: Any, name: str) -> Any:
    """A field of a ``Paper`` or of a raw papers.yaml mapping (missing -> None)."""
    if isinstance(paper, Mapping):
        return paper.get(name)
    return getattr(paper, name, None)


def _stable_order(papers: Iterable[Any]) -> list[Any]:
    """Papers by date (undated last), then id: the order in which collisions get suffixes."""
    return sorted(
        papers,
        key=lambda p: (_field(p, "date") is None, _field(p, "date") or "", _field(p, "id")),
    )


def _allocate(allocator: KeyAllocator, paper: Any) -> str:
    return allocator.new_key(_field(paper, "title"), _field(paper, "authors") or (), _field(paper, "date"))


def assign_missing_keys(papers: Iterable[Any], taken: Set[str] = frozenset()) -> dict[str, str]:
    """New keys for the papers whose ``bibtex_key`` is empty or missing: ``{paper id: key}``.

    ``papers`` are ``Paper`` objects or raw papers.yaml mappings. Existing keys are frozen:
    they are never changed and never reused; ``taken`` reserves more keys. Pure: nothing
    is modified. Papers get their keys in date-then-id order, so the result does not
    depend on the order of ``papers``. Two papers sharing a key is refused.
    """
    papers = list(papers)
    owners: dict[str, str] = {}
    for paper in papers:
        key = _field(paper, "bibtex_key")
        if key:
            if key in owners:
                raise AtlasError(
                    f"papers {quote(owners[key])} and {quote(_field(paper, 'id'))} "
                    f"share the bibtex_key {quote(key)}"
                )
            owners[key] = _field(paper, "id")
    allocator = KeyAllocator(set(taken) | set(owners))
    assigned: dict[str, str] = {}
    for paper in _stable_order(p for p in papers if not _field(p, "bibtex_key")):
        assigned[_field(paper, "id")] = _allocate(allocator, paper)
    return assigned


def rederive_all_keys(papers: Iterable[Any]) -> dict[str, str]:
    """Fresh keys for every paper, ignoring existing ones: ``{paper id: key}``.

    Used exactly once, by the enrichment step, while the site is unpublished; afterwards
    keys are frozen (see :func:`assign_missing_keys`). Deterministic: collisions are
    resolved in date-then-id order, so the result does not depend on the order of
    ``papers``; the mapping itself follows that order.
    """
    allocator = KeyAllocator()
    return {_field(paper, "id"): _allocate(allocator, paper) for paper in _stable_order(papers)}
