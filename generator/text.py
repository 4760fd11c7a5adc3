"""Small text helpers shared by every stage: title normalisation, slugs, fingerprints."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from functools import lru_cache

from slugify import slugify, smart_truncate


def normalise_title(title: str) -> str:
    """Fold case, accents, punctuation and spacing so that two spellings of a title compare equal.

    An ASCII title (nearly every title) takes a shortcut to the same result: it has no
    accents or compatibility forms to fold, so its normal form is its runs of letters and
    digits, lower-cased, joined by single spaces.
    """
    if title.isascii():
        return " ".join(_ASCII_WORDS.findall(title.lower()))
    return _normalise_unicode(title)


_ASCII_WORDS = re.compile(r"[a-z0-9]+")
_NOT_WORDS = re.compile(r"[\W_]+")


def _normalise_unicode(title: str) -> str:
    """:func:`normalise_title` for any text: NFKD, combining marks dropped, casefold,
    every run of non-word characters (and ``_``) a space, spacing collapsed."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    text = _NOT_WORDS.sub(" ", text)
    return " ".join(text.split())


def lookalike_key(title: str) -> str:
    """:func:`normalise_title`, blind to look-alikes: the key that tells two titles apart
    only if a reader could (duplicate checks, and the importer's matching, use it).

    Before the title is normalised it is put in NFKC form (fullwidth and mathematical
    letters become plain ones), its format characters (zero-width joiners and spaces,
    bidirectional marks, soft hyphens) are dropped, and every non-ASCII character that
    Unicode's confusables (UTS #39, through the confusable-homoglyphs package) list as
    looking like one other character becomes that character: Cyrillic ``а`` and Greek
    ``ο`` are Latin ``a`` and ``o``. ASCII characters stay themselves, so plain titles
    that differ (``Modern`` and ``Modem``) are never taken for one another. An ASCII
    title (nearly every title) is its :func:`normalise_title`.
    """
    if title.isascii():
        return normalise_title(title)
    text = unicodedata.normalize("NFKC", title)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf").casefold()
    return normalise_title("".join(c if c.isascii() else _prototype(c) for c in text))


@lru_cache(maxsize=None)
def _prototype(char: str) -> str:
    """The character ``char`` looks like, per Unicode's confusables, or ``char`` itself.

    A source character has one entry, its prototype (``а`` -> ``a``); a prototype lists
    every character that looks like it. A pair whose members each list only the other is
    mapped to the smaller of the two, so both ways give one key. Look-alikes of several
    characters (``m`` -> ``rn``) are not mapped.
    """
    from confusable_homoglyphs import confusables

    def look_alikes(c: str) -> list[str]:
        found = confusables.is_confusable(c, greedy=True)
        return [glyph["c"] for glyph in found[0]["homoglyphs"]] if found else []

    glyphs = look_alikes(char)
    if len(glyphs) != 1 or len(glyphs[0]) != 1:
        return char
    other = glyphs[0]
    if look_alikes(other) == [char]:
        other = min(char, other)
    return other.casefold()


def paper_id(title: str) -> str:
    """The stable id of a paper: a slug of its first-seen title (at most 80 characters).

    The slug is python-slugify's. An ASCII title without ``&`` takes a shortcut to the
    same result (checked against slugify in the tests): slugify would drop the commas
    between digits, make every other run of characters but letters and digits one ``-``,
    and cut at a word boundary, which is its own ``smart_truncate``.
    """
    if title.isascii() and "&" not in title:  # "&amp;" and the like: slugify decodes entities
        text = _NUMBER_COMMA.sub("", title.replace("'", "-").lower())
        slug = _NOT_SLUG.sub("-", text).strip("-")
        return smart_truncate(slug, 80, True, "-") if len(slug) > 80 else slug or "paper"
    return slugify(title, max_length=80, word_boundary=True) or "paper"


_NUMBER_COMMA = re.compile(r"(?<=\d),(?=\d)")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def fingerprint(value: object) -> str:
    """An 8-hex-digit hash of a field value, used to tell generated values from curated ones.

    The hash is SHA-256 of the value's JSON (keys sorted, no spaces, non-ASCII as is), made
    by one shared encoder: ``json.dumps`` with options builds a new encoder every call,
    which costs more than the encoding of a title or a list of authors.
    """
    return hashlib.sha256(_JSON.encode(value).encode("utf-8")).hexdigest()[:8]


#: ``json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))``, reused.
_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
