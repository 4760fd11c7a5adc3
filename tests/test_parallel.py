"""Worker processes of a big import: the same results as one process, in order, errors
surfaced, nothing left running, also when the import is killed."""

from __future__ import annotations

import _posixsubprocess
import errno
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import yaml_text
from generator import store
from generator.ingest import importer
from generator.errors import AtlasError
from generator.ingest.importer import combine, merge
from generator.ingest.listings import read_listing
from generator.model import Catalogue
from generator.ingest.parallel import parallel_map, worker_count

ROOT = Path(__file__).resolve().parent.parent


def _square_unless_13(n: int) -> int:
    if n == 13:
        raise ValueError("13 is refused")
    return n * n


def _offset(n: int, base: int) -> int:
    return n + base


def _make_base(value: int) -> int:
    return value * 1000


@pytest.fixture(scope="module")
def real() -> Catalogue:
    return store.load(ROOT / "papers.yaml")


def test_papers_drafted_by_workers_equal_those_drafted_here(real: Catalogue):
    values = [
        {"title": p.title, "abstract": p.abstract, "date": p.date, "authors_count": None, "organization": None, "upvotes": None}
        for p in real.papers
    ]
    taxonomy = importer.compile_topics(real.topics)
    here = [importer._draft(v, taxonomy) for v in values]
    shared = list(
        parallel_map(
            importer._draft,
            values,
            setup=importer.compile_topics,
            setup_args=(list(real.topics),),
            workers=2,
            parallel_from=1,
            chunk=25,
        )
    )
    assert shared == here
    assert len(here) == len(real.papers)
    # Every draft is a real one: the primary topic exists, a TL;DR was picked, fingerprints made.
    slugs = {t.slug for t in real.topics}
    assert all(d.data["topics"] and set(d.data["topics"]) <= slugs and d.data["tldr"] for d in here)
    assert all(set(d.data["generated"]) == set(d.data) - {"generated"} for d in here)


def test_import_with_workers_writes_the_same_catalogue_as_without(tmp_path: Path, real: Catalogue, monkeypatch):
    listings = [read_listing(p) for p in sorted((ROOT / "listings").glob("*.txt"))]
    listed, _ = combine(listings)
    empty = Catalogue(topics=real.topics, papers=[])
    alone, report_alone = merge(empty, listed, workers=1)
    monkeypatch.setattr(importer, "PARALLEL_FROM", 50)  # the real listings are a few hundred papers
    shared, report_shared = merge(empty, listed, workers=2)
    assert report_shared.new == report_alone.new == len(listed)
    assert yaml_text(shared) == yaml_text(alone)


def test_results_keep_their_order_across_chunks_and_setup_runs_in_each_worker():
    numbers = list(range(1, 1001))
    got = list(parallel_map(_offset, numbers, setup=_make_base, setup_args=(7,), workers=2, parallel_from=1, chunk=7))
    assert got == [n + 7000 for n in numbers]


def _pid(n: int) -> int:
    return os.getpid()


def test_small_jobs_stay_in_this_process():
    assert list(parallel_map(_offset, [1, 2], setup=_make_base, setup_args=(1,), workers=2)) == [1001, 1002]
    assert set(parallel_map(_pid, list(range(10)), workers=2)) == {os.getpid()}
    assert set(parallel_map(_pid, list(range(10)), workers=1, parallel_from=1)) == {os.getpid()}


def test_an_error_in_a_worker_reaches_the_caller_and_no_worker_is_left():
    before = set(multiprocessing.active_children())
    with pytest.raises(ValueError, match="13 is refused"):
        list(parallel_map(_square_unless_13, list(range(100)), workers=2, parallel_from=1, chunk=5))
    assert set(multiprocessing.active_children()) <= before


def test_stopping_early_shuts_the_workers_down():
    before = set(multiprocessing.active_children())
    results = parallel_map(_square_unless_13, list(range(14, 5000)), workers=2, parallel_from=1, chunk=10)
    assert next(results) == 14 * 14
    results.close()
    assert set(multiprocessing.active_children()) <= before


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_worker_count_is_refused_in_one_line(monkeypatch, value):
    monkeypatch.setenv("ATLAS_WORKERS", value)
    with pytest.raises(AtlasError, match="ATLAS_WORKERS must be a whole number"):
        worker_count()


def test_worker_count_follows_the_environment(monkeypatch):
    monkeypatch.setenv("ATLAS_WORKERS", "3")
    assert worker_count() == 3
    monkeypatch.delenv("ATLAS_WORKERS")
    assert worker_count() >= 1


