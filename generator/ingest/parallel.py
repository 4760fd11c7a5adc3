"""Share CPU-heavy per-paper work among worker processes, one per CPU.

Deriving a new paper's topics, tags, TL;DR and links is pure regex work on its title and
abstract: with 100,000 papers to place it is most of an import's time, and Python runs
it on one core. :func:`parallel_map` hands it to worker processes in chunks, keeps the
order of the results, and falls back to this process for small jobs or one worker.

On Linux the workers are forks of this process, started before the pool's own thread and
after ``gc.freeze()``, so they share its memory instead of copying it and never run the
caller's ``__main__`` again; elsewhere they are fresh interpreters (``spawn``), and a
script that calls into the generator must then guard its own code with
``if __name__ == "__main__":``. ``$ATLAS_WORKERS`` sets the number of workers (``1``: no
worker processes at all).

:func:`forked` runs a few whole parts of a job (reading or writing a slice of a big
papers.yaml) in forks of this process while it does the first part itself. A fork sees
the caller's data as it was, without pickling it; so it is used on Linux only, and only
in a process with no other thread running (forking one is unsafe).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from ..errors import AtlasError

#: Set to the number of worker processes (1: none, everything in this process).
WORKERS_ENV = "ATLAS_WORKERS"


def worker_count() -> int:
    """Worker processes to use: $ATLAS_WORKERS, else the CPUs this process may run on."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise AtlasError(f"${WORKERS_ENV} must be a whole number of at least 1, not {configured!r}")
        return int(configured)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def peak_memory_mb() -> float:
    """Peak resident memory of this process, MiB.

    Linux's ``VmHWM`` when there is one: ``ru_maxrss`` survives ``exec``, so a fresh
    process would report at least the RSS of the (big) parent that started it.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB elsewhere


def private_memory_mb(pid: int | None = None) -> float | None:
    """Memory of a process (default: this one) that no other process shares, MiB; None
    where Linux's ``/proc/<pid>/smaps_rollup`` cannot be read.

    A forked worker's resident set counts the pages it shares with its parent; what it
    adds to the machine's memory is its private part. Reading it walks the process's
    page tables (some 20 ms for a 1.5 GB process): read it once per worker, not per chunk."""
    try:
        with open(f"/proc/{pid or 'self'}/smaps_rollup", encoding="ascii") as rollup:
            private = sum(int(line.split()[1]) for line in rollup if line.startswith(("Private_Clean:", "Private_Dirty:")))
        return private / 1024  # kB
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class WorkerStats:
    """What the workers of a :func:`parallel_map` did (empty when it ran in this process)."""

    #: worker process id -> its private memory when the work was done, MiB (None: unknown,
    #: not on Linux). A worker only grows: the pages it touches stay its own.
    private_mb: dict[int, float | None] = field(default_factory=dict)

    @property
    def workers(self) -> int:
        return len(self.private_mb)

    @property
    def total_mb(self) -> float:
        """The workers' private memory added up: what they cost on top of the parent."""
        return sum(mb for mb in self.private_mb.values() if mb is not None)


_task: tuple[Callable[..., Any], tuple[Any, ...]] | None = None


def _start(func: Callable[..., Any], setup: Callable[..., Any] | None, setup_args: tuple[Any, ...]) -> None:
    global _task
    gc.enable()  # a fork inherits a paused collector; what the parent had is frozen (not scanned)
    _task = (func, (setup(*setup_args),) if setup else ())


def _run_chunk(items: Sequence[Any]) -> tuple[list[Any], int]:
    assert _task is not None
    func, extra = _task
    return [func(item, *extra) for item in items], os.getpid()


