"""The survey's BibTeX as plainnat, unsrtnat, IEEEtran and biblatex (authoryear) print it.

Every entry of the committed catalogue and a set of synthetic and hostile entries are
compiled once per style with the real tools (tests/styles.py), and the PDF's text is read
back: titles keep proper nouns and acronyms, formulas print as formulas, group authors
and compound family names are cited as such, an entry without authors gets a short label
with its year, and each venue gives the entry type its readers expect.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from generator import store
from generator.model import Catalogue, Paper
from generator.render.bibtex import entries
from tests.styles import SENTENCE_CASE, STYLES, Printed, printed

ROOT = Path(__file__).resolve().parent.parent


def paper(key: str, title: str, **fields) -> Paper:
    fields.setdefault("topics", ["vla-models"])
    fields.setdefault("tldr", "One line.")
    fields.setdefault("abstract", "An abstract.")
    fields.setdefault("date", "2024-05-01")
    return Paper(id=f"synthetic-{key}", title=title, bibtex_key=key, **fields)


#: Titles whose every character must survive, as written (the hostile cases).
HOSTILE = {
    "zzhostilespecials": r"Cats & Dogs: 100% of $5 #1 _under_ {braces} ~tilde^ \backslash",
    "zzhostileopen": "Unbalanced { open brace",
    "zzhostileclose": "Unbalanced } close braces }}",
    "zzhostilecommands": r"\input{/etc/passwd} and \def\x{y}",
    "zzhostilequotes": "Quotes \"double\" and 'single' @misc{sign, comma",
    "zzhostiletrailing": "Trailing backslash \\",
    "zzhostilehalfmath": r"Half $\frac{1}{2 formula and $x^$ scripts",
    "zzhostilescript": "<script>alert('x')</script> | pipes",
}

SYNTHETIC = [
    # The issue's titles, as the catalogue had them.
    paper("android", "Android in the Wild: A Large-Scale Dataset for Android Device Control", authors=["Ann Lee"]),
    paper("mastering", "Mastering Atari, Go, Chess and Shogi by Planning with a Learned Model", authors=["Ann Lee"]),
    paper("minecraft", "Optimus-2: Multimodal Minecraft Agent with Goal-Observation-Action Conditioned Policy", authors=["Ann Lee"]),
    paper("bayesian", "Context-Aware Bayesian Network Actor-Critic Methods", authors=["Ann Lee"]),
    paper("montecarlo", "LGMCTS: Language-Guided Monte-Carlo Tree Search for Executable Semantic Object Rearrangement", authors=["Ann Lee"]),
    paper("dowhat", "Do What? Teaching Vision-Language-Action Models to Reject the Impossible", authors=["Ann Lee"]),
    paper("exclaim", "Act Now! Planning Under Pressure: Robots That Wait", authors=["Ann Lee"]),
    paper("a2nav", "A^2Nav: Action-Aware Zero-Shot Robot Navigation", authors=["Ann Lee"]),
    paper("m3", "M^{3}: A Modular World Model over Streams of Tokens", authors=["Ann Lee"]),
    paper("pizero", "$π_0$: A Vision-Language-Action Flow Model for General Robot Control", authors=["Ann Lee"]),
    paper("gui360", "GUI-360^circ: A Dataset of GPT-4 and RoboCasa Trajectories", authors=["Ann Lee"]),
    paper("mathtitle", r"$x$ and $\alpha^2$ in Math", authors=["Ann Lee"]),
    # Authors: a group, compound family names, particles.
    paper("groupkey", "Open-Ended Learning Leads to Generally Capable Agents", authors=["Open-Ended Learning Team", "Adam Stooke"], date="2021-07"),
    paper("collab", "Open X-Embodiment: Robotic Learning Datasets", authors=["Open X-Embodiment Collaboration"], date="2023-10"),
    paper("vilares", "Modeling of Learning Curves", authors=["Manuel Vilares Ferro", "Victor M. Darriba Bilbao", "Francisco J. Ribadas Pena"], date="2024-02"),
    paper("damely", "Grasping in the Dark", authors=["Guido Maria D'Amely di Melendugno"], date="2024-03"),
    paper("vangool", "Seeing Far", authors=["Luc Van Gool", "Hado van Hasselt"], date="2016-05"),
    # No authors: a short label with the year, never the title.
    paper("zeronav", "ZeroNav: Vision-Language Navigation Without Maps", date="2023-07"),
    paper("sparse", "Sparse Models are Capable of In-context Scheming", date="2024-12"),
    paper("orglabel", "Molmo and PixMo: Open Weights and Open Data", organization="allenai Ai2", date="2024-09"),
    # Venues: a conference (with the venue's year, not the preprint's), a workshop, a journal, a preprint.
    paper("confyear", "Learning to Act", authors=["Ann Lee"], date="2023-10-02", venue="ICLR 2024 (Oral)", arxiv_id="2310.00001"),
    paper("workshop", "Acting in Worlds", authors=["Ann Lee"], date="2025-05", venue="ICLR 2025 Workshop World Models"),
    paper("journal", "Mastering Games", authors=["Ann Lee"], date="2019-11", venue="Nature 588(7839):604-609 (2020)"),
    paper("preprint", "Just a Preprint", authors=["Ann Lee"], date="2025-01-05", arxiv_id="2501.00002", arxiv_category="cs.RO"),
    paper("thesis", "A Thesis", authors=["Ann Lee"], date="2018-06", venue="PhD thesis, Lund University (2018)"),
] + [paper(key, title, authors=["Ann Lee"]) for key, title in HOSTILE.items()]


def library() -> tuple[str, list[str], Catalogue]:
    """The committed catalogue plus the synthetic entries: the .bib text and its keys."""
    catalogue = store.load(ROOT / "papers.yaml")
    catalogue = catalogue.model_copy(update={"papers": catalogue.papers + SYNTHETIC})
    texts = entries(catalogue)
    return "\n".join(texts[p.id] for p in catalogue.papers), [p.bibtex_key for p in catalogue.papers], catalogue


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return library()[2]


@pytest.fixture(scope="module", params=STYLES)
def style(request, tmp_path_factory) -> Printed:
    bib, keys, _ = library()
    # The directory every pytest-xdist worker of this run shares: one compile per style.
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "citation-styles"
    shared.mkdir(exist_ok=True)
    return printed(request.param, bib, keys, shared)


def by_style(**expected: str):
    return expected


def sentence_case(style: Printed, title_case: str, sentence: str) -> str:
    return sentence if style.style in SENTENCE_CASE else title_case


# --- every entry compiles ---------------------------------------------------------------------


def test_every_entry_compiles_and_prints_once(style: Printed, catalogue: Catalogue):
    errors = [line for line in style.tex_log.splitlines() if line.startswith("!")]
    assert errors == []
    assert "undefined" not in " ".join(line for line in style.tex_log.splitlines() if "Warning" in line), style.style
    keys = [p.bibtex_key for p in catalogue.papers]
    assert sorted(style.order) == sorted(keys)
    assert set(style.citations) == set(keys)
    undated = {p.bibtex_key for p in catalogue.papers if p.date is None}
    if style.style == "biblatex":
        assert not re.search(r"^(ERROR|WARN)", style.log, re.M), style.log
    else:
        # The one warning: an entry without a date has no year, and the style says so.
        warned = set(re.findall(r"^Warning--empty year in (\w+)$", style.log, re.M))
        assert warned <= undated
        assert [w for w in style.log.splitlines() if w.startswith("Warning--") and "empty year" not in w] == []


def test_unsrtnat_keeps_the_order_of_citation_and_plainnat_sorts(style: Printed):
    if style.style == "unsrtnat":
        assert style.order == list(style.citations)
    if style.style == "plainnat":
        assert style.order != list(style.citations)


# --- titles ----------------------------------------------------------------------------------


ISSUE_TITLES = {
    "android": "Android in the wild: A large-scale dataset for Android device control",
    "mastering": "Mastering Atari, Go, chess and shogi by planning with a learned model",
    "minecraft": "Optimus-2: Multimodal Minecraft agent with goal-observation-action conditioned policy",
    "bayesian": "Context-aware Bayesian network actor-critic methods",
    "montecarlo": "LGMCTS: Language-guided Monte-Carlo tree search for executable semantic object rearrangement",
    "dowhat": "Do what? Teaching vision-language-action models to reject the impossible",
    "exclaim": "Act now! Planning under pressure: Robots that wait",
}


@pytest.mark.parametrize("key", ISSUE_TITLES)
def test_proper_nouns_and_the_word_after_a_question_keep_their_capitals(style: Printed, key: str, catalogue: Catalogue):
    written = next(p.title for p in catalogue.papers if p.bibtex_key == key)
    assert style.title(key) == sentence_case(style, written, ISSUE_TITLES[key])


def test_acronyms_and_inner_capitals_keep_their_case(style: Printed):
    printed_title = style.title("gui360").replace(" ", "")
    assert "GUI-360°" in printed_title
    assert printed_title.endswith(sentence_case(style, "ADatasetofGPT-4andRoboCasaTrajectories", "AdatasetofGPT-4andRoboCasatrajectories"))


def test_formulas_print_as_formulas(style: Printed):
    # pdftotext reads a raised "2" as a separate word: compare without spaces.
    assert style.title("a2nav").replace(" ", "").startswith("A2Nav:")
    assert style.title("m3").replace(" ", "").startswith("M3:")
    assert style.title("pizero").replace(" ", "").startswith("π0:")
    math = style.title("mathtitle")
    assert math.replace(" ", "") == sentence_case(style, "xandα2inMath", "xandα2inmath")
    for key in ("a2nav", "m3", "pizero", "gui360", "mathtitle"):
        assert not set("^{}$\\_") & set(style.title(key)), style.title(key)


def as_printed(title: str) -> str:
    return " ".join(title.split())


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_titles_print_every_character_as_written(style: Printed, key: str):
    printed_title = style.title(key)
    written = as_printed(HOSTILE[key])
    if style.style in SENTENCE_CASE:
        assert printed_title.casefold() == written.casefold()
    else:
        assert printed_title == written


def _plain(text: str) -> str:
    """Text as a PDF reader sees it: formulas' marks dropped, typographic quotes straightened."""
    text = re.sub(r"\^\{?\\?circ\}?", "°", text)
    text = re.sub(r"[\^_]\{([^{}]*)\}|\^(\d)", r"\1\2", text)
    text = re.sub(r"\$([^$]*)\$", r"\1", text)
    # LaTeX's own ligatures, which print as the dashes and quotes they stand for.
    return text.replace("---", "—").replace("--", "–").replace("``", "“").replace("''", "”")


