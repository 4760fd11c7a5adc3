"""BibTeX stage: entries compile with real bibtex (plain.bst) and biber, and print as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

import bibtexparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render.bibtex import entry_text, library_chunks
from generator.errors import AtlasError
from generator.model import Paper

ROOT = Path(__file__).resolve().parent.parent

HOSTILE_TITLES = [
    r"Cats & Dogs: 100% of $5 #1 _under_ {braces} ~tilde^ \backslash",
    "Unbalanced { open brace",
    "Unbalanced } close braces }}",
    "A^2Nav: Action-Aware Zero-Shot Robot Navigation",
    "M^{3}: Multi-Modal Models",
    r"\input{/etc/passwd} and \def\x{y}",
    r"$x$ and $\alpha^2$ in Math",
    "Łukasz Kuciński meets Müller: 大规模视觉语言动作模型综述",
    "<script>alert('x')</script> | pipes",
    'Quotes "double" and \'single\' @misc{sign, comma',
    "Trailing backslash \\",
    "Ends with a question?",
    "Tabs\tand\nnewlines  and   spaces",
]

#: Hostile titles holding formulas on purpose: they print as formulas (tests/test_bibtex_styles.py
#: reads them from the PDF); every other hostile title prints character for character.
FORMULAS = {"A^2Nav: Action-Aware Zero-Shot Robot Navigation", "M^{3}: Multi-Modal Models", r"$x$ and $\alpha^2$ in Math"}

SECRETS = ("SECRET-TLDR", "SECRET-ABSTRACT", "987654")


def make_paper(id: str, title: str, **fields) -> Paper:
    fields.setdefault("topics", ["vla-models"])
    fields.setdefault("tldr", "One line.")
    fields.setdefault("abstract", "An abstract.")
    fields.setdefault("bibtex_key", id.replace("-", ""))
    return Paper(id=id, title=title, **fields)


def catalogue_papers() -> list[Paper]:
    papers = [
        make_paper(
            "zhen",
            "3D-VLA: A 3D Vision-Language-Action Generative World Model",
            authors=["Haoyu Zhen", "Xiaowen Qiu", "Peihao Chen"],
            authors_count=8,
            date="2024-03-14",
            venue="ICML 2024",
            arxiv_id="2403.09631",
            upvotes=987654,
            tags=["benchmark"],
            tldr="SECRET-TLDR",
            abstract="SECRET-ABSTRACT",
            links={"code": "https://github.com/UMass-Foundation-Model/3D-VLA"},
            bibtex_key="zhen20243dvla",
        ),
        make_paper(
            "capitals",
            "OpenVLA and ReAct Agents for GUI Tasks in 3D Worlds",
            authors=["Ann Lee"],
        ),
        make_paper(
            "names",
            "Names",
            authors=["Łukasz Kuciński", "Smith, John & Co", "Rock and Roll", "others", "Ann {Brace", "T~x ^ \\ %"],
        ),
        make_paper(
            "no-authors",
            "Untitled Robot Survey & Co",
            venue="Findings of ACL 2025 (Short Papers) 50% _x_",
            links={"paper": "https://example.org/a", "code": "https://github.com/x/y", "project": "https://x.github.io/"},
        ),
        make_paper("old-arxiv", "Old Style", authors=["A. Physicist"], date="1999-01", arxiv_id="hep-th/9901001"),
        make_paper("weird-url", "Weird URL", authors=["A B"], links={"pdf": "https://e.org/a{b}\\c%20d#e~f"}),
    ]
    papers += [make_paper(f"hostile-{i}", title, authors=["Ann Author"]) for i, title in enumerate(HOSTILE_TITLES)]
    return papers


# --- running the real tools ---------------------------------------------------------------


def run_bibtex(directory: Path, bib: str) -> tuple[str, str]:
    """Compile every entry of ``bib`` with plain.bst; the .bbl and .blg texts."""
    (directory / "refs.bib").write_text(bib, encoding="utf-8")
    (directory / "refs.aux").write_text("\\citation{*}\n\\bibdata{refs}\n\\bibstyle{plain}\n")
    done = subprocess.run(["bibtex", "refs"], cwd=directory, capture_output=True, timeout=60)
    blg = (directory / "refs.blg").read_text(encoding="utf-8")
    assert done.returncode == 0, blg
    return (directory / "refs.bbl").read_text(encoding="utf-8"), blg


def assert_clean_log(blg: str) -> None:
    assert "Warning--" not in blg, blg
    assert "error message" not in blg, blg


def bbl_blocks(bbl: str) -> dict[str, list[str]]:
    """Each entry's ``\\newblock`` blocks, whitespace collapsed, by key."""
    body = bbl.split("\\end{thebibliography}")[0]
    items = {}
    for chunk in body.split("\\bibitem{")[1:]:
        key, _, text = chunk.partition("}")
        items[key] = [" ".join(block.split()) for block in text.split("\\newblock")]
    return items