def parallel_map(
    func: Callable[..., Any],
    items: Sequence[Any],
    *,
    setup: Callable[..., Any] | None = None,
    setup_args: tuple[Any, ...] = (),
    workers: int | None = None,
    parallel_from: int = 2_000,
    chunk: int = 250,
    stats: WorkerStats | None = None,
) -> Iterator[Any]:
    """``func(item)`` (or ``func(item, setup(*setup_args))``) for every item, in order.

    With at least ``parallel_from`` items and more than one worker, the items go to
    ``workers`` (default :func:`worker_count`) processes in chunks of ``chunk``; results
    come back in order as they are ready, so the caller can work on the first ones while
    the workers go on. ``setup`` runs once per worker (say, to compile a regex); ``func``
    and ``setup`` must be module-level functions, and items, arguments and results
    picklable. The results are the same as in this process when ``func`` depends on its
    arguments only. ``stats`` receives each worker's private memory.
    """
    workers = worker_count() if workers is None else workers
    if workers <= 1 or len(items) < parallel_from:
        extra = (setup(*setup_args),) if setup else ()
        for item in items:
            yield func(item, *extra)
        return
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start, initargs=(func, setup, setup_args))
    pids: set[int] = set()
    try:
        chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
        # The first submission forks every worker (before the pool starts its thread).
        # Frozen objects are never visited by the garbage collector, in the workers
        # either: a collection would otherwise touch, and so copy, every page of the heap.
        gc.freeze()
        try:
            done = pool.map(_run_chunk, chunks)
        except OSError as exc:  # a worker could not be started (out of processes or memory)
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()
            raise AtlasError(
                f"cannot start worker processes ({exc.strerror or exc}); run with {WORKERS_ENV}=1 to work in one process"
            ) from None
        finally:
            gc.unfreeze()
        # Every worker counts, also one that happens to get no chunk (its pid is the key).
        pids.update(getattr(pool, "_processes", None) or ())
        for results, pid in done:
            pids.add(pid)
            yield from results
    except BrokenProcessPool:
        raise AtlasError(
            f"a worker process died (out of memory?); run with {WORKERS_ENV}=1 to work in one process"
        ) from None
    finally:
        # Also when the caller stops early (or takes the last result and never asks for
        # more): the workers wait, still alive, until the pool shuts down.
        if stats is not None:
            stats.private_mb.update((pid, private_memory_mb(pid)) for pid in sorted(pids))
        pool.shutdown(wait=True, cancel_futures=True)


# --- whole parts in forks ---------------------------------------------------------------


def can_fork(workers: int | None = None) -> bool:
    """Whether :func:`forked` may run here: more than one worker, Linux, one thread."""
    workers = worker_count() if workers is None else workers
    return workers > 1 and sys.platform.startswith("linux") and threading.active_count() == 1


class Fork:
    """A part of a job running in a fork of this process (see :func:`forked`); without a
    process when none could be forked."""

    def __init__(self, process: Any | None, receiver: Any | None):
        self.process, self._receiver = process, receiver
        #: its private memory when it was done, MiB (None: not known)
        self.private_mb: float | None = None
        self.finished = process is None

    def result(self) -> bytes | None:
        """What the part's function returned, or None if it raised, the fork died, or no
        fork could be made."""
        if self._receiver is None:
            return None
        try:
            ok, self.private_mb = self._receiver.recv()
            payload = self._receiver.recv_bytes()
        except (EOFError, OSError):
            return None
        finally:
            self.finished = True
        return payload if ok else None


def _run_forked(sender: Any, func: Callable[..., bytes], args: tuple[Any, ...]) -> None:
    try:
        payload, ok = func(*args), True
    except BaseException:  # the caller does the part itself, or reports the error its way
        payload, ok = b"", False
    try:
        sender.send((ok, private_memory_mb()))
        sender.send_bytes(payload)
        sender.close()
    except OSError:
        pass  # the caller no longer listens


@contextmanager
def forked(calls: Sequence[tuple[Callable[..., bytes], tuple[Any, ...]]], stats: WorkerStats | None = None) -> Iterator[list[Fork]]:
    """Start one fork of this process per ``(func, args)``, each computing ``func(*args)``
    (bytes), and give their :class:`Fork` handles while this process does its own part.

    The forks see this process's memory as it is when the block starts, so arguments are
    not pickled; the garbage collector's objects are frozen meanwhile, so that neither side
    copies the other's memory by scanning it. A part whose fork cannot be made (the system
    is out of processes or memory) has no fork: its result is None, as for a part that
    failed, and the caller does it itself. Leaving the block ends every fork: one whose
    result was not taken is killed. Only where :func:`can_fork`. ``stats`` receives each
    fork's private memory.
    """
    context = multiprocessing.get_context("fork")
    forks: list[Fork] = []
    try:
        gc.freeze()
        try:
            for func, args in calls:
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_run_forked, args=(sender, func, args), daemon=True)
                try:
                    process.start()
                except OSError:  # no fork now (out of processes or memory): the caller does it
                    receiver.close()
                    forks.append(Fork(None, None))
                    continue
                finally:
                    sender.close()
                forks.append(Fork(process, receiver))
        finally:
            gc.unfreeze()
        yield forks
    finally:
        for fork in forks:
            if fork.process is None:
                continue
            if not fork.finished:
                fork.process.kill()  # still working, or stuck: its part is not wanted
            fork.process.join()
            fork._receiver.close()
            if stats is not None and fork.private_mb is not None:
                stats.private_mb[fork.process.pid] = fork.private_mb
