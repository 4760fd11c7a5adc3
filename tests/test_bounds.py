"""Output stays bounded, whatever the input: the schema's limits, and a chart as wide as the
years that have papers.

Each limit (model.py) is far above what a real survey needs; a value past it is refused in
one located line, in papers.yaml (validate) as in a listing (import skips the entry, or the
value, with a located warning). Values just inside the limits still make valid output:
500 authors of 300 characters compile with the real bibtex without a warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import store
from generator.model import (
    AUTHORS_MAX,
    LINKS_MAX,
    MIN_YEAR,
    PAPER_TOPICS_MAX,
    TITLE_MAX,
    TOPICS_MAX,
    URL_MAX,
    Catalogue,
    Paper,
    Topic,
    last_year,
)
from generator.render.bibtex import library_chunks
from generator.render.chart import MAX_GAP, chart_svg, papers_per_year

ROOT = Path(__file__).resolve().parent.parent
TOPIC = Topic(slug="vla-models", title="VLA", description="Vision-language-action models.")


def paper(n: int = 0, **fields) -> Paper:
    values = dict(id=f"paper-{n}", title=f"Paper {n}", topics=["vla-models"], tldr="It acts.", bibtex_key=f"paper{n}", abstract="It acts.")
    return Paper(**{**values, **fields})


def yaml_paper(**fields: str) -> str:
    values = {"id": "a-paper", "title": "A Paper", "topics": "[vla-models]", "tldr": "It acts.", "bibtex_key": "apaper", "abstract": "It acts."}
    values.update(fields)
    return "- " + "\n  ".join(f"{name}: {value}" for name, value in values.items()) + "\n"


def topics_yaml(count: int) -> str:
    return "topics:\n" + "".join(f"- slug: topic-{i}\n  title: Topic {i}\n  description: Papers.\n" for i in range(count))


def validate(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "papers.yaml").write_text(text, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-m", "generator", "validate", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    if done.returncode == 0:
        return []
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert all(len(line) < 800 for line in errors)
    return errors


HEAD = topics_yaml(1).replace("topic-0", "vla-models") + "papers:\n"


@pytest.mark.parametrize(
    "field, value, says",
    [
        ("date", "'0001-01-01'", "date: date '0001-01-01' is out of range (1950 to"),
        ("date", "'9999-12'", "date: date '9999-12' is out of range"),
        ("date", f"'{MIN_YEAR - 1}-12-31'", "is out of range"),
        ("added", f"'{last_year() + 1}-01-01'", "added: date"),
        ("title", "x" * (TITLE_MAX + 1), f"title: String should have at most {TITLE_MAX} characters"),
        ("authors", "[" + ", ".join(["A"] * (AUTHORS_MAX + 1)) + "]", f"authors: List should have at most {AUTHORS_MAX} items"),
        ("topics", "[" + ", ".join(["vla-models"] * (PAPER_TOPICS_MAX + 1)) + "]", f"topics: List should have at most {PAPER_TOPICS_MAX} items"),
        ("links", "{code: https://example.org/" + "x" * 2_000_000 + "}", f"links.code: String should have at most {URL_MAX} characters"),
        ("links", "{" + ", ".join(f"l{i}: https://example.org/{i}" for i in range(LINKS_MAX + 1)) + "}", f"links: Dictionary should have at most {LINKS_MAX} items"),
        ("links", '{code: "https://example.org/a\\tb"}', "the character U+0009 is not allowed in a URL"),
        ("links", '{code: "https://example.org/\\u200bzero-width"}', "the character U+200B is not allowed in a URL"),
        ("links", '{code: "https://example.org/\\u202eevil"}', "the character U+202E is not allowed"),
        ("links", '{code: "https://example.org/\\u3000ideographic-space"}', "the character U+3000 is not allowed"),
        ("provenance", "{" + "x" * 41 + ": arxiv 1}", "provenance." + "x" * 41),
    ],
    ids=["year-1", "year-9999", "before-1950", "added-after-next-year", "title", "authors", "topics", "2-mb-link", "links",
         "tab-in-url", "zero-width-in-url", "rlo-in-url", "ideographic-space-in-url", "provenance-key"],
)
def test_a_value_past_a_bound_is_one_located_line(tmp_path: Path, field: str, value: str, says: str):
    errors = validate(tmp_path, HEAD + yaml_paper(**{field: value}))
    assert len(errors) == 1, errors
    assert errors[0].startswith("error: papers.yaml:") and says in errors[0], errors[0]


def test_the_edges_of_the_date_range_are_accepted(tmp_path: Path):
    text = HEAD + yaml_paper(date=f"'{MIN_YEAR}-01-01'") + yaml_paper(id="b", title="B", bibtex_key="b", date=f"'{last_year()}-12'")
    assert validate(tmp_path, text) == []


def test_a_thousand_empty_topics_are_refused_in_one_line_at_once(tmp_path: Path):
    start = time.monotonic()
    errors = validate(tmp_path, topics_yaml(1000) + "papers: []\n")
    assert time.monotonic() - start < 30
    assert errors == [f"error: papers.yaml:1: topics: List should have at most {TOPICS_MAX} items after validation, not 1000"]
    assert validate(tmp_path, topics_yaml(TOPICS_MAX) + "papers: []\n") == []


def test_many_authors_within_the_bound_still_compile_with_bibtex(tmp_path: Path):
    names = [f"Author{i:04d} " + "x" * 288 for i in range(AUTHORS_MAX)]  # 300 characters each
    (tmp_path / "refs.bib").write_text("".join(library_chunks([paper(authors=names, date="2024-01-01")])), encoding="utf-8")
    (tmp_path / "refs.aux").write_text("\\citation{*}\n\\bibdata{refs}\n\\bibstyle{plain}\n", encoding="utf-8")
    done = subprocess.run(["bibtex", "refs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = (tmp_path / "refs.blg").read_text(encoding="utf-8")
    assert done.returncode == 0 and "Warning--" not in log and "error message" not in log, log


# --- the chart spans the years that have papers -----------------------------------------------


def test_the_chart_shows_the_years_with_papers_not_the_distance_between_the_extremes():
    newest = last_year()
    extremes = Catalogue(topics=[TOPIC], papers=[paper(0, date=f"{MIN_YEAR}-01-01"), paper(1, date=f"{newest}-01"), paper(2, date=f"{newest - 1}-05-01")])
    years, per_topic = papers_per_year(extremes)
    assert years == [MIN_YEAR, newest - 1, newest]
    assert per_topic["vla-models"] == [1, 1, 1]
    svg = chart_svg(extremes)
    assert len(svg) < 100_000, len(svg)  # three bars, not seventy-odd
    assert f">{MIN_YEAR}<" in svg and f">{newest}<" in svg and f">{MIN_YEAR + 1}<" not in svg


def test_short_gaps_keep_their_empty_years_and_long_ones_are_left_out():
    gaps = Catalogue(topics=[TOPIC], papers=[paper(0, date="2016-01-01"), paper(1, date="2019-01-01"), paper(2, date="2024-01")])
    years, per_topic = papers_per_year(gaps)
    assert MAX_GAP >= 2
    assert years == [2016, 2017, 2018, 2019, 2024]  # two empty years shown; four left out
    assert per_topic["vla-models"] == [1, 0, 0, 1, 1]


def test_the_chart_of_many_distant_years_stays_small():
    spread = Catalogue(topics=[TOPIC], papers=[paper(i, date=f"{year}-06-01") for i, year in enumerate(range(MIN_YEAR, last_year() + 1, 5))])
    years, _ = papers_per_year(spread)
    assert years == list(range(MIN_YEAR, last_year() + 1, 5))  # gaps of four years: left out
    assert len(chart_svg(spread)) < 400_000


def test_the_committed_catalogue_passes_every_bound():
    catalogue = store.load(ROOT / "papers.yaml")
    assert len(catalogue.topics) <= TOPICS_MAX and catalogue.papers


def test_an_abstract_with_odd_or_many_urls_keeps_its_entry_and_the_valid_links(tmp_path: Path):
    from generator.ingest.importer import run_import

    (tmp_path / "listings").mkdir()
    store.save(Catalogue(topics=[TOPIC], papers=[]), tmp_path / "papers.yaml")
    urls = " ".join(f"https://mirror{i}.example.org/robot" for i in range(LINKS_MAX + 5))
    abstract = f"Code at https://github.com/a/b\u200bc and https://github.com/ok/robot. Mirrors: {urls}."
    (tmp_path / "listings" / "001.txt").write_text(f"Many Links: A Robot Paper\n{abstract}\n", encoding="utf-8")
    report = run_import(tmp_path / "papers.yaml", sorted((tmp_path / "listings").glob("*.txt")))
    assert report.new == 1 and report.warnings == []
    (imported,) = store.load(tmp_path / "papers.yaml").papers
    assert len(imported.links) == LINKS_MAX
    assert imported.links["code"] == "https://github.com/ok/robot"  # the one with a zero-width space is left out
    assert all("\u200b" not in url for url in imported.links.values())