_COMMANDS = {
    "textbackslash": "\\",
    "textbraceleft": "{",
    "textbraceright": "}",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
}
_LATEX = re.compile(r"\{\\([a-z]+)\}|\\([&%$#_])|([{}])|(~)")
#: TeX's names of Greek letters that are not Unicode's.
_TEX_GREEK = {"varepsilon": "ε", "epsilon": "ϵ", "varphi": "φ", "phi": "ϕ", "varsigma": "ς", "vartheta": "ϑ", "lambda": "λ", "Lambda": "Λ"}


def _greek(match: re.Match) -> str:
    name = match[1]
    if name in _TEX_GREEK:
        return _TEX_GREEK[name]
    return unicodedata.lookup(f"GREEK {'CAPITAL' if name[0].isupper() else 'SMALL'} LETTER {name.upper()}")


def reader_text(latex: str) -> str:
    """What a reader sees for the LaTeX our entries produce (only the escapes we use)."""
    latex = re.sub(r"\{\$\\([A-Za-z]+)\$\}", _greek, latex)  # a Greek letter, as a formula

    def replace(match: re.Match) -> str:
        command, special, brace, tie = match.groups()
        if command:
            return _COMMANDS[command]
        if special:
            return special
        return "" if brace else " "

    latex = re.sub(r"\\em\s+", "", latex)  # plain.bst's emphasis of a booktitle: a font, not text
    return " ".join(_LATEX.sub(replace, latex).split())


def as_printed(title: str) -> str:
    """The title as the survey promises to print it: controls dropped, spaces collapsed, then
    plain.bst's closing period."""
    kept = "".join(c for c in title if c.isspace() or unicodedata.category(c) != "Cc")
    text = " ".join(kept.split())
    return text if text.endswith((".", "?", "!")) else text + "."


# --- plain.bst ------------------------------------------------------------------------------


def test_bibtex_entries_compile_with_plain_bst(tmp_path):
    bbl, blg = run_bibtex(tmp_path, "".join(library_chunks(catalogue_papers())))
    assert_clean_log(blg)
    assert set(bbl_blocks(bbl)) == {p.bibtex_key for p in catalogue_papers()}


def test_reader_sees_hostile_titles_as_written(tmp_path):
    bbl, _ = run_bibtex(tmp_path, "".join(library_chunks(catalogue_papers())))
    blocks = bbl_blocks(bbl)
    for i, title in enumerate(HOSTILE_TITLES):
        if title in FORMULAS:
            continue
        printed = reader_text(blocks[f"hostile{i}"][1])
        # plain.bst lowercases unprotected words (sentence case), hence casefold.
        assert printed.casefold() == as_printed(title).casefold(), title


def test_title_capitals_survive_plain_bst_lowercasing(tmp_path):
    bbl, _ = run_bibtex(tmp_path, "".join(library_chunks(catalogue_papers())))
    assert reader_text(bbl_blocks(bbl)["capitals"][1]) == "OpenVLA and ReAct agents for GUI tasks in 3D worlds."
    assert reader_text(bbl_blocks(bbl)["zhen20243dvla"][1]) == "3D-VLA: A 3D vision-language-action generative world model."


def test_system_name_before_the_colon_keeps_its_capitals(tmp_path):
    paper = make_paper("recon", "Recon-Act: A Self-Evolving Multi-Agent Browser-Use System", authors=["Kaiwen He"])
    bbl, _ = run_bibtex(tmp_path, "".join(library_chunks([paper])))
    assert reader_text(bbl_blocks(bbl)["recon"][1]) == "Recon-Act: A self-evolving multi-agent browser-use system."


def test_author_names_print_as_written(tmp_path):
    bbl, _ = run_bibtex(tmp_path, "".join(library_chunks(catalogue_papers())))
    assert reader_text(bbl_blocks(bbl)["names"][0]) == (
        "Łukasz Kuciński, Smith, John & Co, Rock and Roll, others, Ann {Brace, and T~x ^ \\ %."
    )
    # authors_count says the three names are not all: plain.bst writes "et al."
    assert reader_text(bbl_blocks(bbl)["zhen20243dvla"][0]) == "Haoyu Zhen, Xiaowen Qiu, Peihao Chen, et al."


