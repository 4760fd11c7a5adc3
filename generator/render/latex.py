"""Catalogue text as BibTeX/LaTeX source that prints as meant.

* LaTeX specials print as themselves (:func:`escape`): ``50%`` stays "50%", a stray
  ``{``, ``\\`` or ``$`` is a printed character, never half of a group or of a formula.
* The few LaTeX fragments titles carry on purpose print as formulas (:func:`latex_text`):
  ``A^2Nav`` -> ``A$^{2}$Nav``, ``M^{3}`` -> ``M$^{3}$``, ``360^circ`` -> ``360{\\textdegree}``,
  ``L_{EC}`` -> ``L$_{EC}$``, and ``$...$`` whose content is plain mathematics (letters,
  digits, operators, Greek letters and a few symbols, braces balanced): anything else in
  dollars (``$\\input{x}$``) is escaped like any other text. Greek letters outside a formula
  (``π0``) become ``{$\\pi$}0``, which every TeX engine prints.
* Titles keep their capitals where they must (:func:`title_field`): styles that lower-case
  titles (plainnat, unsrtnat, IEEEtran) leave braced words alone. Braced are the words
  whose case is a name by rule (acronyms, inner capitals, capitals with digits: ``VLA``,
  ``RoboCasa``, ``GPT``, ``3D``, single capitals), the words the lexicon lists (papers.yaml
  ``bibtex: proper_nouns:``: ``Android``, ``Monte-Carlo``), a capitalised first word after
  ``?``, ``!`` or ``:``, a ``Name-Part:`` that opens the title, and every word holding a formula.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

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

#: Control characters (other than whitespace, which clean() turns into spaces) and lone
#: surrogates: they have no printed form and cannot be written as UTF-8.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff]")

#: The Greek small letters from U+03B1 on, by TeX's names (TeX's \\epsilon and \\phi are
#: the other glyphs, U+03F5 and U+03D5; omicron is a Latin o in TeX).
_GREEK_NAMES = (
    "alpha beta gamma delta varepsilon zeta eta theta iota kappa lambda mu nu xi o pi rho "
    "varsigma sigma tau upsilon varphi chi psi omega"
).split()
#: Greek letters as math commands (pdflatex has no Greek text font by default).
GREEK = {chr(0x3B1 + i): "\\" + name for i, name in enumerate(_GREEK_NAMES) if name not in ("o",)}
GREEK.update(
    {"Γ": r"\Gamma", "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi",
     "Σ": r"\Sigma", "Υ": r"\Upsilon", "Φ": r"\Phi", "Ψ": r"\Psi", "Ω": r"\Omega",
     "ϵ": r"\epsilon", "ϕ": r"\phi", "ϑ": r"\vartheta"}
)
_GREEK_CHARS = re.compile("[" + "".join(GREEK) + "]")

#: Commands a formula may hold: symbols, and a few that take one braced argument.
_MATH_SYMBOLS = frozenset(
    [name for name in _GREEK_NAMES if name not in ("o", "omicron")]
    + "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega epsilon vartheta phi "
    "circ times cdot infty ell pm mp le leq ge geq neq approx sim to rightarrow leftarrow "
    "Rightarrow in star ast prime partial nabla dots ldots cdots".split()
)
_MATH_ARGUMENT = frozenset("mathcal mathbf mathrm mathit hat tilde bar vec".split())
#: One piece of a formula: a command, a plain character, a brace.
_MATH_PIECE = re.compile(r"\\([A-Za-z]+)|([A-Za-z0-9 +\-=*/.,;:!?'()\[\]<>|^_])|([{}])")

#: The fragments: braced or one-digit super- and subscripts after a letter, digit or
#: bracket, the degree sign written ``^circ``, and ``$...$``.
_FRAGMENT = re.compile(
    r"(?P<degree>\^\s*\{?\\?circ\}?)"
    r"|(?<=[\w)\]])(?P<mark>[\^_])(?:\{(?P<braced>[A-Za-z0-9+\-]{1,8})\}|(?P<digits>[0-9]{1,3})(?![0-9]))"
    r"|\$(?P<formula>[^$]{1,200})\$"
)


def clean(text: str) -> str:
    """Single spaces for any whitespace run; control characters and surrogates dropped."""
    # Printable text has no whitespace but the plain space: then single inner spaces and
    # none at the ends mean there is nothing to do (the common case, and a fast check).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_CONTROL.sub("", text).split())


def escape(text: str) -> str:
    """``text`` as BibTeX/LaTeX source that prints as ``text`` (no formulas, no case protection)."""
    text = clean(text)
    if _SPECIAL.search(text):
        text = text.translate(_ESCAPE_TABLE)
    return _GREEK_CHARS.sub(lambda m: "{$" + GREEK[m[0]] + "$}", text) if _GREEK_CHARS.search(text) else text


def _formula(content: str) -> str | None:
    """``content`` of ``$...$`` as a formula that compiles, or None if it is not plain mathematics."""
    content = _GREEK_CHARS.sub(lambda m: GREEK[m[0]] + " ", content).strip()
    depth, position, pieces = 0, 0, []
    while position < len(content):
        piece = _MATH_PIECE.match(content, position)
        if piece is None:
            return None
        command, char, brace = piece.groups()
        if command is not None and command not in _MATH_SYMBOLS:
            if command not in _MATH_ARGUMENT or not content.startswith("{", piece.end()):
                return None
        if brace == "{":
            depth += 1
        elif brace == "}":
            depth -= 1
            if depth < 0:
                return None
        if char in ("^", "_"):  # a script needs something to raise: not "x^", "x^}", "x^^"
            rest = content[piece.end() :].lstrip()
            if not rest or rest[0] in "}^_":
                return None
        pieces.append(piece[0])
        position = piece.end()
    if depth or not content:
        return None
    return "".join(pieces)


def latex_text(text: str) -> str:
    """``text`` as LaTeX: the fragments of the module docstring as formulas, the rest escaped."""
    text = clean(text)
    if not any(c in text for c in "^_$"):
        return escape(text)
    out, last = [], 0
    for found in _FRAGMENT.finditer(text):
        if found["formula"] is not None:
            formula = _formula(found["formula"])
            if formula is None:
                continue  # not mathematics: its dollars are escaped with the rest
            latex = "$" + formula + "$"
        elif found["degree"] is not None:
            latex = r"{\textdegree}"
        else:
            latex = "$" + found["mark"] + "{" + (found["braced"] or found["digits"]) + "}$"
        out.append(escape(text[last : found.start()]))
        out.append(latex)
        last = found.end()
    out.append(escape(text[last:]))
    return "".join(out)


# --- case protection in titles -------------------------------------------------------------------

#: A title word: letters and digits (any script).
_WORD = re.compile(r"[^\W_]+")
#: A title that opens with a one-word system name and a colon: "Recon-Act: A Self-...".
_NAME = re.compile(r"^([^\s:{}\\$^_]+):\s")
#: A word after which a new sentence starts.
_SENTENCE_END = re.compile(r"[?!:][\"'”’)\]]*$")


def keeps_case(word: str) -> bool:
    """Whether sentence-casing styles would wrongly lowercase this title word.

    Acronyms and mixed case (VLA, ReAct, OpenVLA, 3D), capitals with digits (R1, GPT4)
    and single capitals (Q-learning, Plan A, I). ``word`` is letters and digits only.
    """
    if word.lower() == word:
        return False
    rest = word[1:]
    return len(word) == 1 or rest.lower() != rest or not word.isalpha()


@lru_cache(maxsize=16)
def _lexicon_pattern(proper_nouns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not proper_nouns:
        return None
    alternatives = sorted({re.escape(" ".join(noun.split())) for noun in proper_nouns}, key=len, reverse=True)
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")


def title_field(title: str, proper_nouns: Collection[str] = ()) -> str:
    """The ``title`` value: LaTeX (:func:`latex_text`) with the words braced that must keep
    their capitals (the module docstring says which); ``proper_nouns`` from the lexicon."""
    title = clean(title)
    name = _NAME.match(title)
    if name and any(c.isupper() for c in name[1][1:]):
        # "Recon-Act: ..." names the system: keep the whole name as written, not "Recon-act".
        rest = title[name.end(1) :]
        return "{" + escape(name[1]) + "}" + (_protected(rest, proper_nouns, after_colon=True) if rest else "")
    return _protected(title, proper_nouns)


#: Between two words: the end of a sentence ("? ", ": ", "!” ").
_SENTENCE_BREAK = re.compile(r"[?!:][\"'”’)\]]*\s")


def _protected(title: str, proper_nouns: Collection[str], after_colon: bool = False) -> str:
    """``title`` (clean: single spaces) as LaTeX, its words braced where they keep their case;
    ``after_colon``: the text follows a ``Name:`` that opens the title."""
    if not any(c in title for c in "^_$"):
        return _protected_words(title, proper_nouns, after_colon)
    return _protected_tokens(title, proper_nouns, after_colon)


def _protected_words(title: str, proper_nouns: Collection[str], after_colon: bool) -> str:
    """:func:`_protected` for a title without formulas (nearly all): one pass over its words.

    The words are looked at in the escaped text: escaping adds only lower-case command
    names, which no rule braces, and no character the lexicon's entries may hold."""
    escaped = escape(title)
    lexicon = _lexicon_pattern(tuple(proper_nouns))
    listed = [m.span() for m in lexicon.finditer(escaped)] if lexicon else []
    parts = _SPLIT.split(escaped)  # words at odd indices
    position = len(parts[0])
    sentence_start = after_colon or bool(_SENTENCE_BREAK.search(parts[0]))
    for i in range(1, len(parts), 2):
        word = parts[i]
        end = position + len(word)
        if word[0].isupper() or not word.islower():
            opening_letter = i == 1 and not parts[0] and len(word) == 1 and not after_colon
            if (
                (keeps_case(word) and not opening_letter)
                or (sentence_start and (i > 1 or after_colon) and word[0].isupper())
                or (listed and word[0].isupper() and any(s <= position and end <= e for s, e in listed))
            ):
                parts[i] = "{" + word + "}"
        separator = parts[i + 1] if i + 1 < len(parts) else ""
        sentence_start = bool(separator) and _SENTENCE_BREAK.search(separator) is not None
        position = end + len(separator)
    return "".join(parts)


