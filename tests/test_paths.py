"""Files outside the repository: the generator reads, writes and removes only regular files
inside it, whatever a pull request commits (generator/files.py).

A symbolic link, a named pipe or a device, as a file or as any directory on the way from
the repository's root to it, is refused with one line naming it, before anything is read,
written or removed; so are paths outside the root. Through the real CLI where a user meets
it (import, validate, enrich), and through the functions the site build calls.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import store
from generator.errors import AtlasError
from generator.files import check_regular, read_regular, remove_stale, tree_files, within, write_if_changed
from generator.model import Catalogue, Paper, Topic

ROOT = Path(__file__).resolve().parent.parent
TOPICS = [Topic(slug="vla-models", title="VLA", description="Vision-language-action models.", phrases=["vision-language-action"])]
PAPER = Paper(id="a-paper", title="A Paper", topics=["vla-models"], tldr="It acts.", bibtex_key="apaper", abstract="It acts.")
LISTING = "A Good New Paper\nIts abstract says what it does.\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "listings").mkdir(parents=True)
    store.save(Catalogue(topics=TOPICS, papers=[PAPER]), root / "papers.yaml")
    return root


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A directory outside the repository, with files nobody may touch."""
    outside = tmp_path / "victim"
    (outside / "deep").mkdir(parents=True)
    (outside / "keep.txt").write_text("precious\n", encoding="utf-8")
    (outside / "deep" / "keep.bib").write_text("@misc{x}\n", encoding="utf-8")
    return outside


