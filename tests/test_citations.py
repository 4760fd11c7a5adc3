"""RIS and CSL-JSON, read by independent readers: rispy (RIS) and citeproc-py (CSL-JSON,
rendered as a bibliography and as citations in the Harvard style it ships)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from generator import store
from generator.model import Catalogue, Paper
from generator.render.citations import citation_files, csl_json, paper_citations, ris, survey_citations, topic_citations

ROOT = Path(__file__).resolve().parent.parent


def paper(key: str, title: str, **fields) -> Paper:
    fields.setdefault("topics", ["vla-models"])
    fields.setdefault("tldr", "One line.")
    fields.setdefault("abstract", "SECRET-ABSTRACT")
    fields.setdefault("date", "2024-05-01")
    return Paper(id=f"p-{key}", title=title, bibtex_key=key, **fields)


SYNTHETIC = [
    paper("conf", "Learning to Act", authors=["Ann Lee", "Bo Chen"], date="2023-10-02", venue="ICLR 2024 (Oral)", arxiv_id="2310.00001"),
    paper("journal", "Mastering Games", authors=["Julian Schrittwieser"], date="2019-11", venue="Nature 588(7839):604-609 (2020)"),
    paper("preprint", "A^2Nav: Action-Aware Navigation", authors=["Peihao Chen"], date="2023-08-15", arxiv_id="2308.07997"),
    paper("group", "Open-Ended Learning", authors=["Open-Ended Learning Team", "Adam Stooke"], date="2021-07"),
    paper("vilares", "Learning Curves", authors=["Manuel Vilares Ferro", "Victor M. Darriba Bilbao"], date="2024-02"),
    paper("anonymous", "ZeroNav: Navigation Without Maps", date="2023-07"),
    paper("hostile", 'Cats & Dogs: {braces} "quotes" \\backslash <b>x</b>\nER  - ', authors=["Ann Lee"], date="2020-01"),
    paper("thesis", "A Thesis", authors=["Ann Lee"], date="2018-06", venue="PhD thesis, Lund University (2018)", topics=["robot-learning"]),
]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    committed = store.load(ROOT / "papers.yaml")
    return committed.model_copy(update={"papers": committed.papers + SYNTHETIC})


@pytest.fixture(scope="module")
def files(catalogue) -> dict[str, str]:
    return dict(citation_files(catalogue))


def render(items: list[dict]) -> tuple[dict[str, str], dict[str, str]]:
    """citeproc-py's bibliography entry and citation of each item, by id."""
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    citations = {}
    for item in items:
        citations[item["id"]] = Citation([CitationItem(item["id"])])
        bibliography.register(citations[item["id"]])
    cited = {key: str(bibliography.cite(c, lambda item: None)) for key, c in citations.items()}
    entries = [str(entry) for entry in bibliography.bibliography()]
    # The bibliography is sorted: find each item's entry by its citation key's position.
    by_id = {}
    for key in bibliography.keys:
        by_id[key] = entries[bibliography.keys.index(key)]
    return by_id, cited


@pytest.fixture(scope="module")
def rendered(files) -> tuple[dict[str, str], dict[str, str]]:
    return render(json.loads(files["bib/references.json"]))


def test_the_files_are_the_survey_and_each_topic(catalogue, files):
    expected = ["bib/references.ris", "bib/references.json"]
    for topic in catalogue.topics:
        expected += [f"bib/{topic.slug}.ris", f"bib/{topic.slug}.json"]
    assert list(files) == expected
    for topic in catalogue.topics:
        members = [p.bibtex_key for p in catalogue.papers_in(topic.slug)]
        assert [r["id"] for r in rispy.loads(files[f"bib/{topic.slug}.ris"])] == members
        assert [i["id"] for i in json.loads(files[f"bib/{topic.slug}.json"])] == members
    assert (files["bib/references.ris"], files["bib/references.json"]) == survey_citations(catalogue)
    assert (files["bib/vla-models.ris"], files["bib/vla-models.json"]) == topic_citations(catalogue, "vla-models")


def test_every_paper_is_one_ris_record_that_rispy_reads(catalogue, files):
    records = rispy.loads(files["bib/references.ris"])
    assert [r["id"] for r in records] == [p.bibtex_key for p in catalogue.papers]
    by_key = {r["id"]: r for r in records}
    for p in catalogue.papers:
        record = by_key[p.bibtex_key]
        assert record["title"].strip()
        assert len(record.get("authors", [])) == len(p.authors), p.id
        if p.arxiv_id:
            assert record["accession_number"] == f"arXiv:{p.arxiv_id}"
    assert "SECRET-ABSTRACT" not in files["bib/references.ris"]