def test_date_and_venue_print_in_plain_bst(tmp_path):
    preprint = make_paper("preprint", "Preprint", authors=["Ann Lee"], date="2024-03-14")
    bbl, _ = run_bibtex(tmp_path, "".join(library_chunks(catalogue_papers() + [preprint])))
    blocks = bbl_blocks(bbl)
    # A known conference: its proceedings, with the venue's year and no month.
    assert reader_text(blocks["zhen20243dvla"][2]) == "In International Conference on Machine Learning (ICML 2024), 2024."
    # A preprint: the month and year of its date.
    assert reader_text(blocks["preprint"][1]) == "Preprint, March 2024."
    # Without authors (@misc until they are known): the track with the venue's name, and
    # what the venue says besides as a note (plain.bst sorts by the key, and prints no URL).
    assert [reader_text(b) for b in blocks["noauthors"]] == [
        "Untitled robot survey & co.",
        "Findings of the Association for Computational Linguistics (Findings of ACL 2025), Short Papers, 2025.",
        "50% _x_.",
    ]


# --- biber and bibtexparser ------------------------------------------------------------------


def run_biber(directory, bib: str, timeout: int) -> tuple[subprocess.CompletedProcess, str]:
    """``biber --tool --validate-datamodel`` on ``bib`` as refs.bib: the run and its log."""
    (directory / "refs.bib").write_text(bib, encoding="utf-8")
    done = subprocess.run(
        ["biber", "--tool", "--validate-datamodel", "refs.bib"],
        cwd=directory, capture_output=True, text=True, timeout=timeout,
    )
    return done, done.stdout + (directory / "refs.bib.blg").read_text(encoding="utf-8")


def test_biber_validates_datamodel(tmp_path):
    papers = catalogue_papers()
    done, log = run_biber(tmp_path, "".join(library_chunks(papers)), timeout=120)
    assert done.returncode == 0, log
    assert "ERROR" not in log, log
    undated = {p.bibtex_key for p in papers if p.date is None and not re.search(r"\b(19|20)\d\d\b", p.venue or "")}
    warned = set()
    for line in log.splitlines():
        if line.startswith("WARN"):
            match = re.search(r"Entry '(\w+)' \(refs\.bib\): Missing mandatory field - one of 'date, year'", line)
            assert match, line
            warned.add(match.group(1))
    assert warned == undated
    # biber understood the arXiv fields: its own output names the eprint type.
    tool_output = (tmp_path / "refs_bibertool.bib").read_text(encoding="utf-8")
    assert tool_output.count("EPRINTTYPE = {arXiv}") == 2


def test_bibtexparser_reads_every_entry_back():
    papers = catalogue_papers()
    library = bibtexparser.parse_string("".join(library_chunks(papers)))
    assert library.failed_blocks == []
    assert [entry.key for entry in library.entries] == [p.bibtex_key for p in papers]


def parsed_entry(paper: Paper) -> dict[str, str]:
    """The entry's field values as bibtexparser reads them (enclosing braces removed)."""
    library = bibtexparser.parse_string(entry_text(paper))
    assert library.failed_blocks == []
    (entry,) = library.entries
    return {field.key: field.value for field in entry.fields}


def test_arxiv_fields_in_arxiv_export_shape():
    zhen = parsed_entry(catalogue_papers()[0])
    assert zhen["eprint"] == "2403.09631"
    assert zhen["archivePrefix"] == "arXiv"
    assert zhen["url"] == "https://arxiv.org/abs/2403.09631"
    assert "primaryClass" not in zhen  # unknown category: left out rather than guessed
    categorised = parsed_entry(make_paper("cat", "Cat", arxiv_id="2403.09631", arxiv_category="cs.RO"))
    assert categorised["primaryClass"] == "cs.RO"
    text = entry_text(make_paper("cat", "Cat", arxiv_id="2403.09631", arxiv_category="cs.RO"))
    assert text.index("eprint") < text.index("archivePrefix") < text.index("primaryClass") < text.index("url")
    old = parsed_entry(make_paper("old", "Old", date="1999-01", arxiv_id="hep-th/9901001"))
    assert old["url"] == "https://arxiv.org/abs/hep-th/9901001"
    plain = parsed_entry(make_paper("plain", "Plain"))
    assert not {"eprint", "archivePrefix", "url"} & set(plain)