#: Title words whose case is a name, by the test's own reading: a capital after the first
#: letter (VLA, ReAct), or capitals and digits together (R1, 3D).
_NAMED = re.compile(r"(?<![^\W_])(?=[^\W_]*[A-Z])(?:[^\W_]+[A-Z][^\W_]*|[A-Z]*\d[^\W_]*)(?![^\W_])")


def test_every_committed_title_prints_with_its_names_capitalised(style: Printed):
    """A property of the whole committed catalogue: each title prints as written, but for
    the case of words that are not names; every acronym, mixed-case word, lexicon noun and
    word after "?", "!" or ":" keeps its capitals."""
    catalogue = store.load(ROOT / "papers.yaml")
    lexicon = [noun for noun in catalogue.bibtex.proper_nouns]
    for paper in catalogue.papers:
        printed_title = style.title(paper.bibtex_key)
        written = _plain(as_printed(paper.title))
        compare = lambda s: unicodedata.normalize("NFC", s).replace(" ", "")  # noqa: E731
        if style.style in SENTENCE_CASE:
            assert compare(printed_title).casefold() == compare(written).casefold(), paper.id
        else:
            assert compare(printed_title) == compare(written), paper.id
        for word in _NAMED.findall(written):
            assert word in printed_title or word.replace(" ", "") in printed_title.replace(" ", ""), (paper.id, word, printed_title)
        for noun in lexicon:
            if re.search(rf"(?<![^\W_]){re.escape(noun)}(?![^\W_])", written):
                assert noun in printed_title, (paper.id, noun, printed_title)
        for after in re.findall(r"[?!:]\s+([A-Z]\w*)", written):
            assert after in printed_title, (paper.id, after, printed_title)


