"""The listing parser: each shape of the Hugging Face search dump, on small excerpts."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import AtlasError
from generator.ingest.listings import decode, parse_text, read_listing

ROOT = Path(__file__).resolve().parent.parent
ABSTRACT_A = "We propose a model that acts. It works well."
ABSTRACT_B = "Background sentence here. In this paper, we introduce a benchmark."

BLANK_SHAPE = f"""new

Get trending papers in your email inbox!

Subscribe

byAK and the research community

Apr 23

Paper A: Acting Well

{ABSTRACT_A}

Paper B

{ABSTRACT_B}
"""

DENSE_SHAPE = f"""Get trending papers in your email inbox once a day!
Get trending papers in your email inbox!
SubscribePaper A: Acting Well
{ABSTRACT_A}
Paper B
{ABSTRACT_B}
"""

METADATA_SHAPE = f"""new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Mar 5

Paper A: Acting Well

{ABSTRACT_A}

  • 10 authors
·
Jan 3, 2025

Paper B

{ABSTRACT_B}

allenai Ai2
·
Feb 20 3

Paper C

Third abstract, with no metadata at all.
"""


def titles(text: str) -> list[str]:
    return [e.title for e in parse_text(text, "x.txt").entries]


def test_blank_line_shape_gives_titles_and_abstracts():
    listing = parse_text(BLANK_SHAPE, "x.txt")
    assert [(e.title, e.abstract) for e in listing.entries] == [
        ("Paper A: Acting Well", ABSTRACT_A),
        ("Paper B", ABSTRACT_B),
    ]
    assert listing.warnings == []


def test_dense_shape_strips_subscribe_glued_to_first_title():
    listing = parse_text(DENSE_SHAPE, "x.txt")
    assert [(e.title, e.abstract) for e in listing.entries] == [
        ("Paper A: Acting Well", ABSTRACT_A),
        ("Paper B", ABSTRACT_B),
    ]


def test_entry_lines_point_at_titles():
    listing = parse_text(BLANK_SHAPE, "x.txt")
    lines = BLANK_SHAPE.split("\n")
    for entry in listing.entries:
        assert lines[entry.line - 1] == entry.title


def test_metadata_authors_organisation_date_and_upvotes():
    listing = parse_text(METADATA_SHAPE, "x.txt")
    a, b, c = listing.entries
    assert (a.authors_count, a.organization, a.date, a.upvotes) == (10, None, "2025-01-03", None)
    assert (b.authors_count, b.organization, b.upvotes) == (None, "allenai Ai2", 3)
    assert (c.authors_count, c.organization, c.date, c.upvotes) == (None, None, None, None)


def test_yearless_date_lies_in_the_year_after_the_latest_explicit_year():
    listing = parse_text(METADATA_SHAPE, "x.txt")
    assert listing.capture_year == 2026
    assert listing.entries[1].date == "2026-02-20"
    assert listing.warnings == []


def test_yearless_date_after_capture_date_cannot_be_inferred():
    text = METADATA_SHAPE.replace("Feb 20 3", "Dec 20 3")
    listing = parse_text(text, "x.txt")
    assert listing.entries[1].date is None
    assert len(listing.warnings) == 1
    warning = listing.warnings[0]
    assert "cannot infer the year" in warning.message
    assert warning.line == listing.entries[0].line or warning.line == listing.entries[1].line


def test_yearless_dates_without_any_explicit_year_warn():
    text = "Paper A\n\nAbstract one.\n\n  • 2 authors\n·\nFeb 3\n"
    listing = parse_text(text, "x.txt")
    assert listing.entries[0].date is None
    assert "cannot infer the year" in listing.warnings[0].message
    assert str(listing.warnings[0]).startswith("x.txt:1: ")


def test_capture_override_line_sets_the_year():
    text = "# captured: 2024-06-01\nPaper A\n\nAbstract one.\n\n  • 2 authors\n·\nFeb 3\n"
    listing = parse_text(text, "x.txt")
    assert listing.entries[0].date == "2024-02-03"
    assert listing.warnings == []


def test_impossible_date_is_dropped_with_a_located_warning():
    text = "Paper A\nAbstract one.\n  • 2 authors\n·\nFeb 30, 2024\n"
    listing = parse_text(text, "x.txt")
    assert listing.entries[0].date is None
    assert listing.entries[0].authors_count == 2
    assert "impossible date 'Feb 30, 2024'" in str(listing.warnings[0])


def test_cut_off_entry_is_skipped_with_a_warning():
    text = DENSE_SHAPE + "Paper C, cut off before its abstract\n"
    listing = parse_text(text, "x.txt")
    assert [e.title for e in listing.entries] == ["Paper A: Acting Well", "Paper B"]
    assert "no abstract" in listing.warnings[0].message
    assert listing.warnings[0].line == 7


def test_crlf_and_bom_parse_like_plain_text():
    data = ("\ufeff" + BLANK_SHAPE).replace("\n", "\r\n").encode("utf-8")
    listing = parse_text(decode(data, "x.txt"), "x.txt")
    assert [(e.title, e.abstract) for e in listing.entries] == [
        ("Paper A: Acting Well", ABSTRACT_A),
        ("Paper B", ABSTRACT_B),
    ]


def test_latin1_bytes_are_refused_with_the_line():
    data = "Paper A\nAbstract caf\u00e9.\n".encode("latin-1")
    with pytest.raises(AtlasError) as caught:
        decode(data, "x.txt")
    assert caught.value.line == 2
    assert "not valid UTF-8" in caught.value.message


def test_binary_garbage_is_refused():
    with pytest.raises(AtlasError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", "x.png")


def test_empty_listing_warns_that_no_paper_was_found(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    listing = read_listing(path)
    assert listing.entries == []
    assert "no paper found" in listing.warnings[0].message


def test_real_listings_parse_to_the_catalogues_papers():
    from generator import store
    from generator.text import normalise_title

    titles_seen: dict[str, int] = {}
    for path in sorted((ROOT / "listings").glob("*.txt")):
        listing = read_listing(path)
        assert listing.warnings == [], [str(w) for w in listing.warnings]
        for entry in listing.entries:
            key = normalise_title(entry.title)
            titles_seen[key] = titles_seen.get(key, 0) + 1
            lines = path.read_text(encoding="utf-8").splitlines()
            assert entry.title in lines or "Subscribe" + entry.title in lines
            assert entry.abstract in lines
    catalogue = store.load(ROOT / "papers.yaml")
    assert set(titles_seen) == {normalise_title(p.title) for p in catalogue.papers}
    assert any(n > 1 for n in titles_seen.values())  # the listings overlap: import merges them


def test_real_listing_metadata_rt_h():
    listing = read_listing(next((ROOT / "listings").glob("002_*.txt")))
    rt_h = next(e for e in listing.entries if e.title == "RT-H: Action Hierarchies Using Language")
    assert (rt_h.date, rt_h.authors_count, rt_h.upvotes) == ("2024-03-04", 9, 1)
    uaor = next(e for e in listing.entries if e.title.startswith("UAOR"))
    assert uaor.date == "2026-02-20"
