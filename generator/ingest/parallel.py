"""Share CPU-heavy per-paper work of a big import among worker processes, one per CPU.

Deriving a new paper's topics, tags, TL;DR and links is pure regex work on its title and
abstract: with tens of thousands of papers to place it is most of an import's time, and
Python runs it on one core. :func:`parallel_map` hands it to a
``concurrent.futures.ProcessPoolExecutor`` in chunks and keeps the order of the results;
small jobs, or ``$ATLAS_WORKERS=1``, run in this process. This is the only place the
generator starts processes of its own.

The workers are fresh interpreters (``spawn``): they share nothing with the caller but
what is pickled to them, and they behave the same on every system. A script that calls
into the generator must guard its own code with ``if __name__ == "__main__":``, as
``generator/__main__.py`` does. On Linux each worker asks the kernel to kill it when the
process that started it dies (``PR_SET_PDEATHSIG``), so an import killed with ``kill -9``
leaves no worker running.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, Sequence

from ..errors import AtlasError, quote

#: Set to the number of worker processes (1: none, everything in this process).
WORKERS_ENV = "ATLAS_WORKERS"

#: prctl(2) option: the signal this process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def worker_count() -> int:
    """Worker processes to use: $ATLAS_WORKERS, else the CPUs this process may run on."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise AtlasError(f"${WORKERS_ENV} must be a whole number of at least 1, not {quote(configured)}")
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent dies (Linux), or end now if the
    parent is gone already (it died before the request was made)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


_task: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


def _start(parent: int, func: Callable[..., Any], setup: Callable[..., Any] | None, setup_args: tuple[Any, ...]) -> None:
    """A worker's initializer: bound to its parent's life, then ``setup`` run once."""
    global _task
    _die_with(parent)
    _task = (func, (setup(*setup_args),) if setup else ())


def _run_chunk(items: Sequence[Any]) -> list[Any]:
    assert _task is not None
    func, extra = _task
    return [func(item, *extra) for item in items]


def parallel_map(
    func: Callable[..., Any],
    items: Sequence[Any],
    *,
    setup: Callable[..., Any] | None = None,
    setup_args: tuple[Any, ...] = (),
    workers: int | None = None,
    parallel_from: int = 2_000,
    chunk: int = 250,
) -> Iterator[Any]:
    """``func(item)`` (or ``func(item, setup(*setup_args))``) for every item, in order.

    With at least ``parallel_from`` items and more than one worker, the items go to
    ``workers`` (default :func:`worker_count`) processes in chunks of ``chunk``; results
    come back in order as they are ready, so the caller can work on the first ones while
    the workers go on. ``setup`` runs once per worker (say, to compile regexes); ``func``
    and ``setup`` must be module-level functions, and items, arguments and results
    picklable. The results are the same as in this process when ``func`` depends on its
    arguments only. A worker that dies, or workers that cannot be started, are one
    AtlasError naming ``$ATLAS_WORKERS=1``; an exception ``func`` raises propagates.
    """
    workers = worker_count() if workers is None else workers
    if workers <= 1 or len(items) < parallel_from:
        extra = (setup(*setup_args),) if setup else ()
        for item in items:
            yield func(item, *extra)
        return
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(os.getpid(), func, setup, setup_args),
    )
    try:
        try:
            done = pool.map(_run_chunk, [items[i : i + chunk] for i in range(0, len(items), chunk)])
        except OSError as exc:  # a worker could not be started (out of processes or memory)
            raise AtlasError(
                f"cannot start worker processes ({exc.strerror or exc}); run with {WORKERS_ENV}=1 to work in one process"
            ) from None
        for results in done:
            yield from results
    except BrokenProcessPool:
        raise AtlasError(
            f"a worker process died (out of memory?); run with {WORKERS_ENV}=1 to work in one process"
        ) from None
    finally:
        # Also when the caller stops early (or takes the last result and never asks for
        # more): the workers wait, still alive, until the pool shuts down.
        pool.shutdown(wait=True, cancel_futures=True)
