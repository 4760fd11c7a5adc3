"""Import: listings merged into papers.yaml, idempotent, order-independent, curator-safe."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator import store
from generator.cli import main
from generator.errors import AtlasError
from generator.ingest.importer import run_import
from generator.ingest.listings import read_listing
from generator.model import Catalogue, Topic
from generator.text import normalise_title

ROOT = Path(__file__).resolve().parent.parent

TOPICS = [
    Topic(slug="vla-models", title="VLA", description="Vision-language-action models.", phrases=["vision-language-action", "VLA"]),
    Topic(slug="gui-agents", title="GUI agents", description="Agents on screens.", phrases=["GUI agent", "web agent"]),
    Topic(slug="related-work", title="Adjacent", description="Everything else."),
]

LISTING_ONE = """Get trending papers in your email inbox!
SubscribeOpenThing: A Vision-Language-Action Model
Robots need policies. We introduce OpenThing, a vision-language-action model. Code: https://github.com/x/openthing.
ClickBot: A GUI Agent
Screens are everywhere. We propose ClickBot, a GUI agent that clicks. See https://clickbot.github.io/}.
"""

LISTING_TWO = """new

Mar 5

OpenThing: a Vision-Language-Action model

Robots need policies. We introduce OpenThing, a vision-language-action model. Code: https://github.com/x/openthing.

  • 7 authors
·
Feb 20 4

Retrieval Things

We study retrieval of documents with a new index.

  • 3 authors
·
Jun 4, 2025 2
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "listings").mkdir()
    (tmp_path / "listings" / "001_one.txt").write_text(LISTING_ONE, encoding="utf-8")
    (tmp_path / "listings" / "002_two.txt").write_text(LISTING_TWO, encoding="utf-8")
    store.save(Catalogue(topics=TOPICS, papers=[]), tmp_path / "papers.yaml")
    return tmp_path


def listings(project: Path) -> list[Path]:
    return sorted((project / "listings").glob("*.txt"))


def papers(project: Path) -> dict[str, dict]:
    data, _ = store.read.read_raw(project / "papers.yaml")
    return {p["title"]: p for p in data["papers"]}


def edit_paper(project: Path, which: str, **changes) -> None:
    """Edit papers.yaml as a curator would: change values of the paper titled ``which``."""
    path = project / "papers.yaml"
    catalogue = store.load(path)
    edited = [p.model_copy(update=changes) if p.title == which else p for p in catalogue.papers]
    store.save(catalogue.model_copy(update={"papers": edited}), path)


def test_import_creates_one_paper_per_title_with_listing_fields(project):
    report = run_import(project / "papers.yaml", listings(project))
    assert (report.listings, report.entries, report.new, report.merged) == (2, 4, 3, 0)
    found = papers(project)
    assert set(found) == {"OpenThing: A Vision-Language-Action Model", "ClickBot: A GUI Agent", "Retrieval Things"}
    retrieval = found["Retrieval Things"]
    assert retrieval["abstract"] == "We study retrieval of documents with a new index."
    assert (retrieval["date"], retrieval["authors_count"], retrieval["upvotes"]) == ("2025-06-04", 3, 2)
    assert retrieval["topics"] == ["related-work"]


def test_titles_in_two_listings_become_one_paper_with_combined_metadata(project):
    run_import(project / "papers.yaml", listings(project))
    open_thing = papers(project)["OpenThing: A Vision-Language-Action Model"]
    assert open_thing["sources"] == ["001_one.txt", "002_two.txt"]
    assert (open_thing["date"], open_thing["authors_count"], open_thing["upvotes"]) == ("2026-02-20", 7, 4)
    assert open_thing["topics"][0] == "vla-models"
    assert open_thing["links"] == {"code": "https://github.com/x/openthing"}


def test_links_are_cleaned_of_stray_braces(project):
    run_import(project / "papers.yaml", listings(project))
    assert papers(project)["ClickBot: A GUI Agent"]["links"] == {"project": "https://clickbot.github.io/"}


def test_reimport_is_a_byte_identical_no_op(project):
    run_import(project / "papers.yaml", listings(project))
    before = (project / "papers.yaml").read_bytes()
    report = run_import(project / "papers.yaml", listings(project))
    assert report.written is False
    assert (report.new, report.merged, report.unchanged) == (0, 0, 3)
    assert (project / "papers.yaml").read_bytes() == before


