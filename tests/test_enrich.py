"""Enrichment: same paper only, fill never overwrite, provenance, dates, and no needless requests.

Records come from real metadata files written to tmp_path, and from the arXiv and Semantic
Scholar sources served recorded answers by httpx.MockTransport; no test touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import FakeClock
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.enrich.enrich import (
    enrich_catalogue,
    fillable_fields,
    needs_enrichment,
    title_mismatch,
)
from generator.model import Catalogue, Paper, Topic
from generator.enrich.sources import arxiv, semantic_scholar
from generator.enrich.sources.arxiv import ArxivSource
from generator.enrich.sources.metadata_file import MetadataFile
from generator.enrich.sources.semantic_scholar import SemanticScholarSource
from generator.text import fingerprint

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
METADATA = Path(__file__).parents[1] / "data" / "papers-metadata.jsonl"


pytestmark = pytest.mark.usefixtures("no_network")


VLA = "3D-VLA: A 3D Vision-Language-Action Generative World Model"
VLA_AUTHORS = ["Haoyu Zhen", "Xiaowen Qiu", "Peihao Chen", "Jincheng Yang",
               "Xin Yan", "Yilun Du", "Yining Hong", "Chuang Gan"]
AITW = "Android in the Wild: A Large-Scale Dataset for Android Device Control"


def make_paper(title: str, number: int = 0, **fields) -> Paper:
    return Paper(
        id=f"paper-{number}", title=title, topics=["agents"], tldr="What it does.",
        bibtex_key=f"paper{number}", abstract="An abstract.", **fields,
    )


def make_catalogue(*papers: Paper) -> Catalogue:
    topic = Topic(slug="agents", title="Agents", description="Papers about agents.")
    return Catalogue(topics=[topic], papers=list(papers))


def metadata_file(tmp_path: Path, *records: dict) -> MetadataFile:
    path = tmp_path / "papers-metadata.jsonl"
    lines = [json.dumps({"confidence": "exact", **record}) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return MetadataFile(path)


def vla_record(**changes) -> dict:
    return {
        "title": VLA, "arxiv_id": "2403.09631", "authors": VLA_AUTHORS, "published": "2024-03-14",
        "venue": "ICML 2024", "source": "https://example.org/3d-vla", "confidence": "exact", **changes,
    }


def recorded_service(*answers: str | httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering recorded files (or responses) in turn, and the requests it got."""
    requests: list[httpx.Request] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, text=(RECORDED / answer).read_text(encoding="utf-8"))

    return httpx.MockTransport(handle), requests


def arxiv_source(*answers: str | httpx.Response, **options) -> tuple[ArxivSource, list[httpx.Request]]:
    transport, requests = recorded_service(*answers)
    clock = FakeClock()
    client = arxiv.make_client(transport=transport, clock=clock, sleep=clock.sleep, **options)
    return ArxivSource(client), requests


def s2_source(*answers: str | httpx.Response) -> tuple[SemanticScholarSource, list[httpx.Request]]:
    transport, requests = recorded_service(*answers)
    clock = FakeClock()
    client = semantic_scholar.make_client(transport=transport, clock=clock, sleep=clock.sleep)
    return SemanticScholarSource(client), requests


# --- same paper only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "candidate"),
    [
        (VLA, "3d-vla: a 3D vision language action generative world model."),
        ("A Behavioural and Representational Evaluation of Goal-Directedness in Language Model Agents",
         "A Behavioral and Representational Evaluation of Goal-Directedness in Language Model Agents"),
        ("Scaling Real-World Robot Learning with Offline Data",
         "Scaling Realworld Robot Learning with Offline Data"),
        ("Learning to Act from Actionless Videos through Dense Correspondences",
         "Learning to Act from Actionless Video through Dense Correspondences"),
    ],
)
def test_title_check_accepts_spellings_of_the_same_title(title, candidate):
    assert title_mismatch(title, candidate) is None


@pytest.mark.parametrize(
    ("title", "candidate"),
    [
        ("Android in the Wild", "Android in the Zoo: Chain-of-Action-Thought for GUI Agents"),
        ("Android in the Wild", AITW),  # a dropped subtitle is another title
        ("RT-1: Robotics Transformer for Real-World Control at Scale",
         "RT-2: Robotics Transformer for Real-World Control at Scale"),
        ("Octo: An Open-Source Generalist Robot Policy", "Octa: An Open-Source Generalist Robot Policy"),
        ("Learning to Act from Actionless Videos through Dense Correspondences",
         "Learning Not to Act from Actionless Videos through Dense Correspondences"),
    ],
)
def test_title_check_rejects_a_different_paper(title, candidate):
    assert title_mismatch(title, candidate).startswith(f"title {candidate!r} is not {title!r}")