_SPLIT = re.compile(r"([^\W_]+)")


def _protected_tokens(title: str, proper_nouns: Collection[str], after_colon: bool = False) -> str:
    """:func:`_protected` for a title holding formulas: word by word, a word with a formula braced whole."""
    lexicon = _lexicon_pattern(tuple(proper_nouns))
    listed = [m.span() for m in lexicon.finditer(title)] if lexicon else []
    formulas = True
    plain = not (_SPECIAL.search(title) or _GREEK_CHARS.search(title))
    out = []
    first_word = not after_colon  # styles never lowercase a title's first letter
    sentence_start = True  # the title's first word, or the first after "?", "!" or ":"
    for token in re.finditer(r"\S+", title):
        text = token[0]
        if formulas and _FRAGMENT.search(text) and latex_text(text) != escape(text):
            # A word holding a formula is braced whole: "{A$^{2}$Nav}", never "{A}$^{2}$nav".
            core = text.rstrip(".,;:!?")
            out.append("{" + latex_text(core) + "}" + escape(text[len(core) :]))
            first_word = sentence_start = False
        else:
            pieces, last = [], 0
            for word in _WORD.finditer(text):
                between = text[last : word.start()]
                pieces.append(between if plain else escape(between))
                value = word[0]
                start, end = token.start() + word.start(), token.start() + word.end()
                # "A Survey" needs no "{A}": the opening letter keeps its case anyway.
                opening_letter = first_word and len(value) == 1 and not any(pieces)
                capitalised = value[0].isupper()
                if (
                    (keeps_case(value) and not opening_letter)
                    or (capitalised and any(s <= start and end <= e for s, e in listed))
                    or (capitalised and sentence_start and not first_word)
                ):
                    value = "{" + value + "}"
                pieces.append(value)
                last = word.end()
                first_word = sentence_start = False
            pieces.append(text[last:] if plain else escape(text[last:]))
            out.append("".join(pieces))
        if _SENTENCE_END.search(text):
            sentence_start = True
    return (" " if title.startswith(" ") else "") + " ".join(out)