def test_import_does_not_depend_on_the_order_of_listings(project, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    shutil.copytree(project, other, dirs_exist_ok=True)
    run_import(project / "papers.yaml", listings(project))
    run_import(other / "papers.yaml", list(reversed(listings(other))))
    assert (project / "papers.yaml").read_bytes() == (other / "papers.yaml").read_bytes()


def test_reimport_keeps_curated_topics_and_tldr(project):
    run_import(project / "papers.yaml", listings(project))
    title = "ClickBot: A GUI Agent"
    edit_paper(project, title, topics=["related-work", "gui-agents"], tldr="A curator's own summary.")
    run_import(project / "papers.yaml", listings(project))
    clickbot = papers(project)[title]
    assert clickbot["topics"] == ["related-work", "gui-agents"]
    assert clickbot["tldr"] == "A curator's own summary."


def test_reimport_keeps_a_corrected_title_and_its_id_and_key(project):
    run_import(project / "papers.yaml", listings(project))
    before = papers(project)["ClickBot: A GUI Agent"]
    edit_paper(project, "ClickBot: A GUI Agent", title="ClickBot: A GUI Agent for Phones")
    report = run_import(project / "papers.yaml", listings(project))
    assert report.new == 0
    after = papers(project)
    assert "ClickBot: A GUI Agent" not in after
    corrected = after["ClickBot: A GUI Agent for Phones"]
    assert (corrected["id"], corrected["bibtex_key"]) == (before["id"], before["bibtex_key"])


def test_generated_fields_follow_new_rules_until_a_curator_edits_them(project):
    run_import(project / "papers.yaml", listings(project))
    path = project / "papers.yaml"
    catalogue = store.load(path)
    topics = [t.model_copy(update={"phrases": ["retrieval"]}) if t.slug == "gui-agents" else t for t in catalogue.topics]
    store.save(catalogue.model_copy(update={"topics": topics}), path)
    run_import(path, listings(project))
    assert papers(project)["Retrieval Things"]["topics"][0] == "gui-agents"


def test_refused_listing_leaves_the_catalogue_byte_identical(project):
    run_import(project / "papers.yaml", listings(project))
    before = (project / "papers.yaml").read_bytes()
    bad = project / "listings" / "003_bad.txt"
    bad.write_bytes("Title\nAbstract caf\u00e9\n".encode("latin-1"))
    with pytest.raises(AtlasError) as caught:
        run_import(project / "papers.yaml", listings(project))
    assert str(caught.value).startswith(f"{bad}:2: not valid UTF-8")
    assert (project / "papers.yaml").read_bytes() == before


def test_cli_import_prints_summary_and_located_warnings(project, monkeypatch):
    monkeypatch.chdir(project)
    (project / "listings" / "003_cut.txt").write_text("Only a title, cut off\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import"])
    assert result.exit_code == 0, result.output
    assert "3 listings read, 4 entries found: 3 new, 0 merged, 0 unchanged papers; 2 warnings" in result.output
    assert "listings/003_cut.txt:1: entry 'Only a title, cut off' has no abstract" in result.output


def test_cli_refuses_a_missing_catalogue_in_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "listings").mkdir()
    (tmp_path / "listings" / "a.txt").write_text(LISTING_ONE, encoding="utf-8")
    result = CliRunner().invoke(main, ["import"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: papers.yaml: catalogue not found"


# --- the real listings and the committed catalogue --------------------------------


@pytest.fixture(scope="module")
def real_import(tmp_path_factory) -> Path:
    """The five real listings imported into an empty catalogue with the committed taxonomy."""
    project = tmp_path_factory.mktemp("real")
    shutil.copytree(ROOT / "listings", project / "listings")
    committed = store.load(ROOT / "papers.yaml")
    store.save(Catalogue(topics=committed.topics, papers=[]), project / "papers.yaml")
    run_import(project / "papers.yaml", listings(project))
    return project


def listed_titles(project: Path, *, dated: bool = False) -> set[str]:
    """Normalised titles of the listings' entries as the parser reads them (``dated``: only dated ones)."""
    return {
        normalise_title(entry.title)
        for path in listings(project)
        for entry in read_listing(path).entries
        if entry.date or not dated
    }


def test_real_listings_give_one_paper_per_title_with_verbatim_text(real_import):
    found = papers(real_import)
    assert {normalise_title(title) for title in found} == listed_titles(real_import)
    text = "\n".join(p.read_text(encoding="utf-8") for p in listings(real_import))
    lines = set(text.splitlines())
    for paper in found.values():
        assert paper["title"] in lines or "Subscribe" + paper["title"] in lines
        assert paper["abstract"] in lines


def test_real_listing_metadata_is_kept(real_import):
    found = papers(real_import)
    rt_h = found["RT-H: Action Hierarchies Using Language"]
    assert (rt_h["date"], rt_h["authors_count"], rt_h["upvotes"]) == ("2024-03-04", 9, 1)
    # Every dated entry of the listings dates its paper.
    assert {normalise_title(t) for t, p in found.items() if p.get("date")} == listed_titles(real_import, dated=True)
    assert sum(1 for p in found.values() if p.get("organization")) >= 2
    assert found["MolmoAct: Action Reasoning Models that can Reason in Space"]["organization"] == "allenai Ai2"


def test_committed_catalogue_is_up_to_date_with_the_listings(tmp_path):
    shutil.copytree(ROOT / "listings", tmp_path / "listings")
    shutil.copy(ROOT / "papers.yaml", tmp_path / "papers.yaml")
    report = run_import(tmp_path / "papers.yaml", listings(tmp_path))
    assert report.written is False, "papers.yaml is stale: run `python -m generator import`"
    assert report.unchanged == len(store.load(ROOT / "papers.yaml").papers)


def test_new_papers_are_stamped_with_the_day_they_entered_and_keep_it(tmp_path):
    import datetime as dt

    project = tmp_path
    (project / "listings").mkdir()
    (project / "listings" / "001_one.txt").write_text(LISTING_ONE, encoding="utf-8")
    store.save(Catalogue(topics=TOPICS, papers=[]), project / "papers.yaml")
    run_import(project / "papers.yaml", listings(project), today=dt.date(2026, 11, 2))
    assert {p["title"]: p["added"] for p in papers(project).values()} == {
        "OpenThing: A Vision-Language-Action Model": "2026-11-02",
        "ClickBot: A GUI Agent": "2026-11-02",
    }
    # A week later a second listing brings a known paper again, and a new one.
    (project / "listings" / "002_two.txt").write_text(LISTING_TWO, encoding="utf-8")
    run_import(project / "papers.yaml", listings(project), today=dt.date(2026, 11, 9))
    found = papers(project)
    assert found["OpenThing: A Vision-Language-Action Model"]["added"] == "2026-11-02"
    assert all(p["added"] in ("2026-11-02", "2026-11-09") for p in found.values())
    assert found["Retrieval Things"]["added"] == "2026-11-09"
