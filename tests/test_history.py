"""What readers cite never changes silently: ``validate --base REF`` and ``retired:``.

A real git repository in tmp_path holds the base catalogue; the working copy is changed as
a pull request would change it, and ``python -m generator validate --base <commit>``
refuses every changed key, changed id and removed paper in one located line each, unless
a ``retired:`` entry declares it. The retired key stays citable in the .bib (checked with
the real bibtex and biber) and the old anchor gets a redirect target.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generator import store
from generator.ingest.importer import run_import
from generator.model import Catalogue, Paper, Retired, Topic
from generator.render.bibtex import references_chunks
from generator.render.retired import redirect_targets, redirects_json
from tests.helpers import yaml_text

ROOT = Path(__file__).resolve().parent.parent
TOPIC = Topic(slug="vla-models", title="VLA", description="Vision-language-action models.")


def paper(n: int, **fields) -> Paper:
    values = dict(
        id=f"paper-{n:03d}", title=f"Paper Number {n}", authors=["Ann Author"], date="2024-03-01", topics=["vla-models"],
        tldr="It acts.", bibtex_key=f"author2024paper{n}", abstract="It acts.",
    )
    return Paper(**{**values, **fields})


def git(repo: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", GIT_CONFIG_NOSYSTEM="1", HOME=str(repo))
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose last commit holds a catalogue of 60 papers."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    save(root, Catalogue(topics=[TOPIC], papers=[paper(n) for n in range(60)]))
    git(root, "add", "papers.yaml")
    git(root, "commit", "-q", "-m", "base")
    return root


def save(root: Path, catalogue: Catalogue) -> None:
    store.save(catalogue, root / "papers.yaml")


def head(root: Path) -> Catalogue:
    return store.load(root / "papers.yaml")


def validate(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "generator", "validate", "-q", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def errors_of(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("error: ")]


def line_of(root: Path, text: str) -> int:
    return (root / "papers.yaml").read_text(encoding="utf-8").splitlines().index(text) + 1


def replace(catalogue: Catalogue, index: int, **fields) -> Catalogue:
    papers = list(catalogue.papers)
    papers[index] = papers[index].model_copy(update=fields)
    return catalogue.model_copy(update={"papers": papers})


# --- refused -----------------------------------------------------------------------------------


def test_a_changed_bibtex_key_is_refused_at_its_line(repo: Path):
    save(repo, replace(head(repo), 7, bibtex_key="author2024evaluating"))
    done = validate(repo, "--base", "HEAD")
    assert done.returncode == 1
    assert errors_of(done) == [
        f"error: papers.yaml:{line_of(repo, '  bibtex_key: author2024evaluating')}: paper 'paper-007': bibtex_key: changed from "
        "'author2024paper7' to 'author2024evaluating' since HEAD; published ids and keys never change; to retire one, add under "
        "'retired:' an entry with id: paper-007, bibtex_key: author2024paper7, a reason and, if a paper stands for it, replaced_by"
    ]


def test_a_changed_id_is_refused_at_the_new_id(repo: Path):
    save(repo, replace(head(repo), 12, id="a-better-id"))
    (error,) = errors_of(validate(repo, "--base", "HEAD"))
    assert error.startswith(f"error: papers.yaml:{line_of(repo, '- id: a-better-id')}: paper 'a-better-id': id: changed from 'paper-012' since HEAD")


def test_a_removed_paper_is_refused_where_it_stood(repo: Path):
    catalogue = head(repo)
    save(repo, catalogue.model_copy(update={"papers": [p for p in catalogue.papers if p.id != "paper-030"]}))
    (error,) = errors_of(validate(repo, "--base", "HEAD"))
    assert error.startswith(f"error: papers.yaml:{line_of(repo, '- id: paper-031')}: paper 'paper-030' (bibtex_key 'author2024paper30') was removed since HEAD")


def test_deleting_many_papers_is_refused_one_line_each(repo: Path):
    catalogue = head(repo)
    kept = catalogue.papers[:10]
    save(repo, catalogue.model_copy(update={"papers": kept}))
    done = validate(repo, "--base", git(repo, "rev-parse", "HEAD"))
    assert done.returncode == 1
    errors = errors_of(done)
    removed = {p.id for p in catalogue.papers} - {p.id for p in kept}
    assert len(errors) == len(removed)
    assert {re.search(r"paper '([^']+)' \(bibtex_key", e)[1] for e in errors} == removed
    assert done.stderr.splitlines()[-1] == f"papers.yaml: {len(removed)} errors, 0 warnings"


def test_a_removed_retired_entry_is_refused(repo: Path):
    catalogue = head(repo)
    retired = Retired(id="paper-005", bibtex_key="author2024paper5", reason="withdrawn by its authors")
    save(repo, catalogue.model_copy(update={"papers": [p for p in catalogue.papers if p.id != "paper-005"], "retired": [retired]}))
    git(repo, "commit", "-q", "-am", "retire paper-005")
    assert validate(repo, "--base", "HEAD~1").returncode == 0
    save(repo, head(repo).model_copy(update={"retired": []}))
    (error,) = errors_of(validate(repo, "--base", "HEAD"))
    assert "retired 'paper-005' (bibtex_key 'author2024paper5') was removed since HEAD" in error


def test_a_retired_entry_with_another_key_does_not_declare_the_removal(repo: Path):
    catalogue = head(repo)
    wrong = Retired(id="paper-005", bibtex_key="author2024paperfive", reason="withdrawn")
    save(repo, catalogue.model_copy(update={"papers": [p for p in catalogue.papers if p.id != "paper-005"], "retired": [wrong]}))
    (error,) = errors_of(validate(repo, "--base", "HEAD"))
    assert "paper 'paper-005' was removed since HEAD, but its retired: entry does not keep its key 'author2024paper5'" in error


@pytest.mark.parametrize("ref", ["no-such-branch", "--output=/tmp/x", ""])
def test_a_base_that_git_cannot_show_is_one_line(repo: Path, ref: str):
    done = validate(repo, "--base", ref)
    assert done.returncode == 1
    (error,) = errors_of(done)
    assert "cannot read" in error or "is not a git revision" in error
    assert not Path("/tmp/x").exists() or ref != "--output=/tmp/x"


# --- declared -----------------------------------------------------------------------------------


def test_nothing_changed_passes_and_says_so(repo: Path):
    done = validate(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("every id and key of HEAD kept or retired")


def test_declared_removal_id_change_and_key_change_pass(repo: Path):
    catalogue = head(repo)
    catalogue = replace(catalogue, 1, id="paper-one-renamed")  # id change, replaced_by the new id
    catalogue = replace(catalogue, 2, bibtex_key="author2024rethought")  # key change of a kept paper
    papers = [p for p in catalogue.papers if p.id != "paper-003"]  # withdrawn
    retired = [
        Retired(id="paper-001", bibtex_key="author2024paper1", replaced_by="paper-one-renamed", reason="id made readable"),
        Retired(id="paper-002", bibtex_key="author2024paper2", replaced_by="paper-002", reason="key corrected"),
        Retired(id="paper-003", bibtex_key="author2024paper3", reason="withdrawn by its authors"),
    ]
    save(repo, catalogue.model_copy(update={"papers": papers, "retired": retired}))
    done = validate(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stderr
    assert head(repo).retired == sorted(retired, key=lambda r: r.id)


def test_a_base_that_fails_todays_schema_is_still_compared(repo: Path):
    text = (repo / "papers.yaml").read_text(encoding="utf-8").replace("date: 2024-03-01", "date: 9999-03-01", 1)
    (repo / "papers.yaml").write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "a date out of today's range")
    save(repo, replace(head_raw_fixed(repo), 0, bibtex_key="author2024changed"))
    (error,) = errors_of(validate(repo, "--base", "HEAD"))
    assert "bibtex_key: changed from 'author2024paper0' to 'author2024changed'" in error


def head_raw_fixed(repo: Path) -> Catalogue:
    text = (repo / "papers.yaml").read_text(encoding="utf-8").replace("date: 9999-03-01", "date: 2024-03-01")
    (repo / "papers.yaml").write_text(text, encoding="utf-8")
    return head(repo)


# --- what keeps a retired id and key resolvable ------------------------------------------------------


@pytest.mark.parametrize(
    "retired, says",
    [
        (Retired(id="old", bibtex_key="author2024paper1", reason="r"), "bibtex_key: 'author2024paper1' is the key of paper 'paper-001'"),
        (Retired(id="old", bibtex_key="oldkey", replaced_by="nobody", reason="r"), "replaced_by: no paper 'nobody' in the catalogue"),
        (Retired(id="paper-001", bibtex_key="oldkey", reason="r"), "id: is the id of a paper of the catalogue"),
    ],
)
def test_validate_refuses_a_retired_entry_that_cannot_resolve(tmp_path: Path, retired: Retired, says: str):
    save(tmp_path, Catalogue(topics=[TOPIC], papers=[paper(1)], retired=[retired]))
    (error,) = errors_of(validate(tmp_path))
    assert error.startswith("error: papers.yaml:") and f"retired '{retired.id}': {says}" in error, error


def test_a_retired_key_twice_is_refused(tmp_path: Path):
    twice = [Retired(id="a", bibtex_key="oldkey", reason="r"), Retired(id="b", bibtex_key="oldkey", reason="r")]
    save(tmp_path, Catalogue(topics=[TOPIC], papers=[paper(1)], retired=twice))
    (error,) = errors_of(validate(tmp_path))
    assert "retired 'b': bibtex_key: 'oldkey' retired twice" in error


def test_retired_entries_are_written_and_read_back(tmp_path: Path):
    catalogue = Catalogue(topics=[TOPIC], papers=[paper(1)], retired=[Retired(id="z-old", bibtex_key="zold", reason="2024-01-01"), Retired(id="a-old", bibtex_key="aold", replaced_by="paper-001", reason="yes")])
    save(tmp_path, catalogue)
    text = (tmp_path / "papers.yaml").read_text(encoding="utf-8")
    assert text.index("retired:") > text.index("papers:") and text.index("a-old") < text.index("z-old")
    assert "reason: '2024-01-01'" in text and "reason: 'yes'" in text
    again = store.load(tmp_path / "papers.yaml")
    assert again.retired == sorted(catalogue.retired, key=lambda r: r.id)
    assert yaml_text(again) == text


def test_import_does_not_bring_back_a_retired_paper_nor_reuse_its_key(tmp_path: Path):
    (tmp_path / "listings").mkdir()
    retired = Retired(id="a-withdrawn-paper", bibtex_key="withdrawnpaper", reason="withdrawn by its authors")
    save(tmp_path, Catalogue(topics=[TOPIC], papers=[paper(1)], retired=[retired]))
    (tmp_path / "listings" / "001.txt").write_text(
        "A Withdrawn Paper\nIt is still on the page.\nWithdrawn Paper Sequel\nAnother paper.\n", encoding="utf-8"
    )
    report = run_import(tmp_path / "papers.yaml", sorted((tmp_path / "listings").glob("*.txt")))
    assert report.new == 1
    after = store.load(tmp_path / "papers.yaml")
    assert "a-withdrawn-paper" not in {p.id for p in after.papers}
    assert "withdrawnpaper" not in {p.bibtex_key for p in after.papers}
    assert after.retired == [retired]


# --- the old key in the .bib, the old anchor on the site -------------------------------------------


def retired_catalogue() -> Catalogue:
    return Catalogue(
        topics=[TOPIC],
        papers=[paper(1, title="Evaluating Robot Policies", bibtex_key="wang2025evaluating", authors=["Li Wang", "Ann Author"])],
        retired=[
            Retired(id="enact", bibtex_key="wang2025enact", replaced_by="paper-001", reason="renamed to its published title"),
            Retired(id="gone", bibtex_key="gone2023x", reason="withdrawn by its authors; 100% off-topic & {braced}"),
        ],
    )


def test_a_retired_key_still_compiles_with_bibtex_and_prints_its_replacement(tmp_path: Path):
    (tmp_path / "refs.bib").write_text("".join(references_chunks(retired_catalogue())), encoding="utf-8")
    (tmp_path / "refs.aux").write_text("\\citation{wang2025enact}\n\\citation{gone2023x}\n\\bibdata{refs}\n\\bibstyle{plain}\n", encoding="utf-8")
    done = subprocess.run(["bibtex", "refs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = (tmp_path / "refs.blg").read_text(encoding="utf-8")
    assert done.returncode == 0 and "Warning--" not in log and "error message" not in log, log
    bbl = " ".join((tmp_path / "refs.bbl").read_text(encoding="utf-8").split())
    old = bbl.split("\\bibitem{wang2025enact}")[1].split("\\bibitem")[0]
    assert "Wang and Ann Author" in old and "Evaluating robot policies" in old and "Now cited as wang2025evaluating" in old
    gone = bbl.split("\\bibitem{gone2023x}")[1].split("\\end{thebibliography}")[0]
    assert "Retired from the survey: withdrawn by its authors; 100\\% off-topic" in gone


def test_a_retired_key_passes_biber(tmp_path: Path):
    (tmp_path / "refs.bib").write_text("".join(references_chunks(retired_catalogue())), encoding="utf-8")
    # --output-resolve: the crossref is resolved, as biblatex's biber run does.
    done = subprocess.run(
        ["biber", "--tool", "--output-resolve", "--validate-datamodel", "refs.bib"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    log = done.stdout + (tmp_path / "refs.bib.blg").read_text(encoding="utf-8")
    assert done.returncode == 0 and "ERROR" not in log, log
    warnings = [line for line in done.stdout.splitlines() if line.startswith("WARN")]
    # Only what every undated paper gets: the retired entry without a replacement has no date.
    assert warnings == ["WARN - Datamodel: Entry 'gone2023x' (refs.bib): Missing mandatory field - one of 'date, year' must be defined"], log
    resolved = (tmp_path / "refs_bibertool.bib").read_text(encoding="utf-8")
    alias = resolved.split("@MISC{wang2025enact,")[1].split("@")[0]
    assert "Evaluating Robot Policies" in alias and "Wang" in alias


def test_the_old_anchor_is_sent_to_the_entry_that_stands_for_it():
    catalogue = retired_catalogue()
    locations = {"paper-001": "topics/vla-models/#paper-001"}
    assert redirect_targets(catalogue, locations) == {"enact": "topics/vla-models/#paper-001"}
    assert redirects_json(catalogue, locations) == '{"enact":"topics/vla-models/#paper-001"}\n'
