"""TL;DRs: the sentence of the abstract that states the contribution, verbatim and short."""

from __future__ import annotations

import re

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.ingest.listings import read_listing
from generator.model import TLDR_MAX
from generator import store
from generator.text import fingerprint, normalise_title
from generator.ingest.tldr import ELLIPSIS, is_contribution, paper_names, pick_sentence, pick_tldr, split_sentences, standalone

ROOT = Path(__file__).parent.parent
LISTINGS = ROOT / "listings"


@pytest.fixture(scope="module")
def real_tldrs() -> list[tuple[str, str, str]]:
    """(title, abstract, tldr) of every paper in the real listings."""
    seen: dict[str, tuple[str, str]] = {}
    for path in sorted(LISTINGS.glob("*.txt")):
        for entry in read_listing(path).entries:
            seen.setdefault(normalise_title(entry.title), (entry.title, entry.abstract))
    return [(title, abstract, pick_tldr(title, abstract)) for title, abstract in seen.values()]


# --- choosing the sentence -----------------------------------------------------------------


def test_picks_the_contribution_not_the_opening_background():
    abstract = (
        "Large language models have shown impressive abilities across many tasks. "
        "However, they struggle to act in interactive environments. "
        "To address this, we propose ReAct, a method that interleaves reasoning and acting. "
        "Experiments show large gains on ALFWorld."
    )
    # The sentence, without the phrase that points back to one the reader cannot see.
    assert pick_tldr("ReAct: Reasoning and Acting", abstract) == (
        "We propose ReAct, a method that interleaves reasoning and acting."
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "This paper presents Instruct2Act, a framework that maps instructions to robot actions.",
        "In this work, we study how data quality shapes imitation learning.",
        "Here we present Concordia, a library for generative agent-based modelling.",
        "We are the first to explore rule-based RL for GUI action prediction.",
        "Our key insight is that task-specific data can select the prior data to use.",
        "An algorithm to estimate learning curves is introduced.",
        "ALFRED is a benchmark for mapping instructions to household actions.",
    ],
)
def test_contribution_cues(sentence):
    title = "ALFRED: A Benchmark" if sentence.startswith("ALFRED") else "Some Title"
    assert is_contribution(sentence, title)
    assert pick_tldr(title, "Agents are everywhere nowadays. " + sentence + " Results are good.") == sentence


def test_background_and_results_are_not_contribution_cues():
    assert not is_contribution("Recent works have proposed many methods for this task.")
    assert not is_contribution("Large language models have shown remarkable abilities.")


def test_sentence_naming_the_paper_beats_an_earlier_generic_contribution():
    abstract = (
        "We propose a general recipe for training agents. "
        "To this end, we introduce AgentRefine, a framework for agent tuning."
    )
    assert pick_tldr("AgentRefine: Refinement Tuning", abstract).startswith("We introduce AgentRefine")


def test_secondary_contribution_comes_after_the_main_one():
    abstract = "We further propose a training trick. In this work, we study VLA adaptation design choices."
    assert pick_tldr("Fine-Tuning VLAs", abstract) == "In this work, we study VLA adaptation design choices."


def test_code_pointer_is_never_the_tldr_when_anything_else_exists():
    abstract = "Robots act in homes. We release our code at https://github.com/x/y. It works."
    assert pick_tldr("X", abstract) == "Robots act in homes."


def test_without_a_cue_the_sentence_naming_the_paper_then_the_first_sentence():
    abstract = "Robots need maps. The VSViG model runs in real time. It is accurate."
    assert pick_tldr("VSViG: Seizure Detection", abstract) == "The VSViG model runs in real time."
    assert pick_tldr("Nothing Named", abstract) == "Robots need maps."


def test_paper_names_are_the_title_head_and_its_acronyms():
    assert paper_names("UI-R1: Enhancing Action Prediction of GUI Agents") == ["UI-R1", "GUI"]
    assert paper_names("ShowUI: One Vision-Language-Action Model for GUI Visual Agent") == ["ShowUI", "GUI"]
    assert paper_names("Data Quality in Imitation Learning") == []


# --- the length limit ------------------------------------------------------------------------


def test_too_long_contribution_gives_way_to_the_next_contribution_under_the_limit():
    long = "We propose X, a method that " + "does many things, " * 20 + "and more."
    short = "We also introduce a benchmark for X."
    tldr = pick_tldr("X", f"Background. {long} {short}")
    assert tldr == short