# --- authors ------------------------------------------------------------------------------------


def test_a_group_author_is_cited_and_sorted_as_the_group(style: Printed):
    if style.style == "IEEEtran":  # numbered: the group is printed whole, never initialled
        assert style.text("groupkey").startswith("Open-Ended Learning Team and A. Stooke")
        return
    assert style.citation("groupkey") == "Open-Ended Learning Team and Stooke (2021)"
    assert style.citation("collab") == "Open X-Embodiment Collaboration (2023)"
    assert style.citation("team2021openended").startswith("Open-Ended Learning Team")
    if style.style in ("plainnat", "biblatex"):  # sorted by name: under O, not under T
        position = style.order.index("groupkey")
        before, after = (_sort_word(style, style.order[i]) for i in (position - 1, position + 1))
        assert before <= "open-ended" <= after, (before, after)


def _sort_word(style: Printed, key: str) -> str:
    """The first word an entry sorts by: its citation's first word."""
    return style.citations[key].split()[0].casefold()


def test_double_family_names_and_particles_are_family_names(style: Printed):
    expected = {
        "plainnat": ("Vilares Ferro et al. (2024)", "D'Amely di Melendugno (2024)", "Van Gool and van Hasselt (2016)"),
        "unsrtnat": ("Vilares Ferro et al. (2024)", "D'Amely di Melendugno (2024)", "Van Gool and van Hasselt (2016)"),
        # biblatex leaves a lower-case particle out of citations (its useprefix=false default).
        "biblatex": ("Vilares Ferro, Darriba Bilbao, and Ribadas Pena (2024)", "D'Amely di Melendugno (2024)", "Van Gool and Hasselt (2016)"),
    }
    if style.style == "IEEEtran":
        assert style.text("vilares").startswith("M. Vilares Ferro, V. M. Darriba Bilbao, and F. J. Ribadas Pena,")
        assert style.text("damely").startswith("G. M. D'Amely di Melendugno,")
        assert style.text("vangool").startswith("L. Van Gool and H. van Hasselt,")
        return
    vilares, damely, vangool = expected[style.style]
    assert style.citation("vilares") == vilares
    assert style.citation("damely") == damely
    assert style.citation("vangool") == vangool
    assert "Manuel Vilares Ferro" in style.text("vilares") or "Vilares Ferro, Manuel" in style.text("vilares")


