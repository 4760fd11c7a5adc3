"""The venue table and what a paper's ``venue`` says for citations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator import store
from generator.render.venues import publication, venue_table

ROOT = Path(__file__).resolve().parent.parent


def test_the_table_is_read_once_and_names_each_venue_once():
    assert venue_table() is venue_table()
    abbreviations = [v.abbreviation for v in venue_table()]
    assert len(abbreviations) == len(set(abbreviations))
    # The file itself is sorted, for curators who add to it.
    rows = yaml.safe_load((ROOT / "generator" / "render" / "venues.yaml").read_text(encoding="utf-8"))
    assert [r["abbreviation"].casefold() for r in rows] == sorted(r["abbreviation"].casefold() for r in rows)


@pytest.mark.parametrize(
    "venue, kind, container, year, note",
    [
        ("ICLR 2025", "conference", "International Conference on Learning Representations (ICLR 2025)", "2025", None),
        ("ICLR", "conference", "International Conference on Learning Representations (ICLR)", None, None),
        ("NeurIPS 2023 (spotlight)", "conference", "Advances in Neural Information Processing Systems (NeurIPS 2023)", "2023", "Spotlight"),
        ("NeurIPS 2024 (Datasets and Benchmarks Track)", "conference",
         "Advances in Neural Information Processing Systems (NeurIPS 2024), Datasets and Benchmarks Track", "2024", None),
        ("CVPR 2024 (as 'X-Y: Other Title')", "conference",
         "IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR 2024)", "2024", "Published as 'X-Y: Other Title'"),
        ("ACL 2025 (Findings)", "conference", "Findings of the Association for Computational Linguistics (Findings of ACL 2025)", "2025", None),
        ("Robotics: Science and Systems (RSS) 2024", "conference", "Robotics: Science and Systems (RSS 2024)", "2024", None),
        ("The Web Conference 2020 (WWW '20)", "conference", "The Web Conference (WWW 2020)", "2020", None),
        ("SEA Workshop @ NeurIPS 2025 (Oral)", "workshop", "SEA Workshop @ NeurIPS 2025", "2025", "Oral"),
        ("ICML 2024 Workshop (Agentic Markets Workshop)", "workshop", "ICML 2024 Workshop (Agentic Markets Workshop)", "2024", None),
        ("TMLR 2025", "journal", "Transactions on Machine Learning Research", "2025", None),
        ("TACL", "journal", "Transactions of the Association for Computational Linguistics", None, None),
    ],
)
def test_a_venue_gives_its_kind_name_year_and_note(venue, kind, container, year, note):
    found = publication(venue)
    assert (found.kind, found.container, found.year, found.note) == (kind, container, year, note)


def test_a_journal_venue_gives_volume_number_and_pages():
    nature = publication("Nature 588(7839):604-609 (2020)")
    assert (nature.container, nature.volume, nature.number, nature.pages, nature.year) == ("Nature", "588", "7839", "604--609", "2020")
    computers = publication("IEEE Transactions on Computers, Vol. 73, No. 3 (2024)")
    assert (computers.container, computers.volume, computers.number, computers.year) == ("IEEE Transactions on Computers", "73", "3", "2024")


@pytest.mark.parametrize("venue", [None, "", "PhD thesis, Lund University (2018)", "Lecture Notes in Computer Science vol. 12367 (Springer, 2020)",
                                   "ICLRX 2025", "Proceedings of Nothing Known"])
def test_a_venue_not_in_the_table_gives_nothing(venue):
    assert publication(venue) is None


def test_an_abbreviation_is_a_whole_word_and_the_longest_wins():
    assert publication("ACL-IJCNLP 2021 (Long Papers)").venue.abbreviation == "ACL-IJCNLP"
    assert publication("LREC-COLING 2024").venue.abbreviation == "LREC-COLING"
    assert publication("Findings of EMNLP 2025").venue.abbreviation == "Findings of EMNLP"


def test_every_committed_venue_that_names_a_known_venue_is_read():
    """A property of the committed catalogue: a venue that names a table's abbreviation as a
    word is read as that venue (or a longer one), with the year it names."""
    import re

    for paper in store.load(ROOT / "papers.yaml").papers:
        if not paper.venue:
            continue
        named = [v for v in venue_table() if re.search(rf"(?<![\w-]){re.escape(v.abbreviation)}(?![\w-])", paper.venue)]
        if named:
            found = publication(paper.venue)
            assert found is not None, paper.venue
            years = re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", paper.venue)
            assert found.year == (years[0] if years else None), paper.venue
