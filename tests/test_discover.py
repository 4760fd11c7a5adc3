"""The weekly discovery queue, on recorded arXiv answers (search results, an empty one, an error page)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from generator import store
from generator.discover import accept, discover, read_queue, reject, search_query, write_queue
from generator.errors import AtlasError
from generator.model import CandidateQueue, Catalogue, Topic
from generator.enrich.sources.http import PoliteClient

ROOT = Path(__file__).resolve().parents[1]
RECORDED = Path(__file__).parent / "fixtures" / "recorded"
TODAY = dt.date(2026, 11, 30)


class Arxiv:
    """arXiv's search API as a transport: the first search gets ``first``, later ones ``rest``."""

    def __init__(self, first: str = "arxiv-search-new.atom", rest: str = "arxiv-search-empty.atom") -> None:
        self.feeds = [first, rest]
        self.requests: list[httpx.Request] = []

    def client(self) -> PoliteClient:
        transport = httpx.MockTransport(self.answer)
        return PoliteClient("arxiv", min_interval=0, transport=transport, sleep=lambda s: None, retries=0)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        feed = self.feeds[0] if len(self.requests) == 1 else self.feeds[1]
        return httpx.Response(200, text=(RECORDED / feed).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def committed() -> Catalogue:
    return store.load(ROOT / "papers.yaml")


def run(catalogue: Catalogue, queue: CandidateQueue = CandidateQueue(), arxiv: Arxiv | None = None, limit: int = 25):
    arxiv = arxiv or Arxiv()
    updated, report = discover(catalogue, queue, arxiv.client(), limit=limit, per_topic=10, today=TODAY)
    return updated, report, arxiv


def test_each_topic_with_phrases_is_searched_newest_first(committed):
    _, report, arxiv = run(committed)
    searched = [t for t in committed.topics if t.phrases]
    assert report.searches == len(searched) == len(arxiv.requests)
    for request in arxiv.requests:
        assert request.url.params["sortBy"] == "submittedDate" and request.url.params["sortOrder"] == "descending"
    first = arxiv.requests[0].url.params["search_query"]
    assert first == search_query(searched[0])


def test_papers_already_in_the_catalogue_are_not_queued(committed):
    queue, report, _ = run(committed)
    assert [c.arxiv_id for c in report.added] == ["2611.01234", "2611.04321"]  # 2403.09631 is in papers.yaml
    assert [c.arxiv_id for c in queue.candidates] == ["2611.01234", "2611.04321"]
    first = queue.candidates[0]
    assert first.title == "ShelfVLA: Closed-Loop Vision-Language-Action Policies for Cluttered Shelves"
    assert first.found == "2026-11-30" and first.date == "2026-11-27" and first.authors == ["Ada Example", "Ben Sample"]


def test_at_most_limit_candidates_a_run(committed):
    _, report, _ = run(committed, limit=1)
    assert len(report.added) == 1


def test_queued_and_rejected_papers_are_never_proposed_again(committed):
    queue, _, _ = run(committed)
    again, report, _ = run(committed, queue)
    assert report.added == [] and again == queue
    rejected = CandidateQueue(rejected=[{"arxiv_id": "2611.01234", "title": "ShelfVLA"}])
    _, report, _ = run(committed, rejected)
    assert [c.arxiv_id for c in report.added] == ["2611.04321"]


def test_a_taxonomy_without_phrases_makes_no_request(committed):
    bare = committed.model_copy(update={"topics": [t.model_copy(update={"phrases": []}) for t in committed.topics]})
    _, report, arxiv = run(bare)
    assert report.searches == 0 and arxiv.requests == []


def test_an_empty_answer_queues_nothing(committed):
    _, report, _ = run(committed, arxiv=Arxiv("arxiv-search-empty.atom"))
    assert report.added == []


def test_an_error_page_refuses_the_run(committed):
    with pytest.raises(AtlasError, match="arxiv"):
        run(committed, arxiv=Arxiv("arxiv-error.atom", "arxiv-error.atom"))


def test_a_phrase_cannot_break_out_of_its_quotes():
    topic = Topic(slug="t", title="T", description="D", phrases=['!say "hi" OR all', "title:survey"])
    assert search_query(topic) == 'all:"say hi OR all" OR ti:"survey"'


def test_the_queue_file_is_deterministic_and_reads_back_as_written(committed, tmp_path):
    queue, _, _ = run(committed)
    path = tmp_path / "candidates.yaml"
    assert write_queue(queue, path) is True
    first = path.read_bytes()
    assert write_queue(read_queue(path), path) is False and path.read_bytes() == first
    data = yaml.safe_load(first)  # any YAML reader sees strings where we wrote strings
    assert data["candidates"][0]["found"] == "2026-11-30" and data["candidates"][0]["arxiv_id"] == "2611.01234"


def test_a_broken_queue_file_is_one_located_line(tmp_path):
    path = tmp_path / "candidates.yaml"
    path.write_text("candidates:\n- arxiv_id: '2611.01234'\n  title: x\n  abstract: y\n  found: '2026-13-01'\n  found_by: t\n")
    with pytest.raises(AtlasError) as refused:
        read_queue(path)
    assert refused.value.line == 5 and "impossible date" in str(refused.value)
    path.write_text("candidates: [unclosed\n")
    with pytest.raises(AtlasError) as refused:
        read_queue(path)
    assert refused.value.line is not None and "YAML syntax" in str(refused.value)


def project(tmp_path: Path, committed: Catalogue) -> tuple[Path, Path]:
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    queue, _, _ = run(committed)
    write_queue(queue, tmp_path / "candidates.yaml")
    return tmp_path / "papers.yaml", tmp_path / "candidates.yaml"


def test_accept_moves_a_candidate_into_the_catalogue(committed, tmp_path):
    catalogue_path, queue_path = project(tmp_path, committed)
    [paper_id] = accept(catalogue_path, queue_path, ["2611.01234"])
    catalogue = store.load(catalogue_path)
    paper = next(p for p in catalogue.papers if p.id == paper_id)
    assert paper.arxiv_id == "2611.01234" and paper.bibtex_key.startswith("example2026")
    assert paper.links.get("code") == "https://github.com/example/shelfvla"
    assert set(paper.topics) <= {t.slug for t in catalogue.topics}
    assert [c.arxiv_id for c in read_queue(queue_path).candidates] == ["2611.04321"]


def test_reject_keeps_the_paper_out_and_remembers_why(committed, tmp_path):
    _, queue_path = project(tmp_path, committed)
    reject(queue_path, ["2611.04321"], reason="not about action")
    queue = read_queue(queue_path)
    assert [c.arxiv_id for c in queue.candidates] == ["2611.01234"]
    assert [(r.arxiv_id, r.reason) for r in queue.rejected] == [("2611.04321", "not about action")]


def test_an_unknown_id_refuses_and_writes_nothing(committed, tmp_path):
    catalogue_path, queue_path = project(tmp_path, committed)
    before = (catalogue_path.read_bytes(), queue_path.read_bytes())
    for act in (lambda: accept(catalogue_path, queue_path, ["2611.01234", "2699.99999"]), lambda: reject(queue_path, ["2699.99999"])):
        with pytest.raises(AtlasError, match="no candidate '2699.99999'"):
            act()
        assert (catalogue_path.read_bytes(), queue_path.read_bytes()) == before


def test_discover_with_limit_zero_makes_no_request(tmp_path):
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    env = dict(os.environ, PYTHONPATH=str(ROOT), ACTION_ATLAS_CACHE=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-m", "generator", "discover", "--limit", "0"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "no request" in done.stdout and not (tmp_path / "candidates.yaml").exists()