def test_last_resort_cuts_the_contribution_at_a_clause_boundary():
    long = (
        "We propose CSA, a novel attention mechanism for action detection, which learns "
        + "from the temporal distribution of class semantics and of many other things " * 4
        + "in videos."
    )
    tldr = pick_tldr("CSA", "Action detection matters. " + long)
    assert len(long) > TLDR_MAX
    assert tldr == "We propose CSA, a novel attention mechanism for action detection" + ELLIPSIS
    assert len(tldr) <= TLDR_MAX


def test_cut_without_any_clause_boundary_still_fits_and_is_a_prefix():
    long = "We propose " + "x" * 400 + "."
    tldr = pick_tldr("X", long, limit=100)
    assert len(tldr) <= 100 and tldr.endswith(ELLIPSIS)
    assert long.startswith(tldr.removesuffix(ELLIPSIS))


def test_empty_abstract_falls_back_to_the_title():
    assert pick_tldr("A Title", "") == "A Title"


# --- sentence splitting ----------------------------------------------------------------------


def test_split_respects_abbreviations_decimals_and_urls():
    text = (
        "We use tools, e.g. Python and SQL, i.e. code. Smith et al. Showed this in Fig. 2 of "
        "their paper. Scores rose from 3.5 to 4.2 vs. 3.1 for the baseline. The code is at "
        "https://github.com/org/repo.git. Models, ie, networks, work. Is it good? Yes!"
    )
    assert split_sentences(text) == [
        "We use tools, e.g. Python and SQL, i.e. code.",
        "Smith et al. Showed this in Fig. 2 of their paper.",
        "Scores rose from 3.5 to 4.2 vs. 3.1 for the baseline.",
        "The code is at https://github.com/org/repo.git.",
        "Models, ie, networks, work.",
        "Is it good?",
        "Yes!",
    ]


def test_split_keeps_parentheses_whole_and_mends_a_missing_space():
    text = (
        'We create stories (e.g., "The can has chips in it. Mary buys it."), each with questions. '
        "Then agents.D-PoT adapts plans."
    )
    assert split_sentences(text) == [
        'We create stories (e.g., "The can has chips in it. Mary buys it."), each with questions.',
        "Then agents.",
        "D-PoT adapts plans.",
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=120),
        max_size=8,
    ),
    st.integers(min_value=20, max_value=TLDR_MAX),
)
def test_tldr_is_always_a_short_verbatim_piece_of_the_abstract(parts, limit):
    abstract = " ".join(parts).strip()
    tldr = pick_sentence("A Title", abstract, limit)
    assert len(tldr) <= limit
    assert len(pick_tldr("A Title", abstract, limit=limit)) <= limit
    if abstract.strip():
        assert tldr.removesuffix(ELLIPSIS) in abstract
        assert tldr.strip() == tldr


# --- the real listings -------------------------------------------------------------------------


def test_real_tldrs_are_verbatim_and_short(real_tldrs):
    cut = 0
    for title, abstract, tldr in real_tldrs:
        assert 0 < len(tldr) <= TLDR_MAX, title
        # Whole sentences (a cut one, the last resort, ends in "…"), each read on its own.
        if tldr.endswith(ELLIPSIS):
            cut += 1
        else:
            assert tldr in {standalone(s) for s in split_sentences(abstract)}, title
    assert cut <= 0.05 * len(real_tldrs)


def test_real_tldrs_state_the_contribution(real_tldrs):
    stating = [tldr for title, _, tldr in real_tldrs if is_contribution(tldr, title)]
    assert len(stating) >= 0.90 * len(real_tldrs)


def test_real_tldrs_skip_the_background_opening(real_tldrs):
    opening = [tldr for _, abstract, tldr in real_tldrs if tldr == split_sentences(abstract)[0]]
    # Only abstracts that open with their contribution ("We present X, ...").
    assert all(is_contribution(tldr) or tldr.split()[0] not in ("Recent", "Large", "While") for tldr in opening)
    assert len(opening) < 0.25 * len(real_tldrs)


# Phrases that point back to a sentence the TL;DR's reader cannot see (the test's own list).
POINTING_BACK = re.compile(
    r"^(?:To (?:this|that) end|To (?:address|tackle|overcome|bridge|fill|solve|handle|mitigate) (?:this|these|those|such)\b"
    r"|To (?:address|tackle|overcome|bridge|fill|solve|handle|mitigate) (?:the|both|these) (?:two |three )?"
    r"(?:challenges?|issues?|problems?|gaps?|limitations?|shortcomings?),"
    r"|Therefore|Thus|Hence|Consequently|However|Instead|Moreover|Furthermore|Additionally|In addition,"
    r"|Motivated by (?:this|these)|Building (?:up)?on this|We (?:then|hence|thus|therefore))\b"
)
#: LaTeX as the abstracts leave it: a command, a braced script, a digit raised after a
#: letter (A^2Nav), a formula in dollars, ^circ.
RAW_LATEX = re.compile(r"\\[A-Za-z]|[\^_]\{|\$|\^circ|(?<=[A-Za-z0-9)])\^\d")


