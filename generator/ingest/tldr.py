"""Pick a paper's TL;DR: the sentence of its abstract that states what the paper contributes.

Most abstracts open with background ("Large language models have shown ..."); the sentence
a reader wants is the one that says what *this* paper does ("We propose X, a ..."). The
TL;DR is that sentence, copied verbatim from the abstract (stripped of surrounding spaces),
at most ``TLDR_MAX`` characters.

Every sentence gets a rank, best first:

0. it defines the paper by name ("ReAct is a ...") or states a contribution and names the
   paper ("we introduce UI-R1, ...");
1. it states a contribution: "we propose / introduce / present / develop ...", "this paper
   presents ...", "our key insight is ...", "we are the first to ...";
2. it says what the paper sets out to do: "we study / investigate / address ...", "in
   this work, we ...";
3. it states a secondary contribution: "We further propose ...", "Moreover, we introduce";
4. it states a finding: "we show / find / demonstrate ...";
5. it names the paper (the part of the title before a colon, or an acronym in it);
6. any other sentence; 7. a sentence pointing to code or a project page.

The TL;DR comes from the first tier that has a sentence: ranks 0-3 (the contribution),
then 4 (the findings), then 5-7. Within the tier the best-ranked, earliest sentence that
fits the limit wins. If none fits, the tier's best sentence is cut at a clause boundary
(``;``, ``, which`` ..., a dash or colon, a comma, else a space; at least 60 characters
in) and ends with "…": the last resort, and the only case in which the TL;DR is not a
whole sentence (the text before the "…" is still verbatim). So a long contribution
sentence is cut rather than traded for background.

Sentence splitting knows abbreviations (e.g., i.e., et al., vs., Fig., Eq., ...), initials,
decimals, URLs and parentheses: a sentence ends at ``.``, ``!`` or ``?`` followed by a
space and a capital letter, digit or opening quote or bracket, unless the word before is
such an abbreviation or the point is inside an open parenthesis.
"""

from __future__ import annotations

import re

from ..model import TLDR_MAX

#: Words ending in "." that do not end a sentence (compared in lower case).
ABBREVIATIONS = frozenset(
    """e.g. i.e. eg. ie. al. vs. v. cf. viz. fig. figs. eq. eqs. sec. secs. tab. alg. ch.
    no. nos. approx. resp. ref. refs. vol. pp. p. ed. eds. dr. prof. mr. mrs. ms. st. jr.
    inc. ltd. corp. co. ca. u.s. u.k. a.k.a. w.r.t. incl. est. min. max. avg. std.""".split()
)

# End punctuation, closing quotes or brackets, then a space (or, for a missing space as in
# "agents.D-PoT", nothing after a lower-case word) and the start of a sentence.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?:\s+|(?<=[a-z]{3}\.)(?=[A-Z]))(?=[\"'“‘(\[]?[A-Z0-9])")
_SUBJECT = (
    r"(?:we|this\s+(?:[a-z]+\s+)?(?:paper|work|study|article|letter|report|survey|review|thesis|technical\s+report)"
    r"|our\s+(?:work|paper|study|approach|method|framework|contribution)s?)"
)
_STRONG_VERB = (
    r"(?:propos|introduc|present|develop|design|build|built|construct|contribut|releas|creat|"
    r"formali[sz]|curat|unveil|devis|establish|open-sourc|put\s+forward|make\s+the\s+first|"
    r"take\s+the\s+first|reformulat|re-?think|revisit|systemati[sz]|collect|derive)\w*"
)
# What the paper sets out to do, rather than what it builds: "we study / investigate ...".
_SCOPE_VERB = (
    r"(?:stud|investigat|explor|examin|analy[sz]|evaluat|benchmark|tackl|address|consider|focus|"
    r"formulat|fram|argu|identif|leverag|seek|aim|ask|extend|learn|train|use|employ|cast|view|"
    r"treat|pursue|bridge|characteri[sz]|quantif|measur|compar|test|assess|apply|position|"
    r"enhanc|improv|provid|offer|describ|discuss|disclose|critically)\w*"
)
# What the paper finds: "we show / demonstrate / find ...".
_FINDING_VERB = r"(?:show|demonstrat|find|found|reveal|report|highlight|observ|prove)\w*"
# An adverb or auxiliary may sit between subject and verb: "we further propose", "we have built".
_GAP = r"(?:\s+(?:\w+ly|also|further|then|here|thus|therefore|now|first|instead|have|hence|can|will))*"


