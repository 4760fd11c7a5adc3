"""Faults: a killed, failed or concurrent run never breaks papers.yaml or loses work.

Writes are atomic (temporary file, fsync, rename), so killing ``python -m generator
import`` at any moment, even with SIGKILL, leaves the old catalogue or the new one. Two
imports at once are serialised by the catalogue's lock. A missing or unusable output
directory, a full disk, a held lock and an unexpected error all end in one clear line.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from generator import store
from generator.files import locked, write_if_changed
from generator.errors import AtlasError
from generator.model import Catalogue, Paper, Topic

ROOT = Path(__file__).resolve().parent.parent

TOPICS = [
    Topic(slug="vla-models", title="VLA", description="Vision-language-action models.", phrases=["vision-language-action"]),
    Topic(slug="related-work", title="Adjacent", description="Everything else."),
]
ABSTRACT = "We study how robots act in the world with vision-language-action models. " * 20

#: Kills spread over the whole run, and as many again over its end, where the write is.
KILLS_OVER_RUN = 10
KILLS_AT_END = 10


def env() -> dict[str, str]:
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    environment.pop("GITHUB_ACTIONS", None)
    return environment


def generator(*args: str, cwd: Path, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen
    )


def listing(prefix: str, count: int) -> str:
    lines = []
    for i in range(count):
        lines += [f"{prefix} Paper {i}: Robots That Act", f"We present {prefix.lower()} paper {i}, a vision-language-action model.",
                  "• 3 authors", "·", f"Mar {i % 28 + 1}, 2024 {i}"]
    return "\n".join(lines) + "\n"


def make_project(root: Path, papers: int) -> Path:
    """A project whose catalogue holds ``papers`` papers (a few MB: loading and writing take a while)."""
    (root / "listings").mkdir(parents=True)
    existing = [
        Paper(id=f"old-paper-{i:05d}", title=f"Old Paper {i}", authors=["Ann Author"], date="2023-05-01", topics=["vla-models"],
              tldr="We study how robots act.", bibtex_key=f"author2023old{i}", abstract=ABSTRACT.strip())
        for i in range(papers)
    ]
    store.save(Catalogue(topics=TOPICS, papers=existing), root / "papers.yaml")
    return root


def size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # renamed meanwhile
        return 0


def stray_temporary_files(project: Path) -> list[str]:
    return sorted(p.name for p in project.glob(".papers.yaml.*.tmp"))


# --- kill -9 at any moment ------------------------------------------------------------------


def test_kill_9_at_any_moment_leaves_the_old_or_the_new_catalogue(tmp_path: Path):
    project = make_project(tmp_path / "project", 600)
    (project / "listings" / "new.txt").write_text(listing("New", 100), encoding="utf-8")
    old = (project / "papers.yaml").read_bytes()
    store.load(project / "papers.yaml")

    # Measure one whole run, and when its temporary file first appears (the write begins).
    reference = tmp_path / "reference"
    shutil.copytree(project, reference)
    write_began: list[float] = []
    start = time.monotonic()
    process = generator("import", "listings/new.txt", cwd=reference)

    def watch() -> None:
        while process.poll() is None and not write_began:
            if stray_temporary_files(reference):
                write_began.append(time.monotonic() - start)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, err = process.communicate(timeout=120)
    duration = time.monotonic() - start
    watcher.join()
    assert process.returncode == 0, err
    new = (reference / "papers.yaml").read_bytes()
    assert new != old
    store.load(reference / "papers.yaml")  # both catalogues load; every kill must leave one of them
    write_at = write_began[0] if write_began else duration * 0.8

    delays = [duration * (i + 0.5) / KILLS_OVER_RUN for i in range(KILLS_OVER_RUN)]
    window = (max(write_at - 0.3, 0.0), duration + 0.05)
    delays += [window[0] + (window[1] - window[0]) * i / (KILLS_AT_END - 1) for i in range(KILLS_AT_END)]

    def kill_after(delay: float) -> str:
        (project / "papers.yaml").write_bytes(old)
        process = generator("import", "listings/new.txt", cwd=project)
        time.sleep(delay)
        try:
            process.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.communicate(timeout=60)
        after = (project / "papers.yaml").read_bytes()
        assert after in (old, new), f"killed after {delay:.3f} s: papers.yaml is neither the old nor the new catalogue"
        outcome = ("old" if after == old else "new") + ("*" if stray_temporary_files(project) else "")
        for stray in project.glob(".papers.yaml.*.tmp"):  # left by a kill during the write
            stray.unlink()
        return outcome

    outcomes = [kill_after(delay) for delay in delays]
    # On a busy machine later runs may be slower than the measured one: kill later and later
    # until one run got to the end, so that the kills are known to span the whole run.
    while not any(o.startswith("new") for o in outcomes) and delays[-1] < 10 * duration:
        delays.append(delays[-1] * 1.5)
        outcomes.append(kill_after(delays[-1]))
    # "*": killed while the temporary file was being written.
    print(f"run {duration:.2f} s, write from {write_at:.2f} s; outcomes by delay: "
          + ", ".join(f"{d:.2f}:{o}" for d, o in zip(delays, outcomes)))
    assert {"old", "new"} <= {o.rstrip("*") for o in outcomes}, "the kills did not span the run"

    # A run after a kill (stale lock file, perhaps a stray temporary file) works as usual.
    (project / "papers.yaml").write_bytes(old)
    process = generator("import", "listings/new.txt", cwd=project)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert (project / "papers.yaml").read_bytes() == new


def test_kill_9_in_the_middle_of_the_write_leaves_the_old_catalogue(tmp_path: Path):
    # The kills above rarely land inside the few milliseconds of the write; this one always
    # does: a process writing 20 MB is killed as soon as its temporary file has content.
    catalogue = tmp_path / "papers.yaml"
    store.save(Catalogue(topics=TOPICS, papers=[]), catalogue)
    old = catalogue.read_bytes()
    writer = subprocess.Popen(
        [sys.executable, "-c", "import sys; from generator.files import write_if_changed; "
         "write_if_changed(sys.argv[1], b'papers: []\\n' * 2_000_000)", str(catalogue)],
        env=env(),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and writer.poll() is None:
        if any(size(p) for p in tmp_path.glob(".papers.yaml.*.tmp")):
            writer.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    assert writer.wait(timeout=60) == -signal.SIGKILL, "the writer finished before it could be killed"
    assert catalogue.read_bytes() == old
    store.load(catalogue)
    strays = list(tmp_path.glob(".papers.yaml.*.tmp"))
    assert strays  # what a kill -9 leaves: a hidden .tmp file, never a broken catalogue
    # The next run that takes the catalogue's lock (every writer does) tidies it away.
    with locked(catalogue):
        assert not list(tmp_path.glob(".papers.yaml.*.tmp"))
    assert catalogue.read_bytes() == old


# --- two imports at once --------------------------------------------------------------------


def test_two_imports_at_once_keep_each_others_papers(tmp_path: Path):
    project = make_project(tmp_path, 600)
    (project / "listings" / "one.txt").write_text(listing("First", 40), encoding="utf-8")
    (project / "listings" / "two.txt").write_text(listing("Second", 40), encoding="utf-8")
    first = generator("import", "listings/one.txt", cwd=project)
    second = generator("import", "listings/two.txt", cwd=project)
    results = [p.communicate(timeout=120) for p in (first, second)]
    for process, (out, err) in zip((first, second), results):
        assert process.returncode == 0, err
        assert "40 new" in out
        assert "Traceback" not in err
    titles = {p.title for p in store.load(project / "papers.yaml").papers}
    assert {f"First Paper {i}: Robots That Act" for i in range(40)} <= titles
    assert {f"Second Paper {i}: Robots That Act" for i in range(40)} <= titles
    assert len(titles) == 600 + 80


def test_a_held_lock_gives_a_clear_refusal_after_the_timeout(tmp_path: Path):
    catalogue = tmp_path / "papers.yaml"
    store.save(Catalogue(topics=TOPICS, papers=[]), catalogue)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; l = FileLock(sys.argv[1]); l.acquire(); "
         "print('held', flush=True); time.sleep(60)", str(catalogue) + ".lock"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(AtlasError, match=r"another run holds papers\.yaml\.lock; try again when it has finished"):
            with locked(catalogue, timeout=0.2):
                pass
    finally:
        holder.kill()
        holder.wait()
    with locked(catalogue, timeout=5):  # released by the holder's death
        pass


# --- output directories ---------------------------------------------------------------------


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, env=env(), capture_output=True, text=True, timeout=120)


def test_catalogue_in_a_missing_directory_is_a_clear_error_and_creates_nothing(tmp_path: Path):
    (tmp_path / "new.txt").write_text(listing("New", 1), encoding="utf-8")
    done = run_cli("--catalogue", "missing/dir/papers.yaml", "import", "new.txt", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["error: missing/dir: directory does not exist (or is not a directory)"]
    assert not (tmp_path / "missing").exists()


def test_catalogue_under_a_regular_file_is_a_clear_error(tmp_path: Path):
    (tmp_path / "new.txt").write_text(listing("New", 1), encoding="utf-8")
    (tmp_path / "afile").write_text("not a directory\n", encoding="utf-8")
    done = run_cli("--catalogue", "afile/papers.yaml", "import", "new.txt", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["error: afile: directory does not exist (or is not a directory)"]
    done = run_cli("--catalogue", "afile/papers.yaml", "validate", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.splitlines()[0] == "error: afile/papers.yaml: catalogue not found"


def test_write_if_changed_refuses_a_missing_directory(tmp_path: Path):
    with pytest.raises(AtlasError, match="output directory does not exist") as refusal:
        write_if_changed(tmp_path / "missing" / "papers.yaml", "x\n")
    assert refusal.value.path == str(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_write_if_changed_refuses_a_parent_that_is_a_regular_file(tmp_path: Path):
    (tmp_path / "afile").write_text("content\n", encoding="utf-8")
    with pytest.raises(AtlasError, match="is a file, not a directory"):
        write_if_changed(tmp_path / "afile" / "papers.yaml", "x\n")
    assert (tmp_path / "afile").read_text(encoding="utf-8") == "content\n"


def test_write_if_changed_refuses_to_replace_a_directory(tmp_path: Path):
    (tmp_path / "papers.yaml").mkdir()
    with pytest.raises(AtlasError, match="is a directory, cannot write a file here"):
        write_if_changed(tmp_path / "papers.yaml", "x\n")


def _make_read_only(directory: Path) -> None:
    """chmod for ordinary users; root ignores permissions, so it marks the directory immutable."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
    else:
        directory.chmod(0o555)