def contents(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def cli(project: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout)


def refused(done: subprocess.CompletedProcess[str], where: str, says: str) -> None:
    """Exit 1 and one error line (``validate`` adds its count of errors after it)."""
    assert "Traceback" not in done.stderr
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.endswith(" errors, 0 warnings")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {where}: ") and says in lines[0], lines[0]


# --- listings -----------------------------------------------------------------------------


def test_a_symlinked_listing_is_refused_and_nothing_is_imported(project: Path):
    (project / "listings" / "001_good.txt").write_text(LISTING, encoding="utf-8")
    (project / "listings" / "900_x.txt").symlink_to("/etc/passwd")
    before = (project / "papers.yaml").read_bytes()
    refused(cli(project, "import"), "listings/900_x.txt", "is a symbolic link")
    refused(cli(project, "import", "listings/900_x.txt"), "listings/900_x.txt", "is a symbolic link")
    assert (project / "papers.yaml").read_bytes() == before


def test_a_link_to_a_listing_inside_the_repository_is_refused_too(project: Path):
    (project / "listings" / "001_good.txt").write_text(LISTING, encoding="utf-8")
    (project / "listings" / "002_same.txt").symlink_to("001_good.txt")
    refused(cli(project, "import"), "listings/002_same.txt", "is a symbolic link")


def test_a_symlinked_listings_directory_is_refused(project: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "001_x.txt").write_text(LISTING, encoding="utf-8")
    (project / "listings").rmdir()
    (project / "listings").symlink_to(elsewhere)
    refused(cli(project, "import"), "listings", "is a symbolic link")


def test_a_named_pipe_as_a_listing_is_refused_without_waiting_for_a_writer(project: Path):
    os.mkfifo(project / "listings" / "901_pipe.txt")
    start = time.monotonic()
    refused(cli(project, "import", timeout=30), "listings/901_pipe.txt", "is a named pipe, not a regular file")
    assert time.monotonic() - start < 20


def test_a_listing_outside_the_repository_and_the_working_directory_is_refused(project: Path, tmp_path: Path):
    outside = tmp_path / "outside.txt"
    outside.write_text(LISTING, encoding="utf-8")
    refused(cli(project, "import", str(outside)), str(outside), "outside the repository")
    refused(cli(project, "import", "../outside.txt"), "../outside.txt", "outside the repository")


# --- the catalogue and its lock ---------------------------------------------------------------


def test_a_symlinked_catalogue_is_refused(project: Path, tmp_path: Path):
    real = tmp_path / "real.yaml"
    (project / "papers.yaml").rename(real)
    (project / "papers.yaml").symlink_to(real)
    refused(cli(project, "validate"), "papers.yaml", "is a symbolic link")
    assert real.is_file() and (project / "papers.yaml").is_symlink()


def test_a_symlinked_lock_file_is_refused_before_it_truncates_its_target(project: Path, victim: Path):
    (project / "listings" / "001_good.txt").write_text(LISTING, encoding="utf-8")
    (project / "papers.yaml.lock").symlink_to(victim / "keep.txt")
    before = contents(victim)
    refused(cli(project, "import"), "papers.yaml.lock", "is a symbolic link")
    assert contents(victim) == before


def test_an_unreadable_catalogue_is_one_line_not_a_usage_error(project: Path, monkeypatch):
    # Root reads every file, so the refusal of the operating system is made here.
    from click.testing import CliRunner

    from generator.cli import main

    real_open = os.open

    def denied(path, flags, *args, **kwargs):
        if str(path).endswith("papers.yaml"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.chdir(project)
    monkeypatch.setattr(os, "open", denied)
    done = CliRunner().invoke(main, ["validate"])
    assert done.exit_code == 1
    assert done.output.splitlines()[0] == "error: papers.yaml: catalogue is not readable (permission denied)"


def test_a_directory_given_as_the_catalogue_is_one_line_not_a_usage_error(project: Path):
    refused(cli(project, "--catalogue", "listings", "validate"), "listings", "is a directory, not a catalogue")


# --- the recorded metadata file ----------------------------------------------------------------


def test_metadata_file_linked_to_dev_zero_is_refused_at_once(project: Path):
    (project / "data").mkdir()
    (project / "data" / "papers-metadata.jsonl").symlink_to("/dev/zero")
    start = time.monotonic()
    refused(cli(project, "enrich", timeout=30), "data/papers-metadata.jsonl", "is a symbolic link")
    assert time.monotonic() - start < 20


def test_a_device_named_as_metadata_file_is_refused(project: Path):
    refused(cli(project, "enrich", "--from", "/dev/zero", timeout=30), "/dev/zero", "outside the repository")
    with pytest.raises(AtlasError, match="is a device, not a regular file"):
        read_regular("/dev/zero", "/dev", limit=1000)


def test_metadata_file_over_the_size_limit_is_refused_unread(project: Path):
    from generator.enrich.sources.metadata_file import MAX_BYTES

    (project / "data").mkdir()
    with (project / "data" / "papers-metadata.jsonl").open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse
    refused(cli(project, "enrich"), "data/papers-metadata.jsonl", f"metadata file is {MAX_BYTES + 1:,} bytes, over the limit")


# --- candidates.yaml -------------------------------------------------------------------------------


def test_a_dangling_symlink_as_the_discovery_queue_is_refused(project: Path, tmp_path: Path):
    (project / "candidates.yaml").symlink_to(tmp_path / "not-there.yaml")
    refused(cli(project, "reject", "2611.04321"), "candidates.yaml", "is a symbolic link")
    assert not (tmp_path / "not-there.yaml").exists()


# --- what the site build calls ----------------------------------------------------------------------


def test_check_regular_refuses_links_on_the_way_and_paths_outside_the_root(project: Path, victim: Path):
    docs = project / "docs"
    docs.mkdir()
    (docs / "bib").symlink_to(victim)
    with pytest.raises(AtlasError) as caught:
        check_regular(docs / "bib" / "references.bib", project)
    assert caught.value.path == str(docs / "bib") and "is a symbolic link" in caught.value.message
    with pytest.raises(AtlasError, match="outside the repository"):
        check_regular(docs / ".." / ".." / "victim" / "keep.txt", project)
    assert check_regular(docs / "topics" / "index.md", project) is None  # not there yet: fine
    assert check_regular(project / "papers.yaml", project) is not None
    os.mkfifo(docs / "pipe.md")
    with pytest.raises(AtlasError, match="is a named pipe"):
        check_regular(docs / "pipe.md", project)


def test_a_write_through_a_symlinked_directory_is_refused_and_the_target_untouched(project: Path, victim: Path):
    (project / "docs").mkdir()
    (project / "docs" / "bib").symlink_to(victim)
    before = contents(victim)
    with pytest.raises(AtlasError, match="is a symbolic link"):
        write_if_changed(project / "docs" / "bib" / "keep.txt", "overwritten\n", root=project)
    assert contents(victim) == before


def test_a_symlink_is_never_written_over_nor_read(project: Path, victim: Path):
    (project / "docs").mkdir()
    link = project / "docs" / "index.md"
    link.symlink_to(victim / "keep.txt")
    with pytest.raises(AtlasError, match="is a symbolic link"):
        write_if_changed(link, "new\n")
    assert link.is_symlink() and (victim / "keep.txt").read_text(encoding="utf-8") == "precious\n"


def test_stale_removal_through_a_symlinked_directory_removes_nothing(project: Path, victim: Path):
    docs = project / "docs"
    (docs / "topics").mkdir(parents=True)
    (docs / "topics" / "old.md").write_text("stale\n", encoding="utf-8")
    (docs / "bib").symlink_to(victim)  # the committed link of the red-team report
    before = contents(victim)
    for owned in ("bib", "topics"):  # bib/ refused; topics/ has no link and is tidied
        if owned == "bib":
            with pytest.raises(AtlasError, match="docs/bib: is a symbolic link"):
                remove_stale(docs / owned, set(), project)
        else:
            assert remove_stale(docs / owned, set(), project) == [docs / "topics" / "old.md"]
    assert contents(victim) == before


def test_a_link_deep_in_the_tree_refuses_the_whole_removal_before_anything_goes(project: Path, victim: Path):
    bib = project / "docs" / "bib"
    (bib / "a" / "b").mkdir(parents=True)
    (bib / "a" / "stale.bib").write_text("x\n", encoding="utf-8")
    (bib / "a" / "b" / "link").symlink_to(victim / "deep")
    with pytest.raises(AtlasError, match="link: is a symbolic link"):
        remove_stale(bib, set(), project)
    assert (bib / "a" / "stale.bib").exists()  # checked first, so nothing was removed
    assert (victim / "deep" / "keep.bib").exists()


def test_stale_removal_keeps_what_was_generated_and_drops_empty_directories(project: Path):
    topics = project / "docs" / "topics"
    (topics / "gone" / "page-2").mkdir(parents=True)
    (topics / "kept").mkdir()
    (topics / "gone" / "page-2" / "index.md").write_text("old\n", encoding="utf-8")
    (topics / "kept" / "index.md").write_text("new\n", encoding="utf-8")
    removed = remove_stale(topics, {topics / "kept" / "index.md"}, project)
    assert removed == [topics / "gone" / "page-2" / "index.md"]
    assert not (topics / "gone").exists() and (topics / "kept" / "index.md").exists()


@pytest.mark.parametrize("make", ["symlink-to-passwd", "dangling-symlink", "symlinked-dir", "fifo"])
def test_tree_files_refuses_anything_but_regular_files_in_docs(project: Path, make: str):
    docs = project / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / "about.md").write_text("# About\n", encoding="utf-8")
    if make == "symlink-to-passwd":
        (docs / "leak.txt").symlink_to("/etc/passwd")  # MkDocs would publish /etc/passwd
    elif make == "dangling-symlink":
        (docs / "assets" / "gone.png").symlink_to(project / "nowhere")
    elif make == "symlinked-dir":
        (docs / "assets" / "etc").symlink_to("/etc")
    else:
        os.mkfifo(docs / "assets" / "pipe.css")
    with pytest.raises(AtlasError) as caught:
        tree_files(docs, project)
    assert caught.value.path.startswith(str(docs) + os.sep), caught.value.path
    expected = "is a named pipe, not a regular file" if make == "fifo" else "is a symbolic link"
    assert expected in caught.value.message


def test_tree_files_lists_a_clean_tree(project: Path):
    docs = project / "docs"
    (docs / "assets").mkdir(parents=True)
    (docs / "about.md").write_text("# About\n", encoding="utf-8")
    (docs / "assets" / "logo.svg").write_text("<svg/>\n", encoding="utf-8")
    assert tree_files(docs, project) == [docs / "about.md", docs / "assets" / "logo.svg"]
    assert tree_files(project / "missing", project) == []


def test_within_names_the_first_root_holding_the_path(project: Path, tmp_path: Path):
    assert within(project / "listings" / "x.txt", project, tmp_path) == project
    assert within(tmp_path / "x.txt", project, tmp_path) == tmp_path
    with pytest.raises(AtlasError, match="outside the repository"):
        within("/etc/passwd", project, tmp_path)


def test_a_symlinked_schema_directory_is_refused_and_nothing_is_written_there(project: Path, victim: Path):
    (project / "schema").symlink_to(victim)
    before = contents(victim)
    refused(cli(project, "schema"), "schema", "is a symbolic link")
    assert contents(victim) == before