# --- entries without authors --------------------------------------------------------------------


@pytest.mark.parametrize("key, label, year", [("zeronav", "ZeroNav", "2023"), ("sparse", "Sparse", "2024"), ("orglabel", "Ai2", "2024")])
def test_an_entry_without_authors_has_a_short_label_with_its_year(style: Printed, key: str, label: str, year: str, catalogue: Catalogue):
    title = next(p.title for p in catalogue.papers if p.bibtex_key == key)
    citation = style.citation(key)
    if style.style == "IEEEtran":
        assert re.fullmatch(r"\[\d+\]", citation)
    else:
        assert citation in (f"{label}, {year}", f"{label} ({year})"), citation
    # The title prints once, as the title.
    assert style.text(key).casefold().count(title.split(":")[0].split()[-1].casefold()) <= 2
    assert style.text(key).casefold().count(title.casefold()) <= 1
    assert title.casefold() not in citation.casefold()


def test_every_committed_entry_without_authors_is_cited_short(style: Printed):
    catalogue = store.load(ROOT / "papers.yaml")
    for paper in catalogue.papers:
        if paper.authors or style.style == "IEEEtran":
            continue
        citation = style.citation(paper.bibtex_key)
        assert len(citation) <= 45 and paper.title not in citation, citation
        # Its year: the venue's, else the date's.
        year = re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", paper.venue or "") or ([paper.date[:4]] if paper.date else [])
        if year:
            assert year[0] in citation, citation


# --- entry types from the venue ---------------------------------------------------------------------


def test_a_conference_paper_is_in_its_proceedings_with_the_venues_year(style: Printed):
    text = style.text("confyear")
    assert "International Conference on Learning Representations (ICLR 2024)" in text
    assert re.search(r"\bIn:? International Conference on Learning Representations", text, re.I), text
    assert "2023" not in text.replace("2310.00001", "")  # the preprint's year is not the paper's
    assert "oral" in text.casefold()
    if style.style != "IEEEtran":
        assert style.citation("confyear").endswith("(2024)")


def test_a_workshop_paper_keeps_its_workshop_name(style: Printed):
    assert re.search(r"\bIn:? ICLR 2025 Workshop World Models", style.text("workshop"), re.I), style.text("workshop")


def test_a_journal_article_has_journal_volume_number_and_pages(style: Printed):
    text = style.text("journal")
    expected = {
        "plainnat": "Nature, 588(7839):604–609, 2020.",
        "unsrtnat": "Nature, 588(7839):604–609, 2020.",
        "IEEEtran": "Nature, vol. 588, no. 7839, pp. 604–609, 2020.",
        "biblatex": "In: Nature 588.7839, pp. 604–609.",
    }[style.style]
    assert expected in text, text


def test_a_preprint_is_misc_with_its_arxiv_id_or_url(style: Printed):
    text = style.text("preprint")
    assert "https://arxiv.org/abs/2501.00002" in text.replace(" ", "")
    if style.style == "biblatex":
        assert "arXiv: 2501.00002 [cs.RO]" in text
    assert "January 2025" in text or "Jan. 2025" in text


def test_a_venue_not_in_the_table_is_printed_as_written(style: Printed):
    assert "PhD thesis, Lund University (2018)" in style.text("thesis")