def test_near_miss_title_from_arxiv_is_rejected_and_reported():
    source, _ = arxiv_source("arxiv-title-search-android.atom")
    report = enrich_catalogue(make_catalogue(make_paper(AITW)), [source])
    (paper,) = report.catalogue.papers
    assert (paper.authors, paper.arxiv_id, paper.date) == ([], None, None)
    (rejection,) = report.rejected
    assert (rejection.paper_id, rejection.title, rejection.source) == ("paper-0", AITW, "arxiv")
    assert "Android in the Zoo" in rejection.reason
    assert report.changed == []


def test_near_miss_title_from_semantic_scholar_is_rejected():
    source, _ = s2_source("semantic-scholar-match-android.json")
    report = enrich_catalogue(make_catalogue(make_paper("Android in the Wild")), [source])
    assert report.catalogue.papers[0].authors == []
    assert "similarity" in report.rejected[0].reason


def test_likely_record_is_applied_when_it_agrees_with_the_listing(tmp_path):
    source = metadata_file(tmp_path, vla_record(confidence="likely"))
    paper = make_paper(VLA, date="2024-03-15", authors_count=8)
    report = enrich_catalogue(make_catalogue(paper), [source])
    assert report.catalogue.papers[0].authors == VLA_AUTHORS
    assert report.rejected == []


@pytest.mark.parametrize("confidence", ["likely", "none"])
@pytest.mark.parametrize(
    ("listing", "reason"),
    [
        ({"date": "2023-06-01"}, "match dated 2024-03, the catalogue says 2023-06-01"),
        ({"authors_count": 7}, "match lists 8 authors, the catalogue says 7"),
    ],
)
def test_unsure_record_is_rejected_when_it_contradicts_the_listing(tmp_path, confidence, listing, reason):
    source = metadata_file(tmp_path, vla_record(confidence=confidence))
    report = enrich_catalogue(make_catalogue(make_paper(VLA, **listing)), [source])
    paper = report.catalogue.papers[0]
    assert (paper.authors, paper.arxiv_id, paper.venue) == ([], None, None)
    assert report.rejected[0].reason == f"{confidence} {reason}"


def test_exact_record_is_trusted_over_the_listing_author_count(tmp_path):
    # AntGPT: the listing counts 7 authors, the paper's current version has 8.
    source = metadata_file(tmp_path, vla_record())
    report = enrich_catalogue(make_catalogue(make_paper(VLA, authors_count=7)), [source])
    assert report.catalogue.papers[0].authors == VLA_AUTHORS


