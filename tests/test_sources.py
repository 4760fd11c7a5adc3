"""The metadata sources: the recorded metadata file, arXiv, Semantic Scholar, and the polite client.

No test touches the network: transports are httpx.MockTransport serving files recorded by hand
in tests/fixtures/recorded, and time is a fake clock.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import FakeClock

from generator.errors import AtlasError
from generator.model import Paper
from generator.enrich.sources import arxiv, semantic_scholar
from generator.enrich.sources.arxiv import ArxivSource, parse_atom
from generator.enrich.sources.http import PoliteClient, default_cache_dir
from generator.enrich.sources.metadata_file import MetadataFile, read_metadata_file
from generator.enrich.sources.semantic_scholar import SemanticScholarSource, parse_match

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
METADATA = Path(__file__).parents[1] / "data" / "papers-metadata.jsonl"


pytestmark = pytest.mark.usefixtures("no_network")


class Service:
    """A MockTransport that answers from a script and notes when each request arrived."""

    def __init__(self, clock: FakeClock, *answers: httpx.Response | Exception | str):
        self.clock = clock
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.now)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, str):
            return httpx.Response(200, text=(RECORDED / answer).read_text(encoding="utf-8"))
        return answer


def client(service: Service, clock: FakeClock, **options) -> PoliteClient:
    options.setdefault("min_interval", 3.0)
    return PoliteClient("test", transport=service.transport, clock=clock, sleep=clock.sleep, **options)


def paper(title: str, **fields) -> Paper:
    return Paper(
        id="p", title=title, topics=["t"], tldr="t", bibtex_key="p", abstract="a", **fields
    )


# --- the polite client -------------------------------------------------------------------


def test_arxiv_client_spaces_requests_three_seconds_apart():
    clock = FakeClock()
    service = Service(clock, httpx.Response(200, text="ok"))
    polite = arxiv.make_client(transport=service.transport, clock=clock, sleep=clock.sleep)
    for n in range(3):
        polite.get("https://export.arxiv.org/api/query", {"id_list": f"2403.0963{n}"})
    assert service.times == [0.0, 3.0, 6.0]
    assert clock.sleeps == [3.0, 3.0]


def test_semantic_scholar_client_spaces_requests_one_second_apart():
    clock = FakeClock()
    service = Service(clock, httpx.Response(200, text="{}"))
    polite = semantic_scholar.make_client(transport=service.transport, clock=clock, sleep=clock.sleep)
    for n in range(3):
        polite.get(semantic_scholar.API_URL, {"query": f"title {n}"})
    assert service.times == [0.0, 1.0, 2.0]


def test_rate_limit_counts_time_already_spent():
    clock = FakeClock()
    service = Service(clock, httpx.Response(200, text="ok"))
    polite = client(service, clock)
    polite.get("https://example.org/a")
    clock.now += 2.5  # parsing the previous answer took a while
    polite.get("https://example.org/b")
    assert clock.sleeps == [0.5]


def test_retries_503_with_backoff_then_succeeds():
    clock = FakeClock()
    service = Service(clock, httpx.Response(503), httpx.Response(200, text="feed"))
    polite = client(service, clock, min_interval=1.0, backoff=2.0)
    answer = polite.get("https://example.org/query")
    assert (answer.status, answer.text) == (200, "feed")
    assert len(service.requests) == 2
    assert service.times == [0.0, 2.0]
    assert polite.requests == 2


def test_backoff_grows_exponentially_and_honours_retry_after():
    clock = FakeClock()
    service = Service(
        clock,
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(429, headers={"Retry-After": "20"}),
        httpx.Response(200, text="ok"),
    )
    polite = client(service, clock, min_interval=0.0, backoff=2.0, retries=3)
    polite.get("https://example.org/query")
    assert clock.sleeps == [2.0, 4.0, 20.0]


def test_gives_up_after_bounded_retries_with_one_line_error():
    clock = FakeClock()
    service = Service(clock, httpx.Response(503))
    polite = client(service, clock, retries=2, backoff=1.0, max_backoff=2.0)
    with pytest.raises(AtlasError) as caught:
        polite.get("https://example.org/query")
    assert len(service.requests) == 3
    assert str(caught.value) == "test: gave up on https://example.org/query after 3 attempts: HTTP 503"
    assert max(clock.sleeps) <= 3.0


def test_timeout_is_set_retried_and_reported():
    clock = FakeClock()
    service = Service(clock, httpx.ReadTimeout("slow"), httpx.Response(200, text="late but fine"))
    polite = client(service, clock, timeout=7.5)
    assert polite.get("https://example.org/slow").text == "late but fine"
    assert service.requests[0].extensions["timeout"]["read"] == 7.5

    always_slow = Service(clock, httpx.ConnectTimeout("slow"))
    with pytest.raises(AtlasError, match=r"after 4 attempts: no answer within 7.5 s"):
        client(always_slow, clock, timeout=7.5).get("https://example.org/slow")
    assert len(always_slow.requests) == 4


def test_client_error_is_not_retried():
    clock = FakeClock()
    service = Service(clock, httpx.Response(400))
    with pytest.raises(AtlasError, match="answered HTTP 400"):
        client(service, clock).get("https://example.org/query")
    assert len(service.requests) == 1


def test_oversized_answer_is_refused():
    clock = FakeClock()
    service = Service(clock, httpx.Response(200, content=b"x" * 2_000))
    with pytest.raises(AtlasError, match="more than 1000 bytes"):
        client(service, clock, max_bytes=1_000).get("https://example.org/huge")


def test_cache_second_run_makes_no_request(tmp_path):
    clock = FakeClock()
    service = Service(clock, "arxiv-id-list.atom")
    first = client(service, clock, cache_dir=tmp_path)
    answer = first.get(arxiv.API_URL, {"id_list": "2403.09631"})
    assert len(service.requests) == 1

    second_service = Service(clock, httpx.ConnectError("the network must not be used"))
    second = client(second_service, clock, cache_dir=tmp_path)
    assert second.get(arxiv.API_URL, {"id_list": "2403.09631"}) == answer
    assert second_service.requests == []
    assert (second.requests, second.cache_hits) == (0, 1)
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_not_found_is_cached_but_failures_are_not(tmp_path):
    clock = FakeClock()
    service = Service(clock, httpx.Response(404, text='{"error": "Title match not found"}'))
    client(service, clock, cache_dir=tmp_path).get("https://example.org/missing")
    failing = Service(clock, httpx.Response(400))
    with pytest.raises(AtlasError):
        client(failing, clock, cache_dir=tmp_path).get("https://example.org/refused")
    assert len(list(tmp_path.glob("*.json"))) == 1
    again = Service(clock, httpx.ConnectError("must not be used"))
    assert client(again, clock, cache_dir=tmp_path).get("https://example.org/missing").status == 404


def test_damaged_cache_entry_is_a_miss(tmp_path):
    clock = FakeClock()
    service = Service(clock, httpx.Response(200, text="fresh"))
    polite = client(service, clock, cache_dir=tmp_path)
    polite.get("https://example.org/a")
    (entry,) = tmp_path.glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert client(service, clock, cache_dir=tmp_path).get("https://example.org/a").text == "fresh"
    assert len(service.requests) == 2


def test_default_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ACTION_ATLAS_CACHE", str(tmp_path / "atlas"))
    assert default_cache_dir() == tmp_path / "atlas"
    monkeypatch.delenv("ACTION_ATLAS_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "action-atlas" / "http"


# --- arXiv ---------------------------------------------------------------------------------


def test_parse_atom_reads_recorded_feed():
    entries = parse_atom((RECORDED / "arxiv-id-list.atom").read_text(encoding="utf-8"))
    assert [e.arxiv_id for e in entries] == ["2403.09631", "2107.05612"]
    first, second = entries
    assert first.title == "3D-VLA: A 3D Vision-Language-Action Generative World Model"
    assert first.authors[0] == "Haoyu Zhen" and len(first.authors) == 8
    assert first.published == "2024-03-14"
    assert first.primary_category == "cs.CV"
    assert first.journal_ref is None
    # Long titles come wrapped over two lines.
    assert second.title == (
        "A Persistent Spatial Semantic Representation for High-level Natural "
        "Language Instruction Execution"
    )
    assert second.journal_ref == "CoRL 2021"
    assert second.primary_category == "cs.RO"
    assert second.published == "2021-07-12"


def test_parse_atom_reads_old_style_ids():
    feed = (RECORDED / "arxiv-id-list.atom").read_text(encoding="utf-8")
    feed = feed.replace("http://arxiv.org/abs/2403.09631v1</id>", "http://arxiv.org/abs/cs/0701001v3</id>")
    assert parse_atom(feed)[0].arxiv_id == "cs/0701001"


def test_parse_atom_reports_api_error():
    with pytest.raises(AtlasError, match="refused the query: incorrect id format for 2403.0963"):
        parse_atom((RECORDED / "arxiv-error.atom").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><feed/>', "declares a DTD"),
        ("<html><body>Service unavailable</body></html>", "not an Atom feed"),
        ("Rate exceeded.", "not XML"),
    ],
)
def test_parse_atom_refuses_what_is_not_a_feed(text, problem):
    with pytest.raises(AtlasError, match=problem):
        parse_atom(text)


def test_arxiv_lookup_by_id_is_exact_and_strips_version():
    clock = FakeClock()
    service = Service(clock, "arxiv-id-list.atom")
    source = ArxivSource(arxiv.make_client(transport=service.transport, clock=clock, sleep=clock.sleep))
    title = "3D-VLA: A 3D Vision-Language-Action Generative World Model"
    record = source.lookup(paper(title, arxiv_id="2403.09631"))
    (request,) = service.requests
    assert request.url.host == "export.arxiv.org"
    assert request.url.params["id_list"] == "2403.09631"
    assert record.confidence == "exact"
    assert record.arxiv_id == "2403.09631"
    assert record.arxiv_category == "cs.CV"  # the feed's arxiv:primary_category
    assert record.provenance == "arxiv 2403.09631"
    assert source.requests == 1


def test_arxiv_lookup_by_title_is_a_likely_phrase_search():
    clock = FakeClock()
    service = Service(clock, "arxiv-title-search-android.atom")
    source = ArxivSource(arxiv.make_client(transport=service.transport, clock=clock, sleep=clock.sleep))
    record = source.lookup(paper("Android in the Wild: A Large-Scale Dataset for Android Device Control"))
    assert service.requests[0].url.params["search_query"] == (
        'ti:"android in the wild a large scale dataset for android device control"'
    )
    # The source answers what arXiv found; deciding it is another paper is enrichment's job.
    assert record.confidence == "likely"
    assert record.title == "Android in the Zoo: Chain-of-Action-Thought for GUI Agents"


def test_arxiv_lookup_with_no_entries_is_none():
    clock = FakeClock()
    empty = (RECORDED / "arxiv-title-search-android.atom").read_text(encoding="utf-8")
    empty = empty[: empty.index("<entry>")] + "</feed>\n"
    service = Service(clock, httpx.Response(200, text=empty))
    source = ArxivSource(arxiv.make_client(transport=service.transport, clock=clock, sleep=clock.sleep))
    assert source.lookup(paper("No Such Paper Anywhere")) is None


# --- Semantic Scholar ----------------------------------------------------------------------


def test_parse_match_reads_recorded_answer():
    (match,) = parse_match((RECORDED / "semantic-scholar-match.json").read_text(encoding="utf-8"))
    record = match.record()
    assert record.title == "3D-VLA: A 3D Vision-Language-Action Generative World Model"
    assert record.arxiv_id == "2403.09631"
    assert record.authors[-1] == "Chuang Gan" and len(record.authors) == 8
    assert record.published == "2024-03-14"
    assert record.venue == "International Conference on Machine Learning"
    assert record.confidence == "likely"
    assert record.provenance == "semantic-scholar 8f4b3dc3a0b4f5a2d6c1e9b7f0a3c5d2e4b6a8c1"


def test_parse_match_tolerates_missing_fields():
    bare = {"paperId": "abc", "title": "T", "venue": "", "externalIds": None,
            "publicationDate": None, "authors": []}
    text = json.dumps({"data": [bare]})
    record = parse_match(text)[0].record()
    assert (record.venue, record.arxiv_id, record.published, record.authors) == (None, None, None, ())


@pytest.mark.parametrize("text", ["<html>502 Bad Gateway</html>", '{"data": [{"title": "no id"}]}'])
def test_parse_match_refuses_unexpected_answers(text):
    with pytest.raises(AtlasError, match="semantic-scholar: unexpected answer"):
        parse_match(text)


def test_semantic_scholar_lookup_sends_title_fields_and_key():
    clock = FakeClock()
    service = Service(clock, "semantic-scholar-match.json")
    polite = semantic_scholar.make_client(
        api_key="k-123", transport=service.transport, clock=clock, sleep=clock.sleep
    )
    record = SemanticScholarSource(polite).lookup(
        paper("3D-VLA: A 3D Vision-Language-Action Generative World Model")
    )
    (request,) = service.requests
    assert request.url.path == "/graph/v1/paper/search/match"
    assert request.url.params["query"] == "3d vla a 3d vision language action generative world model"
    assert request.url.params["fields"] == "title,authors,externalIds,publicationDate,venue,year"
    assert request.headers["x-api-key"] == "k-123"
    assert record.ref == "8f4b3dc3a0b4f5a2d6c1e9b7f0a3c5d2e4b6a8c1"


def test_semantic_scholar_not_found_is_none():
    clock = FakeClock()
    body = (RECORDED / "semantic-scholar-not-found.json").read_text(encoding="utf-8")
    service = Service(clock, httpx.Response(404, text=body))
    polite = semantic_scholar.make_client(transport=service.transport, clock=clock, sleep=clock.sleep)
    assert SemanticScholarSource(polite).lookup(paper("No Such Paper Anywhere")) is None


# --- the metadata file ---------------------------------------------------------------------


def test_metadata_file_reads_the_real_file():
    records = read_metadata_file(METADATA)
    assert records
    assert len({r.title for r in records}) == len(records)  # one record per paper
    assert {r.confidence for r in records} == {"exact", "likely", "none"}
    first = records[0]
    assert first.arxiv_id == "2403.09631"
    assert first.provenance == "metadata-file https://www.swiftscholar.net/paper/69d0e64ce63e77db717c9c9d"


def test_metadata_file_finds_a_paper_by_normalised_title():
    source = MetadataFile(METADATA)
    record = source.lookup(paper("3d-vla:  a 3D vision–language–action generative world model"))
    assert record is not None and record.arxiv_id == "2403.09631"
    assert source.lookup(paper("A Title No Listing Has")) is None
    assert source.requests == 0


def test_metadata_record_without_source_points_at_its_line(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_text('\n{"title": "Some Paper", "confidence": "none"}\n', encoding="utf-8")
    (record,) = read_metadata_file(path)
    assert record.provenance == "metadata-file meta.jsonl:2"


GOOD = {"title": "Some Paper", "arxiv_id": "2403.09631", "authors": ["A. Author"],
        "published": "2024-03-14", "venue": None, "source": "https://example.org/p", "confidence": "exact"}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"title": "Some Paper", ', "not valid JSON: Expecting property name"),
        ("[1, 2]", "line: not a JSON object"),
        (json.dumps({**GOOD, "title": None}), "title: Input should be a valid string"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "confidence"}),
         "confidence: required key is missing"),
        (json.dumps({**GOOD, "published": "2024-02-30"}), "published: impossible date '2024-02-30'"),
        (json.dumps({**GOOD, "published": "14/03/2024"}),
         "published: date '14/03/2024' is not YYYY-MM-DD"),
        (json.dumps({**GOOD, "arxiv_id": "2403.09631v2"}), "arxiv_id: String should match pattern"),
        (json.dumps({**GOOD, "confidence": "sure"}),
         "confidence: Input should be 'exact', 'likely' or 'none'"),
        (json.dumps({**GOOD, "source": "javascript:alert(1)"}), "source: malformed URL"),
        (json.dumps({**GOOD, "authors": ["A. Author", ""]}), "authors.1: String should have at least 1"),
        (json.dumps({**GOOD, "doi": "10.1/x"}), "doi: unknown key"),
        (json.dumps({**GOOD, "title": "SOME PAPER!"}), "title 'SOME PAPER!' was already given on line 1"),
    ],
)
def test_metadata_file_refuses_malformed_line_with_its_location(tmp_path, line, problem):
    path = tmp_path / "meta.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(AtlasError) as caught:
        MetadataFile(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    assert problem in message
    assert "\n" not in message


def test_metadata_file_that_cannot_be_read_is_named(tmp_path):
    with pytest.raises(AtlasError, match="metadata file not found"):
        MetadataFile(tmp_path / "missing.jsonl")