def test_real_tldrs_read_on_their_own(real_tldrs):
    pointing = [tldr for _, _, tldr in real_tldrs if POINTING_BACK.match(tldr)]
    assert len(pointing) < 10, pointing
    assert all(tldr[0].isupper() or tldr[0].isdigit() or not tldr[0].isalpha() for _, _, tldr in real_tldrs)


def test_real_tldrs_carry_no_raw_latex(real_tldrs):
    assert [tldr for _, _, tldr in real_tldrs if RAW_LATEX.search(tldr)] == []


def test_committed_tldrs_read_on_their_own_and_carry_no_raw_latex():
    """A property of the committed catalogue, whoever wrote its TL;DRs: none carries raw
    LaTeX; none that import wrote (its fingerprint matches) opens by pointing back; of the
    curated ones (kept as curators wrote them), fewer than ten do."""
    papers = store.load(ROOT / "papers.yaml").papers
    assert [(p.id, p.tldr) for p in papers if RAW_LATEX.search(p.tldr)] == []
    pointing = [p for p in papers if POINTING_BACK.match(p.tldr)]
    assert [(p.id, p.tldr) for p in pointing if p.generated.get("tldr") == fingerprint(p.tldr)] == []
    assert len(pointing) < 10, [p.tldr for p in pointing]


@pytest.mark.parametrize(
    ("sentence", "reads"),
    [
        ("To this end, we propose X, a policy for robots.", "We propose X, a policy for robots."),
        ("To address these challenges, we introduce Y, a benchmark.", "We introduce Y, a benchmark."),
        ("Motivated by this observation, this paper presents Z for agents.", "This paper presents Z for agents."),
        ("Therefore, a planner that re-plans is needed here.", "A planner that re-plans is needed here."),
        ("To mitigate the challenges, we introduce Auto-UI, a multimodal agent.", "We introduce Auto-UI, a multimodal agent."),
        ("Moreover, we release a benchmark of thirty tasks.", "We release a benchmark of thirty tasks."),
        ("We then propose simple metrics that reflect true performance.", "We propose simple metrics that reflect true performance."),
        ("We hence propose GLIDN, a distillation network.", "We propose GLIDN, a distillation network."),
        ("To this end, we then introduce a loop for training.", "We introduce a loop for training."),
        # An adverb that orders the contributions, or "then" as a word of the claim, stays.
        ("We first collect a dataset of interactions.", "We first collect a dataset of interactions."),
        ("We then-and-there act.", "We then-and-there act."),
        # A phrase that names what it addresses reads on its own.
        ("To address multi-domain planning challenges, we develop a method.", "To address multi-domain planning challenges, we develop a method."),
        # Self-contained openings stay.
        ("In this paper, we introduce W, a world model.", "In this paper, we introduce W, a world model."),
        ("With this work, we release a dataset of robot trajectories.", "With this work, we release a dataset of robot trajectories."),
        ("To enable systematic evaluation, we introduce B.", "To enable systematic evaluation, we introduce B."),
        # Too little left after the phrase: kept whole.
        ("Therefore, we win.", "Therefore, we win."),
        # LaTeX leftovers become text.
        (r"We introduce Align-Then-stEer (\texttt{ATE)}, a framework.", "We introduce Align-Then-stEer (ATE), a framework."),
        ("We introduce M^{3}, a modular world model.", "We introduce M³, a modular world model."),
        ("We propose an action-aware method (A^2Nav) for navigation.", "We propose an action-aware method (A²Nav) for navigation."),
        ("We introduce GUI-360^circ, a dataset.", "We introduce GUI-360°, a dataset."),
        ("We design a loss (L_{EC}) for events.", "We design a loss (L_EC) for events."),
        ("It costs $O(n)$ time per step.", "It costs O(n) time per step."),
        ("100% of the 3,000 tasks {sic} pass.", "100% of the 3,000 tasks {sic} pass."),
    ],
)
def test_a_tldr_reads_on_its_own(sentence, reads):
    assert standalone(sentence) == reads
