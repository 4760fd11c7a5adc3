"""Put a paper on the survey's pages: its topics (primary first) and its cross-cutting tags.

The rules are data, not code: every topic carries the phrases that put papers on it
(``Topic.phrases``, under ``topics:`` in papers.yaml). To move
papers, a contributor edits phrases, never this module.

Phrase mini-syntax (one string per phrase):

``vision-language navigation``
    Matched case-insensitively as whole words: a phrase starts at the beginning of the
    text or after a space, hyphen, dash, bracket, quote or slash, and ends where a word
    ends. Spaces and hyphens are interchangeable ("Vision Language Navigation" matches).
``robot*``
    A trailing ``*`` matches any word ending: robot, robots, robotic, robotics.
``!gui``
    Strong: a phrase that by itself says what the topic is. Weighs 3 instead of 1.
``title:benchmark``
    Counts only when it occurs in the title. Combines with ``!``: ``title:!survey``.

Scoring and precedence, for each topic:

* a phrase found in the title scores ``TITLE_WEIGHT`` (4) times its weight: what a paper
  calls itself outweighs what its abstract mentions;
* a phrase found in the abstract scores its weight per occurrence, at most
  ``ABSTRACT_REPEATS`` (3) occurrences: a paper about X says X more than once;
* where phrases overlap in the text, the longest claims it: "web navigation" (GUI
  agents) is not also an occurrence of "navigation" (embodied agents); a phrase listed
  by two topics counts for both;
* the primary topic is the best-scoring one with at least ``MIN_PRIMARY`` (4) points, so
  one passing mention is not enough; ties go to the topic listed first in the taxonomy;
* up to ``MAX_SECONDARY`` (2) secondary topics follow, best first, if each scores at least
  ``MIN_SECONDARY`` (4) and ``SECONDARY_RATIO`` (0.5) of the primary's score;
* when no topic reaches ``MIN_PRIMARY``, the paper goes to the fallback topic alone:
  ``related-work`` if the taxonomy has it, else its last topic. The fallback topic is
  never a secondary topic; it may have phrases of its own, which compete like any other.

``score_topics`` shows the scores behind a placement. All phrases of a taxonomy are
compiled once (cached) into a single trie-shaped regex, so a paper is read in one pass:
100,000 papers take about 5 s of CPU time.

Tags (``survey``, ``benchmark``, ``dataset``) say what a paper *contributes*: a paper that
introduces a benchmark is tagged ``benchmark`` ("we introduce X, a benchmark for ...", or
a title such as "X-Bench: ..." or "X: A Benchmark for ..."); one that evaluates on
benchmarks is not. A dataset counts when it is named or called new, large-scale, first
..., so that the training data every method paper assembles does not. Surveys say so in
their title ("A Survey on", "Review", "Overview") or abstract ("this survey", "we review").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..errors import quote
from ..model import Topic

TITLE_WEIGHT = 4
ABSTRACT_REPEATS = 3
STRONG_WEIGHT = 3
MIN_PRIMARY = 4
MIN_SECONDARY = 4
SECONDARY_RATIO = 0.5
MAX_SECONDARY = 2
FALLBACK_SLUG = "related-work"



@dataclass(frozen=True)
class Phrase:
    """One parsed phrase of a topic."""

    text: str
    weight: int
    title_only: bool


def parse_phrase(raw: str) -> Phrase:
    """Parse the mini-syntax (``title:`` and ``!`` prefixes) of one phrase.

    Raises ValueError for a phrase that does not start with a letter or digit.
    """
    text = raw.strip()
    title_only = False
    if text.lower().startswith("title:"):
        title_only, text = True, text[len("title:") :].strip()
    weight = 1
    if text.startswith("!"):
        weight, text = STRONG_WEIGHT, text[1:].strip()
    if not re.match(r"[^\W_]", text):
        raise ValueError(f"phrase {quote(raw)} must start with a letter or digit")
    return Phrase(text, weight, title_only)


#: Hyphens, dashes, brackets, quotes and slashes become spaces before matching: a phrase
#: starts at any word boundary except after clause punctuation ("non-VLA", "(GUI)",
#: "VLA/VLM"), and "vision-language-action" reads as "vision language action".
_TO_SPACE = str.maketrans(
    {c: " " for c in "-\u2010\u2011\u2012\u2013\u2014()[]{}<>/\\|\"'\u201c\u201d\u2018\u2019"}
)


def _prepare(text: str) -> str:
    """Lower-cased text with a leading space, as the phrase regex expects it."""
    return " " + text.lower().translate(_TO_SPACE)


_SEP, _STAR, _END = "\x00sep", "\x00star", "\x00end"


def _phrase_atoms(text: str) -> tuple[str, ...]:
    """A phrase as trie atoms: its lower-case characters, with separators and ``*`` marked."""
    stem = text.endswith("*")
    words = text.rstrip("*").lower().translate(_TO_SPACE).split()
    atoms: list[str] = []
    for i, word in enumerate(words):
        if i:
            atoms.append(_SEP)
        atoms.extend(word)
    atoms.append(_STAR if stem else _END)
    return tuple(atoms)


@dataclass(frozen=True)
class _Rule:
    """What a match of one phrase is worth to one topic."""

    topic: int
    weight: int
    title_only: bool


@dataclass(frozen=True)
class CompiledTaxonomy:
    """All phrases of a taxonomy as one trie-shaped regex over lower-cased text.

    Each phrase ends in an empty named group ``pN``; ``rules[pN]`` says what it is worth.
    """

    slugs: tuple[str, ...]
    regex: re.Pattern[str] | None
    rules: dict[str, tuple[_Rule, ...]]


def _trie_regex(phrases: dict[tuple[str, ...], str]) -> str:
    """One regex for many phrases, shaped as a trie so that matching stays fast.

    At every branch the longer continuation is tried first, then the phrase that ends
    here, then a ``*`` ending: where phrases overlap, the longest one claims the text.
    """
    trie: dict = {}
    for atoms, group in phrases.items():
        node = trie
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[""] = group

    def emit(node: dict, previous: str) -> str:
        alternatives = []
        for atom in sorted(a for a in node if a and not a.startswith("\x00")):
            alternatives.append(re.escape(atom) + emit(node[atom], atom))
        if _SEP in node:
            alternatives.append(r"\s+" + emit(node[_SEP], " "))
        if _END in node:
            boundary = r"\b" if re.match(r"\w", previous) else ""
            alternatives.append(f"{boundary}(?P<{node[_END]['']}>)")
        if _STAR in node:
            alternatives.append(rf"\w*(?P<{node[_STAR]['']}>)")
        return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"

    # A phrase starts after a space (see _prepare). Starting with a literal character, the
    # regex engine can skip ahead to candidate positions: 2 times faster than testing \b.
    return " " + emit(trie, " ")


@lru_cache(maxsize=32)
def _compile(key: tuple[tuple[str, tuple[str, ...]], ...]) -> CompiledTaxonomy:
    rules: dict[tuple[str, ...], dict[int, _Rule]] = {}
    for index, (_slug, raw_phrases) in enumerate(key):
        for raw in raw_phrases:
            phrase = parse_phrase(raw)
            by_topic = rules.setdefault(_phrase_atoms(phrase.text), {})
            rule = _Rule(index, phrase.weight, phrase.title_only)
            # A phrase listed twice in a topic ("vision-language-action" and "vision language
            # action" are one phrase) counts once, with its highest weight.
            old = by_topic.get(index)
            if old is None or (rule.weight, not rule.title_only) > (old.weight, not old.title_only):
                by_topic[index] = rule
    groups = {atoms: f"p{i}" for i, atoms in enumerate(sorted(rules))}
    regex = re.compile(_trie_regex(groups)) if groups else None
    return CompiledTaxonomy(
        tuple(slug for slug, _ in key), regex, {groups[a]: tuple(r.values()) for a, r in rules.items()}
    )


def compile_topics(topics: Sequence[Topic] | CompiledTaxonomy) -> CompiledTaxonomy:
    """The taxonomy's phrases as one regex, compiled once per distinct taxonomy (cached).

    Placing many papers, compile once and pass the result to :func:`assign_topics`:
    even a cache lookup has to read every phrase of the taxonomy.
    """
    if isinstance(topics, CompiledTaxonomy):
        return topics
    return _compile(tuple((t.slug, tuple(t.phrases)) for t in topics))


def score_topics(title: str, abstract: str, topics: Sequence[Topic] | CompiledTaxonomy) -> dict[str, int]:
    """Every topic's score for a paper, in taxonomy order (useful to explain a placement)."""
    compiled = compile_topics(topics)
    scores = [0] * len(compiled.slugs)
    if compiled.regex is not None:
        for group in {m.lastgroup for m in compiled.regex.finditer(_prepare(title))}:
            for rule in compiled.rules[group]:  # type: ignore[index]
                scores[rule.topic] += TITLE_WEIGHT * rule.weight
        counts: dict[str, int] = {}
        for m in compiled.regex.finditer(_prepare(abstract)):
            counts[m.lastgroup] = counts.get(m.lastgroup, 0) + 1  # type: ignore[index]
        for group, n in counts.items():
            for rule in compiled.rules[group]:
                if not rule.title_only:
                    scores[rule.topic] += rule.weight * min(n, ABSTRACT_REPEATS)
    return dict(zip(compiled.slugs, scores))