def _make_writable(directory: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o755)


def test_read_only_directory_is_a_clear_error(tmp_path: Path):
    directory = tmp_path / "read-only"
    directory.mkdir()
    store.save(Catalogue(topics=TOPICS, papers=[]), directory / "papers.yaml")
    (tmp_path / "new.txt").write_text(listing("New", 1), encoding="utf-8")
    before = (directory / "papers.yaml").read_bytes()
    _make_read_only(directory)
    try:
        with pytest.raises(AtlasError, match="output directory is not writable"):
            write_if_changed(directory / "papers.yaml", "changed\n")
        done = run_cli("--catalogue", "read-only/papers.yaml", "import", "new.txt", cwd=tmp_path)
        assert done.returncode == 1 and len(done.stderr.splitlines()) == 1 and "not writable" in done.stderr, done.stderr
    finally:
        _make_writable(directory)
    assert (directory / "papers.yaml").read_bytes() == before


# --- a write that fails half-way ------------------------------------------------------------


def test_a_write_that_fails_half_way_leaves_the_old_catalogue_and_no_temporary_file(tmp_path: Path):
    project = make_project(tmp_path, 1500)  # about 3 MB
    (project / "listings" / "new.txt").write_text(listing("New", 10), encoding="utf-8")
    before = (project / "papers.yaml").read_bytes()

    def small_disk() -> None:  # writes past 1 MB fail with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))

    process = generator("import", "listings/new.txt", cwd=project, preexec_fn=small_disk)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1
    assert err.splitlines() == ["error: papers.yaml: cannot write (File too large); the file is unchanged"]
    assert (project / "papers.yaml").read_bytes() == before
    assert stray_temporary_files(project) == []


# --- unexpected errors ----------------------------------------------------------------------


def test_unexpected_error_is_one_line_exit_70_and_debug_shows_the_traceback(tmp_path: Path):
    store.save(Catalogue(topics=TOPICS, papers=[]), tmp_path / "papers.yaml")
    name = "x" * 300  # longer than any file system allows: an OSError nobody anticipated
    done = run_cli("import", name, cwd=tmp_path)
    assert done.returncode == 70
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: internal error: OSError: ")
    assert lines[0].endswith("(run with --debug for details)")

    debug = run_cli("--debug", "import", name, cwd=tmp_path)
    assert debug.returncode == 70
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.splitlines()[-1].startswith("error: internal error: OSError: ")
