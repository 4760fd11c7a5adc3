"""Adding a paper by its arXiv id, on recorded arXiv answers (the API's documented Atom format)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from generator import store
from generator.add import add_papers, arxiv_id_of, run_add
from generator.errors import AtlasError
from generator.model import Catalogue
from generator.enrich.sources.http import PoliteClient
from generator.text import fingerprint

ROOT = Path(__file__).resolve().parents[1]
RECORDED = Path(__file__).parent / "fixtures" / "recorded"


class Arxiv:
    """arXiv's API as a transport: answers id_list queries from a recorded feed."""

    def __init__(self, feed: str = "arxiv-id-list.atom", status: int = 200) -> None:
        self.text = (RECORDED / feed).read_text(encoding="utf-8")
        self.status = status
        self.requests: list[httpx.Request] = []

    def client(self) -> PoliteClient:
        return PoliteClient("arxiv", min_interval=0, transport=httpx.MockTransport(self.answer), sleep=lambda s: None, retries=0)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, text=self.text)


def without(catalogue: Catalogue, *arxiv_ids: str) -> Catalogue:
    return catalogue.model_copy(update={"papers": [p for p in catalogue.papers if p.arxiv_id not in arxiv_ids]})


@pytest.fixture(scope="module")
def committed() -> Catalogue:
    return store.load(ROOT / "papers.yaml")


@pytest.mark.parametrize(
    "identifier",
    [
        "2403.09631",
        "arXiv:2403.09631",
        "arxiv:2403.09631v3",
        "https://arxiv.org/abs/2403.09631",
        "https://arxiv.org/abs/2403.09631v2",
        "https://arxiv.org/pdf/2403.09631v1.pdf",
        "https://huggingface.co/papers/2403.09631",
        " 2403.09631 ",
    ],
)
def test_every_usual_way_of_naming_a_paper_gives_its_arxiv_id(identifier):
    assert arxiv_id_of(identifier) == "2403.09631"


@pytest.mark.parametrize(
    "identifier", ["", "2403", "javascript:alert(1)", "https://evil.example/abs/2403.09631", "2403.09631\n2107.05612", "x" * 10_000]
)
def test_anything_else_is_refused_in_one_short_line(identifier):
    with pytest.raises(AtlasError) as refused:
        arxiv_id_of(identifier)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200


def test_added_paper_gets_metadata_topics_tldr_and_a_frozen_key_like_an_import(committed):
    arxiv = Arxiv()
    before = without(committed, "2403.09631", "2107.05612")
    after, report = add_papers(before, ["2403.09631"], arxiv.client(), today=dt.date(2026, 12, 1))
    [paper] = report.added
    assert paper.added == "2026-12-01"
    assert paper.title == "3D-VLA: A 3D Vision-Language-Action Generative World Model"
    assert paper.arxiv_id == "2403.09631" and paper.authors[0] == "Haoyu Zhen" and paper.date == "2024-03-14"
    assert paper.abstract.startswith("Recent vision-language-action (VLA) models rely on 2D inputs")
    assert paper.tldr and paper.tldr in paper.abstract
    assert set(paper.topics) <= {t.slug for t in committed.topics}
    assert paper.bibtex_key.startswith("zhen2024")  # first author, year, title word
    assert paper.provenance["authors"] == "arxiv 2403.09631"
    # Every value written is fingerprinted, so a later curator's edit is recognised as curated.
    for name, value in paper.generated.items():
        assert value == fingerprint(getattr(paper, name)), name
    assert [p.id for p in after.papers] == sorted(p.id for p in after.papers)
    assert len(after.papers) == len(before.papers) + 1
    assert type(after).model_validate(after.model_dump())  # still a valid catalogue
    assert len(arxiv.requests) == 1 and arxiv.requests[0].url.params["id_list"] == "2403.09631"