def assign_topics(title: str, abstract: str, topics: Sequence[Topic] | CompiledTaxonomy) -> list[str]:
    """Topic slugs for a paper: the primary topic (its page) first, then up to two secondary ones.

    Never empty: a paper no topic claims goes to the fallback topic (see module docstring).
    ``topics``: the taxonomy, or :func:`compile_topics` of it.
    """
    compiled = compile_topics(topics)
    slugs = list(compiled.slugs)
    if not slugs:
        raise ValueError("the taxonomy has no topics")
    fallback = FALLBACK_SLUG if FALLBACK_SLUG in slugs else slugs[-1]
    scores = score_topics(title, abstract, compiled)
    # Stable sort: equal scores keep taxonomy order.
    ranked = sorted(slugs, key=lambda s: -scores[s])
    primary = ranked[0]
    if scores[primary] < MIN_PRIMARY:
        return [fallback]
    secondary = [
        s
        for s in ranked[1:]
        if s != fallback and scores[s] >= MIN_SECONDARY and scores[s] >= SECONDARY_RATIO * scores[primary]
    ]
    return [primary, *secondary[:MAX_SECONDARY]]


# --- Tags -------------------------------------------------------------------------------

_INTRO_VERB = (
    r"(?:introduc|present|propos|construct|build|built|develop|releas|curat|creat|establish|"
    r"contribut|collect|design|offer|provid|compil|assembl)\w*"
)
# The paper itself must do the introducing: "we (also) introduce", "this paper presents".
_INTRO = (
    rf"(?:\bwe\s+(?:[^\s.;]+\s+){{1,30}}?and"
    rf"|\b(?:we|this\s+(?:[a-z]+\s+)?(?:paper|work|study|letter|report)|our\s+work))"
    rf"\s+(?:(?:also|further|then|first|additionally|newly|carefully|\w+ly|have|will)\s+)*{_INTRO_VERB}"
)
#: Words that, between the verb and the noun, mean the noun is not what is introduced
#: ("we propose X that outperforms baselines on three benchmarks").
_NOT_BETWEEN = (
    r"(?:on|across|in|using|with|over|that|which|to|from|by|for|against|of|we|they|is|are|was|"
    r"were|has|have|need|needs|outperform\w*|achiev\w*|surpass\w*)"
)
_GAP = rf"(?:(?!{_NOT_BETWEEN}\b)[^\s.;:]+\s+){{0,7}}?"
# A dataset counts when it is presented as a contribution in its own right: named
# ("the RefAVA dataset", "GAIA, a ... dataset") or called new, large-scale, first ...
_QUALIFIER = r"(?:new|novel|first|large|large-scale|comprehensive|benchmark|annotated|annotation|public|open-source)"
_NAME = r"[^\s.;:]*(?:[A-Z][^\s.;:]*[A-Z0-9]|[a-z][A-Z]|\d)[^\s.;:]*"