def test_url_is_project_then_code_then_first_link():
    links = {"paper": "https://e.org/paper", "code": "https://github.com/x/y", "project": "https://x.github.io/"}
    assert parsed_entry(make_paper("a", "A", links=links))["url"] == "https://x.github.io/"
    del links["project"]
    assert parsed_entry(make_paper("a", "A", links=links))["url"] == "https://github.com/x/y"
    del links["code"]
    assert parsed_entry(make_paper("a", "A", links=links))["url"] == "https://e.org/paper"


def test_month_is_an_unbraced_macro_and_key_only_without_authors():
    (entry,) = bibtexparser.parse_string(entry_text(make_paper("pre", "Pre", authors=["Ann Lee"], date="2024-03-14"))).entries
    assert entry.fields_dict["month"].value == "mar"
    assert entry.fields_dict["month"].enclosing == "no-enclosing"  # the macro, not the text "mar"
    assert entry.fields_dict["year"].value == "2024"
    assert "key" not in entry.fields_dict
    zhen = parsed_entry(catalogue_papers()[0])
    assert "month" not in zhen and zhen["year"] == "2024"  # at a conference: its year, no month
    untitled = parsed_entry(catalogue_papers()[3])
    assert untitled["key"] == "Untitled, 2025" and untitled["shorttitle"] == "Untitled"


def test_display_only_fields_never_reach_the_bib():
    text = "".join(library_chunks(catalogue_papers()))
    for secret in SECRETS:
        assert secret not in text
    fields = {field.key for entry in bibtexparser.parse_string(text).entries for field in entry.fields}
    assert fields <= {
        "title", "author", "key", "shorttitle", "booktitle", "journal", "volume", "number", "pages",
        "year", "month", "howpublished", "note", "eprint", "archivePrefix", "primaryClass", "url",
    }


def test_one_field_per_line_with_aligned_equals():
    text = "".join(library_chunks(catalogue_papers()))
    field_lines = [line for line in text.splitlines() if line.startswith("  ")]
    assert len(field_lines) > 50
    assert {line.index(" = ") for line in field_lines} == {len("  archivePrefix")}
    assert all(re.fullmatch(r"  \w+ +=  ?.*", line) for line in field_lines)


def test_library_is_entries_separated_by_one_blank_line():
    papers = catalogue_papers()
    text = "".join(library_chunks(papers))
    assert text == "\n".join(entry_text(p) for p in papers)
    assert text.endswith("}\n") and "\n\n\n" not in text
    assert text.count("\n\n") == len(papers) - 1
    assert "".join(library_chunks([])) == ""


def test_shared_bibtex_key_is_refused():
    papers = [make_paper("one", "One", bibtex_key="same"), make_paper("two", "Two", bibtex_key="same")]
    with pytest.raises(AtlasError, match="'one' and 'two' share the bibtex_key 'same'"):
        "".join(library_chunks(papers))
    # In pieces (a file written as it is made), the refusal comes before the second entry.
    pieces = library_chunks(papers)
    assert next(pieces) == entry_text(papers[0])
    with pytest.raises(AtlasError, match="share the bibtex_key"):
        next(pieces)


def test_library_pieces_are_its_entries_with_their_blank_lines():
    papers = catalogue_papers()
    entries = {p.id: entry_text(p) for p in papers}
    pieces = list(library_chunks(papers, entries))
    assert len(pieces) == len(papers)
    assert "".join(pieces) == "".join(library_chunks(papers))
    assert pieces[0] == entries[papers[0].id] and pieces[1] == "\n" + entries[papers[1].id]


def test_output_is_byte_identical_across_hash_seeds(tmp_path):
    papers_json = tmp_path / "papers.json"
    papers_json.write_text(json.dumps([p.model_dump() for p in catalogue_papers()]))
    script = (
        "import json, sys\n"
        "from generator.render.bibtex import library_chunks\n"
        "from generator.model import Paper\n"
        "papers = [Paper(**p) for p in json.load(open(sys.argv[1]))]\n"
        "sys.stdout.buffer.write(''.join(library_chunks(papers)).encode('utf-8'))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", script, str(papers_json)], env=env, capture_output=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert outputs == {"".join(library_chunks(catalogue_papers())).encode("utf-8")}


# --- any text at all --------------------------------------------------------------------------

