"""The committed catalogue: enriched, keyed, and still true to the listings."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import store
from generator.ingest.importer import combine
from generator.ingest.keys import family_name, title_words
from generator.ingest.listings import read_listing
from generator.model import Paper
from generator.names import is_group
from generator.text import fingerprint, normalise_title

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalogue():
    return store.load(ROOT / "papers.yaml")


@pytest.fixture(scope="module")
def listed():
    papers, _ = combine(read_listing(p) for p in sorted((ROOT / "listings").glob("*.txt")))
    return {normalise_title(p.title): p for p in papers}


def test_catalogue_is_enriched_enough_for_citations(catalogue):
    # Shares, not today's counts: a contributor adding a paper without metadata breaks nothing.
    papers = catalogue.papers
    assert papers
    assert sum(1 for p in papers if p.authors) >= 0.9 * len(papers)
    assert sum(1 for p in papers if p.arxiv_id) >= 0.9 * len(papers)
    assert sum(1 for p in papers if p.date) >= 0.9 * len(papers)


def test_catalogue_has_exactly_the_listed_papers(catalogue, listed):
    assert {normalise_title(p.title) for p in catalogue.papers} == set(listed)


def test_listing_dates_and_counts_still_equal_the_listings(catalogue, listed):
    dated = 0
    for paper in catalogue.papers:
        shown = listed[normalise_title(paper.title)]
        if shown.date:
            dated += 1
            assert paper.date == shown.date, paper.id
            assert "date" not in paper.provenance, paper.id
        for name in ("authors_count", "organization", "upvotes"):
            if getattr(shown, name) is not None:
                assert getattr(paper, name) == getattr(shown, name), (paper.id, name)
    assert dated == sum(1 for shown in listed.values() if shown.date)  # every listed date was seen


def test_every_enriched_value_names_its_source(catalogue):
    records = {}
    for number, line in enumerate((ROOT / "data" / "papers-metadata.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        record = json.loads(line)
        records[normalise_title(record["title"])] = record
    for paper in catalogue.papers:
        for name in ("authors", "arxiv_id", "venue"):
            if getattr(paper, name):
                source = paper.provenance[name]
                record = records[normalise_title(paper.title)]
                assert source.startswith("metadata-file "), source
                assert record["source"] in source or "papers-metadata.jsonl:" in source
                assert getattr(paper, name) == record[{"arxiv_id": "arxiv_id"}.get(name, name)]
        if paper.date and "date" in paper.provenance:
            assert paper.provenance["date"].split()[0] in ("metadata-file", "arxiv-id")
            if paper.provenance["date"].startswith("arxiv-id"):
                yymm = paper.arxiv_id.split(".")[0]
                assert paper.date == f"20{yymm[:2]}-{yymm[2:]}"


def test_keys_follow_author_year_word_style_and_are_unique(catalogue):
    keys = [p.bibtex_key for p in catalogue.papers]
    assert len(set(keys)) == len(keys)
    for paper in catalogue.papers:
        assert paper.bibtex_key.isascii() and paper.bibtex_key.isalnum() and len(paper.bibtex_key) <= 40
        year = paper.date[:4] if paper.date else ""
        if paper.authors:
            prefixes = [family_name(paper.authors[0]) + year]
            if is_group(paper.authors[0]):
                # A key given before group authors were told apart: the group's last word. Frozen.
                prefixes.append(re.sub(r"[^a-z0-9]", "", paper.authors[0].split()[-1].lower()) + year)
            prefix = next((p for p in prefixes if paper.bibtex_key.startswith(p)), None)
            assert prefix is not None, (paper.bibtex_key, prefixes)
            rest = paper.bibtex_key[len(prefix) :]
            assert any(rest.startswith(word) for word in title_words(paper.title)), (paper.bibtex_key, paper.title)
        else:
            assert year in paper.bibtex_key


#: (paper id, field) of the committed catalogue's values that a curator edited after import.
CURATED = {("gui-360-a-comprehensive-dataset-and-benchmark-for-computer-using-agents", "tldr")}


def test_generated_fingerprints_match_every_value_but_the_curated_ones(catalogue):
    """A fingerprint that no longer matches its value marks a curator's edit (import keeps it)."""
    edited = {
        (paper.id, name)
        for paper in catalogue.papers
        for name, mark in paper.generated.items()
        if fingerprint(getattr(paper, name)) != mark
    }
    assert edited == CURATED


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_enrich_is_a_no_op_on_the_committed_catalogue(tmp_path):
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    done = _run(tmp_path, "enrich")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("papers.yaml: unchanged")
    assert (tmp_path / "papers.yaml").read_bytes() == (ROOT / "papers.yaml").read_bytes()


def test_enrich_never_overwrites_a_curated_value_and_never_changes_keys(tmp_path):
    path = tmp_path / "papers.yaml"
    shutil.copytree(ROOT / "data", tmp_path / "data")
    catalogue = store.load(ROOT / "papers.yaml")
    first, second = catalogue.papers[0], catalogue.papers[1]
    # A curator corrects the first paper's authors and empties the second's arXiv id on purpose.
    edited = [
        first.model_copy(update={"authors": ["A. Curator"]}),
        second.model_copy(update={"arxiv_id": None}),
        *catalogue.papers[2:],
    ]
    store.save(catalogue.model_copy(update={"papers": edited}), path)
    done = _run(tmp_path, "enrich")
    assert done.returncode == 0, done.stderr
    after = {p.id: p for p in store.load(path).papers}
    assert after[first.id].authors == ["A. Curator"]
    assert after[second.id].arxiv_id is None  # emptied by a curator: stays empty
    assert [p.bibtex_key for p in after.values()] == [p.bibtex_key for p in catalogue.papers]


def test_missing_count_makes_no_request_and_prints_a_number(tmp_path):
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    done = _run(tmp_path, "enrich", "--missing-count")
    assert done.returncode == 0
    count = int(done.stdout.strip())
    catalogue = store.load(ROOT / "papers.yaml")
    from generator.enrich.enrich import needs_enrichment

    assert count == sum(1 for p in catalogue.papers if needs_enrichment(p))


def test_papers_are_sorted_by_id_for_quiet_diffs(catalogue):
    text = (ROOT / "papers.yaml").read_text(encoding="utf-8")
    ids = [line[len("- id: ") :] for line in text.splitlines() if line.startswith("- id: ")]
    assert ids == sorted(ids) and len(ids) == len(catalogue.papers)
    assert all(isinstance(p, Paper) for p in catalogue.papers)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fingerprint_is_the_hash_of_the_values_json(value):
    expected = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert fingerprint(value) == hashlib.sha256(expected.encode("utf-8")).hexdigest()[:8]