def _introduces(nouns: str, qualified: bool) -> re.Pattern[str]:
    """'we introduce a new large-scale NOUN', 'X, a NOUN for', 'X is a NOUN'."""
    if qualified:
        marker = rf"(?:(?i:{_QUALIFIER})\b|{_NAME}\s)"
        gap = rf"(?i:{_GAP}){marker}(?i:\s*{_GAP})"
    else:
        gap = rf"(?i:{_GAP})"
    verb = rf"(?i:{_INTRO})\s+{gap}(?i:{nouns})\b"
    apposition = (
        rf"(?:^|[.:]\s+|\b(?i:we\s+{_INTRO_VERB})\s+){_NAME}(?:\s*\([^)]*\))?\s*(?:,\s*|\s+is\s+)"
        rf"(?i:(?:a|an|the\s+first)\s+{_GAP}(?:{nouns}))\b"
    )
    return re.compile(f"{verb}|{apposition}")


# A title segment (after "X:" or the whole title) whose head noun is the thing introduced:
# "AVA: A Video Dataset of ...", "Benchmarking LLMs for ...", but not "... by Querying
# Unlabeled Datasets" (a preposition before the noun means the noun is not the contribution).
_TITLE_STOP = r"(?:by|on|from|for|in|with|of|to|via|using|querying|across|and|as|beyond)"