def test_a_paper_already_present_is_reported_not_duplicated_and_asks_nothing(committed, tmp_path):
    present = next(p for p in committed.papers if p.arxiv_id)
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    before = (tmp_path / "papers.yaml").read_bytes()
    arxiv = Arxiv()
    report = run_add(tmp_path / "papers.yaml", [f"https://arxiv.org/abs/{present.arxiv_id}v9"], arxiv.client())
    assert report.present == {present.arxiv_id: present.id} and not report.added and not report.written
    assert arxiv.requests == []
    assert (tmp_path / "papers.yaml").read_bytes() == before


def test_a_paper_present_under_its_title_without_an_arxiv_id_is_not_added_again(committed):
    paper = next(p for p in committed.papers if p.arxiv_id == "2403.09631")
    others = without(committed, "2403.09631")
    catalogue = others.model_copy(update={"papers": [*others.papers, paper.model_copy(update={"arxiv_id": None})]})
    _, report = add_papers(catalogue, ["2403.09631"], Arxiv().client())
    assert report.present == {"2403.09631": paper.id} and not report.added


def test_an_id_arxiv_does_not_know_is_reported(committed):
    _, report = add_papers(committed, ["2501.00001"], Arxiv("arxiv-id-list.atom").client())
    assert report.not_found == ["2501.00001"] and not report.added


def test_an_arxiv_error_page_refuses_and_leaves_the_catalogue_byte_identical(tmp_path):
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    before = (tmp_path / "papers.yaml").read_bytes()
    with pytest.raises(AtlasError, match="arxiv"):
        run_add(tmp_path / "papers.yaml", ["2501.00001"], Arxiv("arxiv-error.atom").client())
    assert (tmp_path / "papers.yaml").read_bytes() == before


def test_the_add_command_refuses_a_bad_identifier_before_any_request(tmp_path):
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    env = dict(os.environ, PYTHONPATH=str(ROOT), ACTION_ATLAS_CACHE=str(tmp_path / "cache"))
    done = subprocess.run(
        [sys.executable, "-m", "generator", "add", "not-an-id"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["error: 'not-an-id' is not an arXiv id or an arXiv / Hugging Face paper URL"]


class SemanticScholar:
    """The Graph API's paper-by-id endpoint as a transport, answering one recorded record."""

    def __init__(self, status: int = 200, body: str | None = None) -> None:
        self.status = status
        self.body = body if body is not None else (RECORDED / "semantic-scholar-paper-arxiv.json").read_text(encoding="utf-8")
        self.requests: list[httpx.Request] = []

    def client(self) -> PoliteClient:
        return PoliteClient("semantic-scholar", min_interval=0, transport=httpx.MockTransport(self.answer), sleep=lambda s: None, retries=0)

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, text=self.body)


def test_an_id_arxiv_lacks_is_asked_of_semantic_scholar(committed):
    s2 = SemanticScholar()
    _, report = add_papers(committed, ["2501.00001"], Arxiv().client(), s2.client())
    [paper] = report.added
    assert s2.requests[0].url.path == "/graph/v1/paper/arXiv:2501.00001"
    assert "abstract" in s2.requests[0].url.params["fields"]
    assert paper.title.startswith("Waypoint Tokens") and paper.abstract.startswith("Language-conditioned robot policies")
    assert paper.arxiv_id == "2501.00001" and paper.date == "2025-01-01"
    assert paper.provenance["authors"] == "semantic-scholar arXiv:2501.00001"


def test_an_id_neither_service_knows_is_reported(committed):
    _, report = add_papers(committed, ["2501.00001"], Arxiv().client(), SemanticScholar(404, '{"error": "Paper not found"}').client())
    assert report.not_found == ["2501.00001"] and not report.added


def test_a_damaged_semantic_scholar_answer_is_one_line(committed):
    with pytest.raises(AtlasError, match="semantic-scholar: unexpected answer"):
        add_papers(committed, ["2501.00001"], Arxiv().client(), SemanticScholar(200, "[1, 2").client())