def _die_on_13(n: int) -> int:
    if n == 13:
        import os

        os._exit(1)  # what the kernel's out-of-memory killer does to a worker, roughly
    return n


def test_a_worker_that_dies_is_one_clear_error_not_a_hang():
    with pytest.raises(AtlasError, match="a worker process died .*ATLAS_WORKERS=1"):
        list(parallel_map(_die_on_13, list(range(200)), workers=2, parallel_from=1, chunk=5))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_paper_listed_twice_without_combine_is_one_paper_and_the_next_keep_their_values(
    real: Catalogue, monkeypatch, workers
):
    listings = [read_listing(p) for p in sorted((ROOT / "listings").glob("*.txt"))]
    listed, _ = combine(listings)
    first, second, third = listed[:3]
    monkeypatch.setattr(importer, "PARALLEL_FROM", 2)
    merged, report = merge(Catalogue(topics=real.topics, papers=[]), [first, second, first, third], workers=workers)
    assert report.new == 3 and report.new + report.merged + report.unchanged == 4
    by_title = {p.title: p for p in merged.papers}
    for listed_paper in (first, second, third):
        paper = by_title[listed_paper.title]
        expected = importer.text_values(listed_paper.title, listed_paper.abstract, real.topics)
        assert paper.tldr == expected["tldr"] and paper.topics == expected["topics"]


def _no_process(*args, **kwargs):
    raise OSError(errno.EAGAIN, "Resource temporarily unavailable")


def test_workers_that_cannot_be_started_are_one_clear_error(monkeypatch):
    monkeypatch.setattr(_posixsubprocess, "fork_exec", _no_process)  # the system refuses: out of processes
    with pytest.raises(AtlasError, match=r"cannot start worker processes \(Resource temporarily unavailable\); run with ATLAS_WORKERS=1"):
        list(parallel_map(_offset, list(range(100)), setup=_make_base, setup_args=(1,), workers=2, parallel_from=1))


# An import stand-in: workers that note their pid, then work slowly; killed with -9 meanwhile.
_KILLED_IMPORT = """
import os, sys, time
from pathlib import Path
from generator.ingest.parallel import parallel_map

def slow(n, marks):
    (Path(marks) / str(os.getpid())).touch()
    time.sleep(0.2)
    return n

if __name__ == "__main__":
    for _ in parallel_map(slow, list(range(400)), setup=str, setup_args=(sys.argv[1],), workers=2, parallel_from=1, chunk=1):
        pass
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_an_import_killed_with_kill_9_leaves_no_worker_running(tmp_path: Path):
    script = tmp_path / "killed_import.py"
    script.write_text(_KILLED_IMPORT, encoding="utf-8")
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, str(script), str(marks)], env=env)
    try:
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2:  # both workers at work
            assert parent.poll() is None and time.monotonic() < deadline, "the workers never started"
            time.sleep(0.05)
        workers = [int(mark.name) for mark in marks.iterdir()]
        assert all(_alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers)
    finally:
        parent.kill()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, now."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_real_import_killed_with_kill_9_leaves_no_process_of_its_own(tmp_path: Path):
    # python -m generator import of a listing big enough for worker processes; every process
    # it started (the workers, and multiprocessing's resource tracker) ends with it.
    from generator import store
    from generator.ingest.importer import PARALLEL_FROM
    from generator.model import Catalogue, Topic

    (tmp_path / "listings").mkdir()
    store.save(Catalogue(topics=[Topic(slug="t", title="T", description="d", phrases=["robot"])]), tmp_path / "papers.yaml")
    entries = "".join(f"Robot Paper {n}: Acting in the World\nWe study robot {n} acting in the world.\n" for n in range(PARALLEL_FROM * 3))
    (tmp_path / "listings" / "001_big.txt").write_text(entries, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ATLAS_WORKERS": "2"}
    parent = subprocess.Popen([sys.executable, "-m", "generator", "import"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        started: list[int] = []
        while len(started) < 2:  # both workers (and perhaps the tracker) running
            assert parent.poll() is None and time.monotonic() < deadline, "the import ended before its workers were seen"
            started = _children(parent.pid)
            time.sleep(0.02)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in started if _alive(pid)] == []
        store.load(tmp_path / "papers.yaml")  # the old catalogue or the whole new one, never a broken one
    finally:
        parent.kill()