def _cue(*alternatives: str) -> re.Pattern[str]:
    """A cue regex for ``_lower(sentence)``: every alternative starts after a space.

    Starting with a literal space lets the regex engine skip to candidate positions,
    several times faster than testing \\b everywhere (this runs on every sentence).
    """
    return re.compile(" (?:" + "|".join(alternatives) + ")")


def _lower(sentence: str) -> str:
    """The sentence as the cue regexes read it: lower case, after a space."""
    return " " + sentence.lower()


#: A sentence that says what the paper contributes (matched on ``_lower(sentence)``).
STRONG_CUE = _cue(
    rf"{_SUBJECT}{_GAP}\s+{_STRONG_VERB}\b",
    r"our\s+(?:key\s+|main\s+|core\s+)?(?:insight|idea|contribution)s?\s+(?:is|are)\b",
    r"we\s+are\s+the\s+first\b",
    # "we try to imitate human behaviour and propose a ..."
    rf"we\s+(?:[\w\-]+\s+){{1,8}}?and\s+(?:then\s+)?{_STRONG_VERB}\b",
    r"(?:this|the\s+present)\s+(?:paper|work|study|survey|review)\s+(?:makes|takes|is|aims)\b",
)
#: A sentence that says what the paper studies or sets out to do.
SCOPE_CUE = _cue(
    rf"{_SUBJECT}{_GAP}\s+{_SCOPE_VERB}\b",
    r"(?:this|the\s+present|our)\s+(?:paper|work|study|article|letter|thesis)\s+\w+s\b",
    r"(?:in\s+(?:this|our)\s+(?:paper|work|study|letter|article|report)|here)\s*,?\s+we\b",
    # "An algorithm to estimate ... is introduced", "... has been introduced in this paper"
    r"(?:is|are|has\s+been|have\s+been)\s+(?:\w+ly\s+)?(?:proposed|introduced|presented|developed)\b"
    r"(?!\s+(?:by|in\s+(?:prior|previous|recent)))",
)
#: A sentence that says what the paper finds.
FINDING_CUE = _cue(
    rf"{_SUBJECT}{_GAP}\s+{_FINDING_VERB}\b",
    r"(?:our|these)\s+(?:results|findings|experiments|analysis|analyses)\s+"
    r"(?:show|suggest|reveal|demonstrate|indicate)",
)
_POINTER_HINT = re.compile(r"http|github|availab|release|open-sourc|publicly|can be found")
_ONLY_POINTER = re.compile(
    r"https?://|\bgithub\b|\b(?:code|models?|weights|checkpoints|project\s+page|demo)s?\b[^.]{0,60}"
    r"\b(?:available|released|open-sourced|publicly|can\s+be\s+found)\b"
)
#: Words of a results sentence ("X, a 2B model, achieves 75% ...").
_RESULT = re.compile(r"\b(?:achiev|outperform|surpass|improv|demonstrat|reach|obtain)\w*", re.IGNORECASE)
#: A contribution that is not the main one: "We further propose ...", "Moreover, we introduce ...".
_SECONDARY = re.compile(
    r"^(?:\w+\s+){0,3}?"
    r"(?:further|also|additionally|moreover|furthermore|finally|besides|second|secondly|third|thirdly|lastly)\b"
    r"|\bwe\s+(?:also|further|additionally)\b",
    re.IGNORECASE,
)
_CLAUSE_CUTS = (
    re.compile(r";\s"),
    re.compile(r",\s+(?:which|where|while|whereas|thereby|enabling|allowing|achieving|leading)\b"),
    re.compile(r"\s+[—–]\s+|\s+-{1,2}\s+|:\s"),
    re.compile(r",\s"),
    re.compile(r"\s"),
)
ELLIPSIS = "…"


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, each a stripped verbatim substring of it."""
    sentences = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        end, after = boundary.start(), boundary.end()
        before = text[start:end]
        word = before[before.rfind(" ") + 1 :]
        punctuation = text[end:after]
        if not punctuation[-1].isspace() and ("/" in word or "@" in word):
            continue  # no space after the dot: part of a URL or an e-mail address
        if punctuation[0] == "." and len(punctuation.rstrip().rstrip("\"'”’)]")) == 1:
            word = word.lstrip("(\"'[“‘").lower()
            if word + "." in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                continue  # "e.g. ReAct", "et al. Show", "J. Smith"
        if "(" in before and before.count("(") > before.count(")") and ")" in text[after : after + 200]:
            continue  # inside a parenthesis: (e.g., "The can has moldy chips in it. She ...")
        sentence = text[start:after].strip()
        if sentence:
            sentences.append(sentence)
        start = after
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


_TITLE_WORD = re.compile(r"[\w\-^{}+*.]+")
# ShowUI, UI-R1, VLA-Cache, QUAR-VLA, GUI-360, EgoVid-5M: two capitals or digits in a part,
# or a capital after a lower-case letter; "Vision-Language" (capitalised parts) is no name.
_NAME_PART = re.compile(r"[A-Z0-9].*[A-Z0-9]|[a-z][A-Z]|\d")


def paper_names(title: str) -> list[str]:
    """Names a paper gives itself: the head of a "Name: subtitle" title and its acronyms."""
    names = []
    head, colon, _ = title.partition(":")
    if colon and len(head.split()) <= 4 and len(head) <= 40 and head.strip():
        names.append(head.strip())
    for word in _TITLE_WORD.findall(title):
        word = word.strip(".-")
        if len(word) >= 3 and word not in names and any(_NAME_PART.search(part) for part in word.split("-")):
            names.append(word)
    return names


def _mentions(sentence: str, name: str, at_start: bool = False) -> int:
    """End offset of the first whole-word mention of ``name`` in ``sentence`` (0 if none)."""
    start = 0
    while True:
        i = sentence.find(name, start)
        if i < 0 or (at_start and i > 0):
            return 0
        end = i + len(name)
        before = sentence[i - 1] if i else " "
        after = sentence[end] if end < len(sentence) else " "
        if not (before.isalnum() or before == "-") and not (after.isalnum() or after == "-"):
            return end
        start = i + 1


def is_contribution(sentence: str, title: str = "") -> bool:
    """Does ``sentence`` state what the paper contributes, studies or finds?"""
    return _rank(sentence, 1, paper_names(title)) <= FINDING


_NAME_INTRO = re.compile(r"\s*(?:\([^)]*\))?\s*(?:,\s*|\s+(?:is|are)\s+)(?:a|an|the\s+first)\b")


def _introduces_name(sentence: str, names: list[str]) -> bool:
    """The sentence opens by defining the paper's name: "X is a ...", "X (Long Name) is the first ..."."""
    for name in names:
        end = _mentions(sentence, name, at_start=True)
        if end and _NAME_INTRO.match(sentence, end):
            return not _RESULT.search(sentence)
    return False


