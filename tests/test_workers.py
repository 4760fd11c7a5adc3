"""Worker processes: the same results as one process, in order, errors surfaced, nothing left running."""

from __future__ import annotations

import errno
import multiprocessing
import os
from pathlib import Path

import pytest

from generator.store import read as catalogue_io
from generator.ingest import importer
from generator.errors import AtlasError
from generator.ingest.importer import combine, merge
from generator.ingest.listings import read_listing
from generator.model import Catalogue
from generator.ingest.parallel import WorkerStats, can_fork, forked, parallel_map, worker_count

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
    return catalogue_io.load(ROOT / "papers.yaml")


def test_papers_drafted_by_workers_equal_those_drafted_here(real: Catalogue):
    values = [
        {"title": p.title, "abstract": p.abstract, "date": p.date, "authors_count": None, "organization": None, "upvotes": None}
        for p in real.papers
    ]
    taxonomy = importer.compile_topics(real.topics)
    here = [importer._draft(v, taxonomy) for v in values]
    stats = WorkerStats()
    shared = list(
        parallel_map(
            importer._draft,
            values,
            setup=importer.compile_topics,
            setup_args=(list(real.topics),),
            workers=2,
            parallel_from=1,
            chunk=25,
            stats=stats,
        )
    )
    assert shared == here
    assert len(here) == len(real.papers)
    # Every draft is a real one: the primary topic exists, a TL;DR was picked, fingerprints made.
    slugs = {t.slug for t in real.topics}
    assert all(d.data["topics"] and set(d.data["topics"]) <= slugs and d.data["tldr"] for d in here)
    assert all(set(d.data["generated"]) == set(d.data) - {"generated"} for d in here)
    assert stats.workers == 2 and stats.total_mb > 0


def test_import_with_workers_writes_the_same_catalogue_as_without(tmp_path: Path, real: Catalogue, monkeypatch):
    listings = [read_listing(p) for p in sorted((ROOT / "listings").glob("*.txt"))]
    listed, _ = combine(listings)
    empty = Catalogue(topics=real.topics, papers=[])
    alone, report_alone = merge(empty, listed, workers=1)
    monkeypatch.setattr(importer, "PARALLEL_FROM", 50)  # the real listings are a few hundred papers
    shared, report_shared = merge(empty, listed, workers=2)
    assert report_alone.workers.workers == 0 and report_shared.workers.workers == 2
    assert report_shared.new == report_alone.new == len(listed)
    assert catalogue_io.dumps(shared) == catalogue_io.dumps(alone)


def test_results_keep_their_order_across_chunks_and_setup_runs_in_each_worker():
    numbers = list(range(1, 1001))
    got = list(parallel_map(_offset, numbers, setup=_make_base, setup_args=(7,), workers=2, parallel_from=1, chunk=7))
    assert got == [n + 7000 for n in numbers]


def test_small_jobs_stay_in_this_process():
    stats = WorkerStats()
    assert list(parallel_map(_offset, [1, 2], setup=_make_base, setup_args=(1,), workers=2, stats=stats)) == [1001, 1002]
    assert stats.workers == 0


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


def test_the_workers_memory_is_known_when_the_caller_takes_every_result_but_never_asks_for_more():
    # As the importer does: one next() per item, then the generator is dropped.
    stats = WorkerStats()
    results = parallel_map(_offset, list(range(600)), setup=_make_base, setup_args=(2,), workers=2, parallel_from=1, chunk=50, stats=stats)
    assert [next(results) for _ in range(600)] == [n + 2000 for n in range(600)]
    del results
    assert stats.workers == 2 and all(mb is not None and mb > 0 for mb in stats.private_mb.values())


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



def _text(n: int) -> bytes:
    return str(n * n).encode()


def _refuse_part(n: int) -> bytes:
    raise ValueError("refused")


def _exit_part(n: int) -> bytes:
    import os

    os._exit(3)


def test_forks_give_their_results_in_order_and_their_memory():
    stats = WorkerStats()
    with forked([(_text, (n,)) for n in range(2, 6)], stats) as forks:
        assert [fork.result() for fork in forks] == [b"4", b"9", b"16", b"25"]
    assert stats.workers == 4 and all(mb > 0 for mb in stats.private_mb.values())
    assert not any(fork.process.is_alive() for fork in forks)


def test_a_fork_that_fails_or_dies_gives_none_and_the_others_still_count():
    with forked([(_refuse_part, (1,)), (_exit_part, (2,)), (_text, (3,))]) as forks:
        assert [fork.result() for fork in forks] == [None, None, b"9"]


def test_leaving_before_taking_the_results_ends_every_fork():
    with forked([(_text, (n,)) for n in range(3)]) as forks:
        pass
    assert all(fork.process.exitcode is not None for fork in forks)


def test_no_fork_with_one_worker_or_with_other_threads_running():
    import threading

    assert can_fork(2) and not can_fork(1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork(2)
    finally:
        stop.set()
        thread.join()


def _no_fork() -> int:
    raise OSError(errno.EAGAIN, "Resource temporarily unavailable")


def test_a_fork_that_cannot_be_made_gives_none_and_the_caller_does_its_part(monkeypatch):
    monkeypatch.setattr(os, "fork", _no_fork)  # the system refuses: out of processes or memory
    with forked([(_text, (2,)), (_text, (3,))]) as forks:
        assert [fork.result() for fork in forks] == [None, None]


def test_workers_that_cannot_be_started_are_one_clear_error(monkeypatch):
    monkeypatch.setattr(os, "fork", _no_fork)
    with pytest.raises(AtlasError, match=r"cannot start worker processes \(Resource temporarily unavailable\); run with ATLAS_WORKERS=1"):
        list(parallel_map(_offset, list(range(100)), setup=_make_base, setup_args=(1,), workers=2, parallel_from=1))


def test_a_catalogue_is_read_and_written_whole_when_no_fork_can_be_made(tmp_path, monkeypatch, real):
    path = tmp_path / "papers.yaml"
    catalogue_io.save(real, path)
    monkeypatch.setattr(catalogue_io, "PARTS_FROM_BYTES", 0)
    monkeypatch.setattr(catalogue_io, "PARTS_FROM_PAPERS", 0)
    monkeypatch.setenv("ATLAS_WORKERS", "2")
    monkeypatch.setattr(os, "fork", _no_fork)
    assert catalogue_io.load(path) == real
    assert catalogue_io.dumps(real).encode("utf-8") == path.read_bytes() == (ROOT / "papers.yaml").read_bytes()
