"""Enrichment and the network: a hostile or damaged answer never aborts a run, credentials
never leave their host, and a request never outlives its deadline.

A deep JSON answer, an oversized one, or an answer that is not what the service sends
makes the source "unavailable for this paper" (the next paper is asked as usual); a
damaged cache entry is a miss; a metadata file that is not UTF-8 or nests too deep is a
located refusal. The deadline is tested against a real server on 127.0.0.1 that drips its
answer a byte a second (tests/fixtures/linkserver.py); everything else is served by
httpx.MockTransport.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from conftest import FakeClock

from generator.enrich.enrich import enrich_catalogue
from generator.enrich.sources import Unavailable, semantic_scholar
from generator.enrich.sources.arxiv import parse_atom
from generator.enrich.sources.http import MAX_REDIRECTS, PoliteClient
from generator.enrich.sources.metadata_file import MetadataFile
from generator.enrich.sources.semantic_scholar import SemanticScholarSource, parse_match
from generator.errors import AtlasError
from generator.model import Catalogue, Paper, Topic

RECORDED = Path(__file__).parent / "fixtures" / "recorded"
SERVER = Path(__file__).parent / "fixtures" / "linkserver.py"
VLA = "3D-VLA: A 3D Vision-Language-Action Generative World Model"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def paper(title: str, number: int) -> Paper:
    return Paper(id=f"paper-{number}", title=title, topics=["agents"], tldr="t", bibtex_key=f"paper{number}", abstract="a")


def catalogue(*papers: Paper) -> Catalogue:
    return Catalogue(topics=[Topic(slug="agents", title="Agents", description="Agents.")], papers=list(papers))


def quiet(**options) -> dict:
    clock = FakeClock()
    return {"clock": clock, "sleep": clock.sleep, **options}


# --- hostile answers: this paper only ------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        DEEP_JSON,  # RecursionError in json.loads
        '{"data": [{"paperId": "x", "title": ' + "[" * 50_000 + "]" * 50_000 + "}]}",
        '{"data": {"not": "a list"}}',
        "<html><body>502 Bad Gateway</body></html>",
        json.dumps({"data": [{"paperId": "x", "title": "T", "authors": [{"name": ["a", "list"]}]}]}),
    ],
    ids=["deep-json", "deep-title", "wrong-shape", "not-json", "wrong-type"],
)
def test_a_hostile_semantic_scholar_answer_is_unavailable_for_that_paper_only(body: str):
    good = (RECORDED / "semantic-scholar-match.json").read_text(encoding="utf-8")
    answers = iter([body, good])
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text=next(answers)))
    client = semantic_scholar.make_client(transport=transport, **quiet())
    report = enrich_catalogue(catalogue(paper("Some Other Paper", 1), paper(VLA, 2)), [SemanticScholarSource(client)])
    (rejection,) = report.rejected
    assert rejection.paper_id == "paper-1"
    assert rejection.reason.startswith("source unavailable for this paper (semantic-scholar: unexpected answer")
    assert "\n" not in rejection.reason and len(rejection.reason) < 700
    assert report.unavailable == {}  # the source was asked about the next paper ...
    assert report.changed == ["paper-2"]  # ... and its answer was used


def test_parse_match_of_deep_json_is_unavailable_not_a_recursion_error():
    with pytest.raises(Unavailable, match="nested too deep"):
        parse_match(DEEP_JSON)


def test_a_deep_xml_answer_of_arxiv_is_unavailable_not_a_crash():
    deep = '<feed xmlns="http://www.w3.org/2005/Atom">' + "<x>" * 200_000 + "</x>" * 200_000 + "</feed>"
    assert parse_atom(deep) == []  # expat does not recurse: a feed with no entry
    with pytest.raises(Unavailable):
        parse_atom("<" * 10_000)


def test_an_oversized_answer_is_unavailable_for_that_paper_and_the_run_goes_on():
    good = (RECORDED / "semantic-scholar-match.json").read_text(encoding="utf-8")
    answers = iter([httpx.Response(200, content=b" " * 3_000), httpx.Response(200, text=good)])
    transport = httpx.MockTransport(lambda request: next(answers))
    client = semantic_scholar.make_client(transport=transport, max_bytes=2_000, **quiet())
    report = enrich_catalogue(catalogue(paper("Huge Answer", 1), paper(VLA, 2)), [SemanticScholarSource(client)])
    assert [r.paper_id for r in report.rejected] == ["paper-1"]
    assert "more than 2000 bytes" in report.rejected[0].reason
    assert report.changed == ["paper-2"]


# --- a damaged cache -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        b"{not json",
        b'{"url": "URL", "text": "cached"}',  # no status
        b'{"url": "URL", "status": "two hundred", "text": "cached"}',
        b'{"url": "URL", "status": 200, "text": 42}',
        b'{"url": "URL", "status": 500, "text": "an error was cached"}',
        b'["url", 200, "cached"]',
        b"\xff\xfe not UTF-8",
        DEEP_JSON.encode(),
        b"",
    ],
    ids=["not-json", "no-status", "status-text", "text-number", "status-500", "a-list", "not-utf8", "deep", "empty"],
)
def test_a_damaged_cache_entry_is_a_miss_and_is_replaced(tmp_path: Path, entry: bytes):
    url = "https://example.org/paper"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="fresh"))
    first = PoliteClient("test", min_interval=0, cache_dir=tmp_path, transport=transport, **quiet())
    first.get(url)
    (path,) = tmp_path.glob("*.json")
    path.write_bytes(entry.replace(b"URL", url.encode()))
    again = PoliteClient("test", min_interval=0, cache_dir=tmp_path, transport=transport, **quiet())
    assert again.get(url).text == "fresh"
    assert again.requests == 1
    assert json.loads(path.read_text(encoding="utf-8"))["text"] == "fresh"


def test_a_symlinked_cache_entry_is_refused_not_followed(tmp_path: Path):
    url = "https://example.org/paper"
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="fresh"))
    client = PoliteClient("test", min_interval=0, cache_dir=tmp_path / "cache", transport=transport, **quiet())
    client.get(url)
    (path,) = (tmp_path / "cache").glob("*.json")
    secret = tmp_path / "secret.json"
    secret.write_text(json.dumps({"url": url, "status": 200, "text": "not yours"}), encoding="utf-8")
    path.unlink()
    path.symlink_to(secret)
    with pytest.raises(AtlasError, match="is a symbolic link"):
        PoliteClient("test", min_interval=0, cache_dir=tmp_path / "cache", transport=transport, **quiet()).get(url)


# --- a metadata file that is not what it should be ---------------------------------------------


def test_a_latin1_metadata_file_is_a_located_refusal(tmp_path: Path):
    path = tmp_path / "meta.jsonl"
    good = json.dumps({"title": "Some Paper", "confidence": "none"})
    path.write_bytes(good.encode() + b"\n" + '{"title": "Caf\u00e9", "confidence": "none"}'.encode("latin-1") + b"\n")
    with pytest.raises(AtlasError) as caught:
        MetadataFile(path)
    assert str(caught.value) == f"{path}:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"


def test_a_deeply_nested_metadata_line_is_a_located_refusal(tmp_path: Path):
    path = tmp_path / "meta.jsonl"
    path.write_text(json.dumps({"title": "Some Paper", "confidence": "none"}) + "\n\n" + DEEP_JSON + "\n", encoding="utf-8")
    with pytest.raises(AtlasError) as caught:
        MetadataFile(path)
    assert caught.value.line == 3 and "nested too deep" in caught.value.message


# --- credentials stay with their host ----------------------------------------------------------


@pytest.mark.parametrize(
    "location, key_sent",
    [
        ("https://evil.example/steal", False),  # another host
        ("http://api.semanticscholar.org/graph/v1/paper/search/match?query=x", False),  # plain http
        ("https://api.semanticscholar.org:8443/graph/v1/x", False),  # another port
        ("https://api.semanticscholar.org.evil.example/x", False),  # a look-alike host
        ("/graph/v1/paper/search/match?query=y", True),  # the same host, over https
    ],
)
def test_the_api_key_is_never_sent_to_another_host_or_over_http(location: str, key_sent: bool):
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, text='{"data": []}')

    client = semantic_scholar.make_client(api_key="k-secret", transport=httpx.MockTransport(handle), **quiet())
    assert client.get(semantic_scholar.API_URL, {"query": "x"}).status == 200
    first, second = seen
    assert first.headers["x-api-key"] == "k-secret"
    assert ("x-api-key" in second.headers) is key_sent
    assert "k-secret" not in str(second.headers) or key_sent


def test_redirects_are_bounded_and_only_to_http():
    loop = httpx.MockTransport(lambda request: httpx.Response(301, headers={"Location": "/again"}))
    client = PoliteClient("test", min_interval=0, transport=loop, **quiet())
    with pytest.raises(Unavailable, match=f"redirects more than {MAX_REDIRECTS} times"):
        client.get("https://example.org/start")
    for location in ("javascript:alert(1)", "file:///etc/passwd"):
        script = httpx.MockTransport(lambda request, to=location: httpx.Response(302, headers={"Location": to}))
        with pytest.raises(Unavailable, match="redirects to a (javascript: URL|file: URL|malformed or non-http)"):
            PoliteClient("test", min_interval=0, transport=script, **quiet()).get("https://example.org/start")


# --- an overall deadline per request -------------------------------------------------------------


@pytest.fixture(scope="module")
def dripping() -> Iterator[str]:
    """tests/fixtures/linkserver.py on 127.0.0.1 (it stops when the test module ends)."""
    process = subprocess.Popen([sys.executable, "-u", str(SERVER), "/dev/null"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


@pytest.mark.parametrize("path", ["/drip-body", "/drip"], ids=["body-a-byte-a-second", "status-line-a-byte-at-a-time"])
def test_a_server_dripping_its_answer_cannot_hold_a_request_past_its_deadline(dripping: str, path: str):
    client = PoliteClient("test", min_interval=0, timeout=1.5, retries=1, backoff=0.1)
    start = time.monotonic()
    with pytest.raises(AtlasError, match=r"after 2 attempts: no answer within 1.5 s"):
        client.get(dripping + path)
    elapsed = time.monotonic() - start
    client.close()
    print(f"{path}: gave up after {elapsed:.2f} s (two attempts of 1.5 s)")
    assert elapsed < 2 * 1.5 + 1.5  # each attempt ends at its deadline, not after the 40 s drip