# Ranks of a sentence, best first.
NAMED, CONTRIBUTION, SCOPE, SECONDARY, FINDING, MENTION, OTHER, POINTER = range(8)


#: Not ranked further: below every rank of the first tier (:func:`pick_tldr`).
_LATER = POINTER + 1


def _rank(sentence: str, index: int, names: list[str], findings: bool = True) -> int:
    """The rank of ``sentence``, the ``index``-th of its abstract; with ``findings`` False,
    a sentence below the contribution tier is just :data:`_LATER`."""
    lower = _lower(sentence)
    if _POINTER_HINT.search(lower) and _ONLY_POINTER.search(lower):
        return OTHER if index == 0 else POINTER
    if names and _introduces_name(sentence, names):
        return NAMED
    if STRONG_CUE.search(lower):
        if _SECONDARY.search(sentence):
            return SECONDARY
        return NAMED if any(_mentions(sentence, n) for n in names) else CONTRIBUTION
    if SCOPE_CUE.search(lower):
        return SCOPE
    if not findings:
        return _LATER
    if FINDING_CUE.search(lower):
        return FINDING
    return MENTION if any(_mentions(sentence, n) for n in names) else OTHER


def _cut(sentence: str, limit: int) -> str:
    """A prefix of ``sentence`` ending at a clause boundary, plus "…", within ``limit``."""
    room = sentence[: limit - len(ELLIPSIS)]
    for boundary in _CLAUSE_CUTS:
        cuts = [m.start() for m in boundary.finditer(room) if m.start() >= min(60, limit // 3)]
        if cuts:
            return room[: cuts[-1]].rstrip(" ,;:—–-") + ELLIPSIS
    return room.rstrip() + ELLIPSIS


# A leading phrase that points back to a sentence the reader of the TL;DR cannot see:
# "To this end, ", "To address these challenges, ", "Motivated by this observation, ",
# "Therefore, ". A phrase about the paper itself ("In this paper, ", "With this work, ") stays.
_SELF = r"(?:paper|work|study|article|letter|report|survey|thesis)"
_BACK_REFERENCE = re.compile(
    r"^(?:"
    r"(?:To|In\s+order\s+to|Towards?|For|Motivated\s+by|Inspired\s+by|Based\s+on|Building\s+(?:up)?on|Given|"
    r"In\s+light\s+of|In\s+response\s+to|Following|Guided\s+by|Driven\s+by|Against|With)\b"
    rf"[^,.;:]{{0,90}}?\b(?:this|these|that|those|such|them|it|so|the\s+(?:above|aforementioned))\b(?!\s+{_SELF}\b)"
    r"[^,.;:]{0,60}"
    # "To mitigate the challenges, ": which challenges the reader cannot see.
    r"|(?:To|In\s+order\s+to)\s+\w+\s+(?:the|both|these|those|all)\s+(?:two\s+|three\s+)?"
    r"(?:challenges?|issues?|problems?|gaps?|limitations?|shortcomings?|drawbacks?|bottlenecks?|difficult(?:y|ies)|concerns?)"
    r"|(?:Inspired|Motivated)\s+by\s+(?:the|our|this|these)\s+(?:insight|observation|finding|idea)s?"
    r"|Based\s+on\s+(?:our|the|these)\s+(?:findings|observations|insights?|analysis|analyses)"
    r"|Therefore|Thus|Hence|Consequently|Accordingly|As\s+a\s+result|In\s+response|Specifically|In\s+contrast|"
    r"Instead|However|To\s+this\s+end|To\s+that\s+end|As\s+an\s+alternative|Moreover|Furthermore|Additionally|In\s+addition"
    r"),\s+(?=\S)"
)
# "We then propose X", "We hence introduce X": an adverb after the subject that points back
# to the sentence before ("We first propose" or "We further propose" does not).
_BACK_ADVERB = re.compile(r"^(We)\s+(?:then|hence|thus|therefore|consequently|accordingly),?\s+(?=[a-z])")
_LATEX_COMMAND = re.compile(r"\\(?:texttt|textbf|textit|textsc|textrm|emph|mathrm|mathbf|mathit|mathcal|text)\{([^{}]*)\}")
_SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")


def _superscript(match: re.Match[str]) -> str:
    text = match.group(1)
    return text.translate(_SUPERSCRIPTS) if re.fullmatch(r"[0-9+\-]+", text) else "^" + text


def latex_as_text(text: str) -> str:
    """LaTeX leftovers of an abstract as the plain text they stand for: ``\\texttt{ATE}`` ->
    ``ATE``, ``M^{3}`` -> ``M³``, ``A^2Nav`` -> ``A²Nav``, ``360^circ`` -> ``360°``, ``L_{EC}`` -> ``L_EC``, ``$x$`` -> ``x``,
    an unknown ``\\au`` -> ``au``. Text without a backslash, brace or dollar is returned as is."""
    if not any(c in text for c in "\\{}$^"):
        return text
    text = _LATEX_COMMAND.sub(r"\1", text)
    text = re.sub(r"\$\s*\^\s*\{?\\?circ\}?\s*\$|\^\s*\{?\\?circ\}?", "°", text)
    text = re.sub(r"\^\{([^{}]*)\}", _superscript, text)
    text = re.sub(r"(?<=[A-Za-z0-9)\]])\^([0-9]{1,3})(?![0-9])", _superscript, text)  # A^2Nav -> A²Nav
    text = re.sub(r"_\{([^{}]*)\}", r"_\1", text)
    text = re.sub(r"\$([^$]{1,80})\$", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)\b", r"\1", text)
    return " ".join(text.split())


def standalone(sentence: str) -> str:
    """The sentence as a TL;DR that reads on its own: without a leading phrase that points
    back ("To this end, we propose X" -> "We propose X", "We then propose X" -> "We propose
    X"), LaTeX leftovers as text."""
    found = _BACK_REFERENCE.match(sentence)
    if found and len(sentence) - found.end() >= 20:
        rest = sentence[found.end() :]
        sentence = rest[0].upper() + rest[1:]
    sentence = _BACK_ADVERB.sub(r"\1 ", sentence)
    return latex_as_text(sentence)


def pick_tldr(title: str, abstract: str, limit: int = TLDR_MAX) -> str:
    """The sentence of ``abstract`` stating the contribution (at most ``limit`` characters),
    made to read on its own (:func:`standalone`)."""
    return standalone(pick_sentence(title, abstract, limit))


def pick_sentence(title: str, abstract: str, limit: int) -> str:
    """One sentence of ``abstract`` (verbatim, at most ``limit`` characters) stating the contribution."""
    sentences = split_sentences(abstract)
    if not sentences:
        return _cut(title.strip(), limit) if len(title.strip()) > limit else title.strip()
    names = paper_names(title)
    best = NAMED if names else CONTRIBUTION  # a paper without a name has no NAMED sentence
    # First only what decides the first tier: most abstracts have a contribution sentence,
    # and then what the others find does not matter.
    ranks = []
    for i, sentence in enumerate(sentences):
        rank = _rank(sentence, i, names, findings=False)
        if rank == best and len(sentence) <= limit:
            return sentence  # the best rank, and every earlier sentence of that rank is too long
        ranks.append(rank)
    if all(rank == _LATER or rank > SECONDARY for rank in ranks):
        ranks = [_rank(sentence, i, names) for i, sentence in enumerate(sentences)]
    ranked = sorted(range(len(sentences)), key=lambda i: (ranks[i], i))
    # Tiers: what the paper contributes or sets out to do; what it finds; anything else.
    # Within a tier, a sentence that fits; failing that, the tier's best sentence, cut.
    for tier in ((NAMED, CONTRIBUTION, SCOPE, SECONDARY), (FINDING,), (MENTION, OTHER, POINTER)):
        candidates = [i for i in ranked if ranks[i] in tier]
        for i in candidates:
            if len(sentences[i]) <= limit:
                return sentences[i]
        if candidates:
            return _cut(sentences[candidates[0]], limit)
    raise AssertionError("unreachable: every sentence has a rank")
