"""Author names as citations need them: a person's given and family names, or a group.

The catalogue holds names as the papers print them, given names first ("Manuel Vilares
Ferro", "Hado van Hasselt", "Open-Ended Learning Team"). Citation formats need to know
which words are the family name, and which names are not people at all:

* a **group** is a name with an organisational word (:data:`GROUP_WORDS`: "... Team",
  "... Consortium", "Allen Institute for AI") or one the catalogue's lexicon lists
  (``bibtex: groups:`` in papers.yaml: "OpenAI"); it is never split;
* a **family name** is the last word ("Haoyu Zhen" -> Zhen), unless
  - the lexicon lists the name's last words as a family name (``bibtex: family_names:``,
    "Vilares Ferro"), the longest listed one winning;
  - a particle starts it: a lower-case one anywhere after the first word ("Hado van
    Hasselt", "Guido Maria D'Amely di Melendugno" -> D'Amely di Melendugno, the capitalised
    word before the particle included), or a capitalised one ("Luc Van Gool", "Ronan Le
    Bras") before the last word;
  - a given name and initials come first and two or more words follow ("Victor M. Darriba
    Bilbao" -> Darriba Bilbao): the Spanish and Portuguese double family name;
* a suffix (Jr., III) after the family name is kept apart.

A name with a comma is left as written (it is not known whether it is "Last, First").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

#: Words that make a name an organisation's (compared case-folded, trailing dots dropped).
GROUP_WORDS = frozenset(
    """team consortium collaboration group lab labs laboratory laboratories institute
    university foundation initiative project inc ltd corporation corp company association
    society committee council center centre department contributors community alliance
    organization organisation academy""".split()
)

#: Particles that begin a family name. Lower-case, anywhere after the first word; the
#: capitalised forms only before the last word ("Van Gool", "De Matteis", "Le Bras").
PARTICLES = frozenset(
    """van von der den de del della dei degli di da das do dos du des le la lo ter ten zu
    vom zum zur""".split()
)

#: Name suffixes after the family name.
SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})

_INITIAL = re.compile(r"^(?:[A-Z]\.)+(?:-[A-Z]\.)?$|^[A-Z]$")


@dataclass(frozen=True)
class Name:
    """One author: ``family`` and ``given`` (for a group: ``family`` is the whole name)."""

    family: str
    given: str = ""
    suffix: str = ""
    group: bool = False
    #: False for a name kept as written (one with a comma)
    parsed: bool = True

    @property
    def multiword_family(self) -> bool:
        return " " in self.family


def is_group(name: str, groups: Collection[str] = ()) -> bool:
    """Whether ``name`` is an organisation's: it has an organisational word (two words or
    more), or ``groups`` (the lexicon's ``bibtex: groups:``) lists it."""
    words = name.split()
    if " ".join(words) in groups:
        return True
    return len(words) >= 2 and any(word.casefold().rstrip(".,") in GROUP_WORDS for word in words)


def parse_name(name: str, family_names: Collection[str] = (), groups: Collection[str] = ()) -> Name:
    """``name`` (given names first, as printed) as family and given names, or a group."""
    words = name.split()
    if not words:
        return Name("", parsed=False)
    if is_group(name, groups):
        return Name(" ".join(words), group=True)
    if "," in name:
        return Name(" ".join(words), parsed=False)
    suffix = ""
    if len(words) >= 3 and words[-1].casefold() in SUFFIXES:
        suffix = words.pop()
    start = _family_start(words, family_names)
    return Name(" ".join(words[start:]), " ".join(words[:start]), suffix)


def _family_start(words: list[str], family_names: Collection[str]) -> int:
    """The index of the family name's first word."""
    if len(words) == 1:
        return 0
    for start in range(1, len(words)):  # the longest listed family name that ends the name
        if " ".join(words[start:]) in family_names:
            return start
    for i in range(1, len(words) - 1):
        if words[i] in PARTICLES:
            # "D'Amely di Melendugno": the capitalised word before a particle that does not
            # follow a given name directly is part of the family name, if it is not an initial.
            if i >= 2 and not _INITIAL.match(words[i - 1]) and _joined_particle(words[i - 1]):
                return i - 1
            return i
    for i in range(1, len(words) - 1):
        if words[i].casefold() in PARTICLES and words[i][:1].isupper():
            return i
    last_initial = max((i for i, word in enumerate(words) if _INITIAL.match(word)), default=-1)
    if 1 <= last_initial and len(words) - last_initial - 1 >= 2 and not _INITIAL.match(words[0]):
        return last_initial + 1
    return len(words) - 1


def _joined_particle(word: str) -> bool:
    """A word that is an elided particle joined to a name: ``D'Amely``, ``dell'Orto``."""
    head, apostrophe, rest = word.partition("'")
    return bool(apostrophe and rest) and head.casefold() in {"d", "dell", "l"}