def test_record_with_another_arxiv_id_is_rejected(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    report = enrich_catalogue(make_catalogue(make_paper(VLA, arxiv_id="2403.09632")), [source])
    assert report.catalogue.papers[0].authors == []
    assert report.rejected[0].reason == "arXiv id 2403.09631 is not the catalogue's 2403.09632"


# --- fill, never overwrite -----------------------------------------------------------------


def test_enrichment_keeps_curated_authors(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    curated = make_paper(VLA, authors=["H. Zhen", "C. Gan"])
    report = enrich_catalogue(make_catalogue(curated), [source])
    paper = report.catalogue.papers[0]
    assert paper.authors == ["H. Zhen", "C. Gan"]
    assert "authors" not in paper.provenance and "authors" not in paper.generated
    assert paper.arxiv_id == "2403.09631"  # the empty fields are still filled


def test_filled_fields_record_provenance_and_fingerprint(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    report = enrich_catalogue(make_catalogue(make_paper(VLA)), [source])
    paper = report.catalogue.papers[0]
    assert paper.provenance == dict.fromkeys(
        ["authors", "arxiv_id", "date", "venue"], "metadata-file https://example.org/3d-vla"
    )
    assert paper.generated == {
        "authors": fingerprint(VLA_AUTHORS),
        "arxiv_id": fingerprint("2403.09631"),
        "date": fingerprint("2024-03-14"),
        "venue": fingerprint("ICML 2024"),
    }
    assert report.filled == {"authors": 1, "arxiv_id": 1, "date": 1, "venue": 1, "arxiv_category": 0}
    assert report.summary() == [
        "filled: authors 1, arxiv_id 1, date 1, venue 1, arxiv_category 0",
        "looked up: metadata-file 1 papers, 0 requests",
    ]
    assert report.changed == ["paper-0"]
    assert paper.bibtex_key == "paper0"  # keys are re-derived elsewhere, once


def test_field_a_curator_emptied_stays_empty(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    # The generator once wrote a venue; a curator deleted it. The fingerprint no longer matches.
    emptied = make_paper(VLA, generated={"venue": fingerprint("ICML 2024")})
    assert "venue" not in fillable_fields(emptied)
    paper = enrich_catalogue(make_catalogue(emptied), [source]).catalogue.papers[0]
    assert paper.venue is None
    assert paper.authors == VLA_AUTHORS


def test_input_catalogue_is_left_unchanged(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    catalogue = make_catalogue(make_paper(VLA))
    before = catalogue.model_dump()
    report = enrich_catalogue(catalogue, [source])
    assert catalogue.model_dump() == before
    assert report.catalogue is not catalogue


@settings(max_examples=40, deadline=None)
@given(
    authors=st.none() | st.just(["A. Curator"]),
    arxiv_id=st.none() | st.just("2403.09631"),
    date=st.none() | st.sampled_from(["2024-03", "2024-03-20"]),
    venue=st.none() | st.just("A Workshop"),
)
def test_enrichment_never_changes_a_value_that_is_set(tmp_path_factory, authors, arxiv_id, date, venue):
    source = metadata_file(tmp_path_factory.mktemp("meta"), vla_record())
    curated = {"authors": authors or [], "arxiv_id": arxiv_id, "date": date, "venue": venue}
    report = enrich_catalogue(make_catalogue(make_paper(VLA, **curated)), [source], only_missing=False)
    paper = report.catalogue.papers[0]
    for name, value in curated.items():
        if value:
            assert getattr(paper, name) == value
            assert name not in paper.provenance
        else:
            assert getattr(paper, name)


# --- dates ---------------------------------------------------------------------------------


def test_listing_date_is_kept(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    report = enrich_catalogue(make_catalogue(make_paper(VLA, date="2024-03-20")), [source])
    paper = report.catalogue.papers[0]
    assert paper.date == "2024-03-20"
    assert "date" not in paper.provenance


def test_first_publication_date_is_used(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    paper = enrich_catalogue(make_catalogue(make_paper(VLA)), [source]).catalogue.papers[0]
    assert paper.date == "2024-03-14"


@pytest.mark.parametrize(("arxiv_id", "month"), [("2403.09631", "2024-03"), ("cs/9912001", "1999-12")])
def test_arxiv_id_gives_the_month_when_no_date_is_known(tmp_path, arxiv_id, month):
    source = metadata_file(tmp_path, vla_record(arxiv_id=arxiv_id, published=None))
    paper = enrich_catalogue(make_catalogue(make_paper(VLA)), [source]).catalogue.papers[0]
    assert paper.date == month
    assert paper.provenance["date"] == f"arxiv-id {arxiv_id}"
    assert paper.generated["date"] == fingerprint(month)


def test_publication_date_from_arxiv_beats_the_id_month(tmp_path):
    # The metadata file knows the id but no date; arXiv, asked next, knows the first version's day.
    source = metadata_file(tmp_path, vla_record(published=None, authors=[]))
    online, requests = arxiv_source("arxiv-id-list.atom")
    report = enrich_catalogue(make_catalogue(make_paper(VLA)), [source, online])
    paper = report.catalogue.papers[0]
    assert requests[0].url.params["id_list"] == "2403.09631"
    assert paper.date == "2024-03-14"
    assert paper.provenance["date"] == "arxiv 2403.09631"
    assert paper.provenance["arxiv_id"] == "metadata-file https://example.org/3d-vla"
    assert paper.provenance["authors"] == "arxiv 2403.09631"
    assert report.requests == {"metadata-file": 0, "arxiv": 1}


def test_semantic_scholar_fills_from_a_title_match():
    source, _ = s2_source("semantic-scholar-match.json")
    report = enrich_catalogue(make_catalogue(make_paper(VLA)), [source])
    paper = report.catalogue.papers[0]
    assert paper.authors == VLA_AUTHORS
    assert paper.arxiv_id == "2403.09631"
    assert paper.provenance["authors"] == "semantic-scholar 8f4b3dc3a0b4f5a2d6c1e9b7f0a3c5d2e4b6a8c1"


def test_invalid_value_from_a_service_is_reported_not_written():
    answer = json.loads((RECORDED / "semantic-scholar-match.json").read_text(encoding="utf-8"))
    answer["data"][0]["publicationDate"] = "2024-02-30"
    source, _ = s2_source(httpx.Response(200, json=answer))
    report = enrich_catalogue(make_catalogue(make_paper(VLA)), [source])
    paper = report.catalogue.papers[0]
    assert paper.date == "2024-03"  # from the arXiv id instead
    assert paper.authors == VLA_AUTHORS
    assert report.rejected[0].reason == "date: impossible date '2024-02-30'"


# --- no needless requests ------------------------------------------------------------------


def test_complete_catalogue_makes_no_request():
    complete = make_paper(VLA, authors=VLA_AUTHORS, arxiv_id="2403.09631", date="2024-03-14")
    assert not needs_enrichment(complete)
    source, requests = arxiv_source(httpx.Response(500))
    report = enrich_catalogue(make_catalogue(complete), [source])
    assert requests == []
    assert report.requests == {"arxiv": 0} and report.lookups == {"arxiv": 0}
    assert report.catalogue.papers[0] == complete


def test_missing_venue_alone_is_looked_up_only_when_asked(tmp_path):
    paper = make_paper(VLA, authors=VLA_AUTHORS, arxiv_id="2403.09631", date="2024-03-14")
    source = metadata_file(tmp_path, vla_record())
    assert enrich_catalogue(make_catalogue(paper), [source]).catalogue.papers[0].venue is None
    report = enrich_catalogue(make_catalogue(paper), [source], only_missing=False)
    assert report.catalogue.papers[0].venue == "ICML 2024"


def test_later_sources_are_not_asked_once_the_paper_is_complete(tmp_path):
    source = metadata_file(tmp_path, vla_record())
    online, requests = arxiv_source("arxiv-id-list.atom")
    report = enrich_catalogue(make_catalogue(make_paper(VLA)), [source, online])
    assert requests == []
    assert report.lookups == {"metadata-file": 1, "arxiv": 0}


def test_a_failing_service_is_asked_once_and_reported(tmp_path):
    papers = [make_paper(f"Paper Number {n}", n) for n in range(3)]
    failing, requests = arxiv_source(httpx.Response(503), retries=1)
    report = enrich_catalogue(make_catalogue(*papers), [failing])
    assert len(requests) == 2  # one paper, one retry; the other papers are not tried
    assert report.unavailable["arxiv"].startswith("arxiv: gave up on https://export.arxiv.org/")
    assert report.summary()[-1].startswith("unavailable: arxiv: gave up")


def test_second_run_with_cache_makes_no_request(tmp_path):
    catalogue = make_catalogue(make_paper(VLA))
    first, first_requests = arxiv_source("arxiv-title-search-android.atom", cache_dir=tmp_path)
    enrich_catalogue(catalogue, [first])
    second, second_requests = arxiv_source(httpx.Response(500), cache_dir=tmp_path)
    report = enrich_catalogue(catalogue, [second])
    assert (len(first_requests), len(second_requests)) == (1, 0)
    assert report.requests == {"arxiv": 0}


# --- the real metadata file ----------------------------------------------------------------


def test_real_metadata_file_fills_a_catalogue_of_its_titles():
    source = MetadataFile(METADATA)
    papers = [make_paper(record.title, n) for n, record in enumerate(source.records)]
    report = enrich_catalogue(make_catalogue(*papers), [source])
    enriched = Catalogue.model_validate(report.catalogue.model_dump())  # still a valid catalogue
    with_authors = sum(1 for p in enriched.papers if p.authors)
    with_id = sum(1 for p in enriched.papers if p.arxiv_id)
    dated = sum(1 for p in enriched.papers if p.date)
    assert with_authors >= 0.9 * len(papers)  # shares, not today's counts of the file
    assert with_id >= 0.9 * len(papers)
    assert dated == sum(1 for r in source.records if r.published or r.arxiv_id)
    assert report.filled["authors"] == with_authors
    assert report.rejected == []
    assert report.requests == {"metadata-file": 0}
    # Every filled value says where it came from.
    for paper in enriched.papers:
        assert set(paper.provenance) == set(paper.generated)
        for name, origin in paper.provenance.items():
            assert origin.split(" ", 1)[0] in ("metadata-file", "arxiv-id")
            assert paper.generated[name] == fingerprint(getattr(paper, name))