SPECIALS = st.sampled_from(list("&%$#_{}~^\\<>|\"'@,.:;!?-=()[]/ \t\n") + ["and", "others", "A^2", "{\\", "\\}", "$x$", "_{1}"])
ANY_CHAR = st.characters(blacklist_categories=("Cs",))
TEXT = st.lists(st.one_of(SPECIALS, ANY_CHAR), min_size=1, max_size=40).map("".join)
#: Text with none of the characters that make a formula (^, _, $): it prints as written.
LITERAL = TEXT.map(lambda t: re.sub(r"[\^_$]", "", t))


def printable(text: str) -> bool:
    return bool(as_printed(text).rstrip("."))


@settings(max_examples=12, deadline=None)
@given(titles=st.lists(LITERAL.filter(printable), min_size=20, max_size=40),
       anything=st.lists(TEXT.filter(printable), min_size=5, max_size=10),
       names=st.lists(TEXT.filter(printable), min_size=1, max_size=6))
def test_any_titles_and_names_compile_and_print_as_written(titles, anything, names):
    """Any text compiles without a warning (never a half-balanced group or formula); text
    without formula characters (^, _, $) prints character for character."""
    papers = [make_paper(f"p{i}", title, authors=names) for i, title in enumerate(titles)]
    papers += [make_paper(f"x{i}", text, authors=names) for i, text in enumerate(anything)]
    papers.append(make_paper("anonymous", titles[0], date="2020-12"))
    with tempfile.TemporaryDirectory() as directory:
        bbl, blg = run_bibtex(Path(directory), "".join(library_chunks(papers)))
    assert_clean_log(blg)
    assert bibtexparser.parse_string("".join(library_chunks(papers))).failed_blocks == []
    blocks = bbl_blocks(bbl)
    assert set(blocks) == {p.bibtex_key for p in papers}
    for i, title in enumerate(titles):
        # The title is the entry's last block (no date, no URL). It is the second only when
        # the authors print: plain.bst prints nothing for a name without letters, such as "-".
        assert reader_text(blocks[f"p{i}"][-1]).casefold() == as_printed(title).casefold()


# --- the committed catalogue, through the real tools ----------------------------------------


def committed_papers() -> list[Paper]:
    from generator import store

    return store.load(Path(__file__).resolve().parents[1] / "papers.yaml").papers


def test_committed_catalogue_compiles_with_plain_bst_without_warnings(tmp_path):
    papers = committed_papers()
    bbl, blg = run_bibtex(tmp_path, "".join(library_chunks(papers)))
    assert_clean_log(blg)
    assert set(bbl_blocks(bbl)) == {p.bibtex_key for p in papers}


def test_committed_catalogue_passes_biber_with_only_missing_date_warnings(tmp_path):
    papers = committed_papers()
    done, log = run_biber(tmp_path, "".join(library_chunks(papers)), timeout=300)
    assert done.returncode == 0 and "ERROR" not in log, log
    warned = {
        re.search(r"Entry '(\w+)' \(refs\.bib\): Missing mandatory field - one of 'date, year'", line).group(1)
        for line in log.splitlines()
        if line.startswith("WARN")
    }
    assert warned == {p.bibtex_key for p in papers if p.date is None}


def test_committed_catalogue_reads_back_with_bibtexparser():
    papers = committed_papers()
    library = bibtexparser.parse_string("".join(library_chunks(papers)))
    assert library.failed_blocks == []
    assert [entry.key for entry in library.entries] == [p.bibtex_key for p in papers]


GREEK_NAMES = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon phi chi psi omega".split())


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXT, st.sampled_from([r"$\frac{1}{2$", r"$x^$", "$$", r"$\input{a}$", r"a^{b", "x_{1}}", r"$\mathbf$", r"$\alpha$ $", "^{}"])))
def test_latex_is_never_half_balanced(text):
    """Whatever a title holds, its LaTeX has balanced braces and closed formulas."""
    from generator.render.latex import title_field

    latex = title_field(text, ["Go"])
    unescaped = re.sub(r"\\[$&%#_{}]", "", latex)
    assert unescaped.count("$") % 2 == 0, latex
    depth = 0
    for char in unescaped:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, latex
    assert depth == 0, latex
    # A formula holds only what a formula may: no command outside the few allowed.
    for formula in re.findall(r"\$([^$]*)\$", unescaped):
        commands = re.findall(r"\\([A-Za-z]+)", formula)
        assert all(c.lower().removeprefix("var") in GREEK_NAMES or c in ("circ", "mathbf") for c in commands), formula