# --- the same text without LaTeX, for RIS and CSL-JSON --------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_SYMBOLS = {
    "circ": "∘", "times": "×", "cdot": "·", "infty": "∞", "ell": "ℓ", "pm": "±", "mp": "∓",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "approx": "≈", "sim": "∼",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "in": "∈", "star": "⋆",
    "ast": "∗", "prime": "′", "partial": "∂", "nabla": "∇", "dots": "…", "ldots": "…", "cdots": "⋯",
} | {command[1:]: letter for letter, command in GREEK.items()}
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}]*)\}|(\S))")


def _scripted(mark: str, content: str) -> str:
    """``content`` raised (``^``) or lowered (``_``) in Unicode where it can be, else as written."""
    table = _SUPERSCRIPTS if mark == "^" else _SUBSCRIPTS
    translated = content.translate(table)
    return translated if all(c not in content for c in translated if c.isascii() and c.isalnum()) else mark + content


def _formula_text(formula: str) -> str:
    text = re.sub(r"\\([A-Za-z]+)\s?", lambda m: _SYMBOLS.get(m[1], "" if m[1] in _MATH_ARGUMENT else m[1]), formula)
    text = _SCRIPT.sub(lambda m: _scripted(m[1], m[2] if m[2] is not None else m[3]), text)
    return " ".join(text.replace("{", "").replace("}", "").split())


def plain_text(text: str) -> str:
    """``text`` as plain Unicode: what :func:`latex_text` prints as a formula written in
    characters (``A^2Nav`` -> ``A²Nav``, ``$\\pi_0$`` -> ``π₀``, ``360^circ`` -> ``360°``),
    everything else exactly as written."""
    text = clean(text)
    if not any(c in text for c in "^_$"):
        return text
    out, last = [], 0
    for found in _FRAGMENT.finditer(text):
        if found["formula"] is not None:
            formula = _formula(found["formula"])
            if formula is None:
                continue
            rendered = _formula_text(formula)
        elif found["degree"] is not None:
            rendered = "°"
        else:
            rendered = _scripted(found["mark"], found["braced"] or found["digits"])
        out.append(text[last : found.start()])
        out.append(rendered)
        last = found.end()
    out.append(text[last:])
    return "".join(out)