def _title_head(nouns: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:^|:\s*)(?:(?!{_TITLE_STOP}\b)[^\s:]+\s+){{0,5}}?[\w-]*?(?:{nouns})\b", re.IGNORECASE
    )


@dataclass(frozen=True)
class _TagRule:
    """A tag is given when ``in_title`` matches the title, or ``in_abstract`` matches the
    abstract in a sentence containing ``keyword`` (lower case; searched there only, for speed)."""

    keyword: re.Pattern[str]
    in_title: re.Pattern[str]
    in_abstract: re.Pattern[str]


_TAG_RULES: dict[str, _TagRule] = {
    "benchmark": _TagRule(
        re.compile(r"bench|test ?bed|arena|evaluation suite"),
        _title_head(r"bench|benchmark\w*"),
        _introduces(r"benchmark(?:s|\s+suite)?|evaluation\s+suite|test\s?bed|arena", qualified=False),
    ),
    "dataset": _TagRule(
        re.compile(r"dataset|corpus|corpora"),
        _title_head(r"datasets?|corpus"),
        _introduces(r"datasets?|corpus|corpora", qualified=True),
    ),
    "survey": _TagRule(
        re.compile(r"survey|review|overview|body of|guide"),
        re.compile(r"\b(?:survey|review|overview|hitchhiker'?s\s+guide)\b", re.IGNORECASE),
        re.compile(
            r"\b(?:this|our|the\s+present)\s+(?:[a-z]+\s+)?(?:survey|review|overview)\b"
            r"|\bwe\s+(?:systematically\s+)?(?:survey|review)\b(?!\s+(?:the\s+)?(?:results|findings))"
            r"|\b(?:comprehensive|systematic|structured)\s+(?:survey|review|overview)\s+of\b"
            r"|\bsystemati[sz]e\s+(?:a|the)\s+(?:\w+\s+)?body\s+of\s+(?:research|work|literature)\b",
            re.IGNORECASE,
        ),
    ),
}


def _search_near(rule: _TagRule, abstract: str, lower: str) -> bool:
    """``rule.in_abstract`` in each sentence of the abstract that has the keyword."""
    for m in rule.keyword.finditer(lower):
        # From the end of the previous sentence (its ". ", which the patterns may use) to
        # just after the keyword: the patterns end with the keyword's noun.
        start = max(lower.rfind(". ", 0, m.start()), 0)
        if rule.in_abstract.search(abstract, start, m.end() + 24):
            return True
    return False


def assign_tags(title: str, abstract: str) -> list[str]:
    """Tags from model.TAGS that say what the paper contributes, sorted."""
    lower_title, lower = title.lower(), abstract.lower()
    if len(lower) != len(abstract):  # a few characters (such as "İ") grow when lower-cased
        lower = "".join(c.lower() if len(c.lower()) == 1 else c for c in abstract)
    tags = []
    for tag, rule in _TAG_RULES.items():
        if rule.keyword.search(lower_title) and rule.in_title.search(title) or _search_near(rule, abstract, lower):
            tags.append(tag)
    return sorted(tags)
