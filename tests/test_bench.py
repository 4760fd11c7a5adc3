"""The benchmark's synthetic catalogues: deterministic, well-formed, valid, and listed.

Only the shape of the benchmark's inputs is tested here, never a timing: numbers come from
`python bench/run.py` (bench/README.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench import synthetic as bench
from generator.store import save
from tests.helpers import yaml_text
from generator.ingest.importer import combine
from generator.ingest.listings import parse_text
from generator.text import normalise_title
from generator.store import check

ROOT = Path(__file__).resolve().parents[1]
SIZE = 50


@pytest.fixture(scope="module")
def real():
    return bench.real_catalogue(ROOT / "papers.yaml")


@pytest.fixture(scope="module")
def synthetic(real):
    # Small listings, so that several files and papers listed twice are exercised.
    return bench.synthesize(real, SIZE, seed=7, listing_papers=12, relisted=0.2)


def test_synthetic_catalogue_is_deterministic(real, synthetic):
    again = bench.synthesize(real, SIZE, seed=7, listing_papers=12, relisted=0.2)
    assert yaml_text(again.catalogue) == yaml_text(synthetic.catalogue)
    assert again.listings == synthetic.listings


def test_another_seed_gives_another_catalogue(real, synthetic):
    other = bench.synthesize(real, SIZE, seed=8, listing_papers=12, relisted=0.2)
    assert [p.title for p in other.catalogue.papers] != [p.title for p in synthetic.catalogue.papers]


def test_synthetic_catalogue_has_the_size_and_unique_ids_keys_and_titles(synthetic):
    papers = synthetic.catalogue.papers
    assert len(papers) == SIZE
    for values in ([p.id for p in papers], [p.bibtex_key for p in papers], [normalise_title(p.title) for p in papers]):
        assert len(set(values)) == SIZE


def test_synthetic_papers_carry_every_kind_of_text(real, synthetic):
    papers = synthetic.catalogue.papers
    assert synthetic.catalogue.topics == real.topics
    assert {p.abstract for p in papers} <= {p.abstract for p in real.papers}
    assert all(p.tldr and p.topics for p in papers)
    assert len({p.date[:4] for p in papers if p.date}) > 1  # dates across years
    assert any(p.authors for p in papers) and any(p.links for p in papers) and any(p.tags for p in papers)


def test_synthetic_catalogue_validates(synthetic, tmp_path):
    path = tmp_path / "papers.yaml"
    save(synthetic.catalogue, path)
    verdict = check(path)
    assert verdict.errors == []
    assert verdict.catalogue is not None and len(verdict.catalogue.papers) == SIZE


def test_synthetic_listings_parse_back_to_the_same_papers(synthetic):
    listings = [parse_text(text, name) for name, text in sorted(synthetic.listings.items())]
    assert len(listings) > 1
    assert [w for listing in listings for w in listing.warnings] == []
    assert sum(len(listing.entries) for listing in listings) == synthetic.listed_entries > SIZE
    listed, warnings = combine(listings)
    assert warnings == []
    assert sorted(normalise_title(p.title) for p in listed) == sorted(
        normalise_title(p.title) for p in synthetic.catalogue.papers
    )


def test_reference_pages_have_a_page_per_topic_with_details_blocks(synthetic):
    bibtex = {p.id: f"@misc{{{p.bibtex_key},\n}}\n" for p in synthetic.catalogue.papers}
    files = bench.reference_pages(synthetic.catalogue, bibtex)
    assert set(files) == {"index.md"} | {f"{t.slug}.md" for t in synthetic.catalogue.topics}
    body = "".join(files.values())
    assert body.count("\n### ") == sum(len(p.topics) for p in synthetic.catalogue.papers)
    assert '??? abstract "Abstract"' in body and '??? quote "BibTeX"' in body and "    ```bibtex" in body


def test_bench_refuses_bad_sizes_in_one_line():
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--sizes", "1000,lots"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == ["error: --sizes: 'lots' is not a positive whole number of papers"]
    assert done.stdout == ""