def test_ris_records_say_what_kind_of_work_and_where(files):
    by_key = {r["id"]: r for r in rispy.loads(files["bib/references.ris"])}
    conf = by_key["conf"]
    assert conf["type_of_reference"] == "CPAPER"
    assert conf["secondary_title"] == "International Conference on Learning Representations (ICLR 2024)"
    assert conf["year"] == "2024" and conf["authors"] == ["Lee, Ann", "Chen, Bo"]
    assert conf["notes"] == ["Oral"]
    journal = by_key["journal"]
    assert journal["type_of_reference"] == "JOUR"
    assert (journal["journal_name"], journal["volume"], journal["number"], journal["start_page"], journal["end_page"]) == (
        "Nature", "588", "7839", "604", "609")
    assert by_key["preprint"]["type_of_reference"] == "UNPD"
    assert by_key["preprint"]["title"] == "A²Nav: Action-Aware Navigation"
    assert by_key["preprint"]["date"] == "2023/08/15/"
    assert by_key["preprint"]["urls"] == ["https://arxiv.org/abs/2308.07997"]
    assert by_key["group"]["authors"] == ["Open-Ended Learning Team", "Stooke, Adam"]
    assert by_key["vilares"]["authors"] == ["Vilares Ferro, Manuel", "Darriba Bilbao, Victor M."]
    assert by_key["thesis"]["type_of_reference"] == "GEN"
    assert by_key["thesis"]["secondary_title"] == "PhD thesis, Lund University (2018)"
    # A title that holds what RIS uses as structure stays one title of one record.
    assert by_key["hostile"]["title"] == 'Cats & Dogs: {braces} "quotes" \\backslash <b>x</b> ER -'
    assert "anonymous" in by_key and "authors" not in by_key["anonymous"]


def test_citeproc_prints_each_committed_paper(catalogue, rendered):
    entries, cited = rendered
    for p in catalogue.papers:
        assert p.bibtex_key in entries, p.id
        assert cited[p.bibtex_key].startswith("(") and cited[p.bibtex_key].endswith(")")
        if p.date and not p.venue:
            assert p.date[:4] in cited[p.bibtex_key]


def test_citeproc_prints_the_venue_authors_and_year(rendered):
    entries, cited = rendered
    assert entries["conf"] == (
        "Lee, A. and Chen, B. (2024) “Learning to Act”, International Conference on Learning "
        "Representations (ICLR 2024). Available at: https://arxiv.org/abs/2310.00001."
    )
    assert cited["conf"] == "(Lee and Chen, 2024)"
    assert "Nature, 588(7839), pp. 604–609" in entries["journal"]
    assert entries["group"].startswith("Open-Ended Learning Team and Stooke, A. (2021)")
    assert cited["group"] == "(Open-Ended Learning Team and Stooke, 2021)"
    assert entries["vilares"].startswith("Vilares Ferro, M. and Darriba Bilbao, V.M. (2024)")
    assert "“A²Nav: Action-Aware Navigation”" in entries["preprint"]
    # Without authors: this style cites the title (its choice); styles that cite a short
    # title find the short label.
    assert cited["anonymous"] == "(“ZeroNav: Navigation Without Maps”, 2023)"
    assert '{braces} "quotes" \\backslash <b>x</b>' in entries["hostile"]


def test_a_paper_alone_gives_its_own_files(catalogue):
    one = next(p for p in catalogue.papers if p.bibtex_key == "journal")
    text_ris, text_json = paper_citations(catalogue, one)
    assert [r["id"] for r in rispy.loads(text_ris)] == ["journal"]
    assert [i["id"] for i in json.loads(text_json)] == ["journal"]
    assert ris([]) == "" and json.loads(csl_json([])) == []


def test_output_is_deterministic_across_hash_seeds(tmp_path):
    script = (
        "import sys\n"
        "from generator import store\n"
        "from generator.render.citations import citation_files\n"
        "c = store.load(sys.argv[1])\n"
        "sys.stdout.buffer.write(b''.join(p.encode() + b'\\0' + t.encode() for p, t in citation_files(c)))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", script, str(ROOT / "papers.yaml")], env=env, capture_output=True, check=True)
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_a_work_without_authors_has_a_short_title_for_styles_that_cite_one(files):
    source = CiteProcJSON(json.loads(files["bib/references.json"]))
    assert str(source["anonymous"]["title_short"]) == "ZeroNav"
    assert "title_short" not in source["conf"]
