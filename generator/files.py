"""Files written whole or not at all, and the lock that keeps two writers apart.

:func:`write_if_changed` replaces a file atomically (temporary file, fsync, rename) and
only when its content changes, so a killed process leaves the old file or the new one,
never a broken one, and a run with nothing to change writes nothing. :func:`locked`
holds ``<file>.lock`` while a file is read, changed and written back. papers.yaml, the
generated site and the HTTP cache of enrich all go through them.
"""

from __future__ import annotations

import glob
import os
import tempfile
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Union

from filelock import FileLock, Timeout

from .errors import AtlasError

#: What :func:`write_if_changed` writes: text (as UTF-8), bytes, or an iterable of such chunks.
Content = Union[str, bytes, Iterable[Union[str, bytes]]]


class _Chunks:
    """The content as UTF-8 bytes chunks; remembers whether the caller's iterable raised."""

    def __init__(self, content: Content) -> None:
        self.size: int | None = None  # known in advance for str and bytes
        self.failed = False
        if isinstance(content, (str, bytes)):
            data = content.encode("utf-8") if isinstance(content, str) else content
            self.size = len(data)
            self._iterator: Iterator[str | bytes] = iter((data,))
        else:
            self._iterator = iter(content)

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._iterator)
        except StopIteration:
            raise
        except BaseException:
            self.failed = True
            raise
        return chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def write_if_changed(path: Path | str, content: Content, *, durable: bool = True) -> bool:
    """Atomically replace ``path`` with ``content`` unless it already holds exactly that.

    ``content`` is text (written as UTF-8), bytes, or an iterable (a generator, say) of
    str and bytes chunks, consumed once, in order. The chunks are compared with the
    existing file as they come, and nothing is written before the first difference (the
    equal start is then copied from the old file), so the content and the old file are
    never both held in memory, nor either of them whole when the content comes in chunks.

    Returns True when the file was written, False when it already held exactly these
    bytes (then no temporary file is made, or it is removed). The write goes to a
    temporary file in the same directory, is flushed and fsynced, then renamed over the
    target. Whatever goes wrong, the old file stays as it was and no temporary file is
    left: a failed write is an AtlasError ("cannot write (...); the file is unchanged"),
    and an exception raised by the chunk iterable itself propagates unchanged.

    ``durable=False`` skips the fsync, for files that can be made again (the site's
    generated files): the rename still swaps old for new in one step for every reader,
    but after a power cut the file may be empty, which the next build notices (the sizes
    in its record differ) and repairs. papers.yaml is always written durably.
    """
    path = Path(path)
    chunks = _Chunks(content)
    with ExitStack() as stack:
        try:
            old: BinaryIO | None = stack.enter_context(path.open("rb"))
        except (FileNotFoundError, NotADirectoryError):
            old = None
        except IsADirectoryError:
            raise AtlasError("is a directory, cannot write a file here", str(path)) from None
        first = b""  # the first chunk that differs from the old file
        same = 0  # length of the start of the old file known to equal the content
        if old is not None and chunks.size in (None, os.fstat(old.fileno()).st_size):
            for first in chunks:
                if old.read(len(first)) != first:
                    break
                same += len(first)
            else:
                if not old.read(1):
                    return False
                first = b""
        directory = path.parent
        if not directory.is_dir():
            problem = "is a file, not a directory" if directory.exists() else "output directory does not exist"
            raise AtlasError(problem, str(directory))
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        except PermissionError:
            raise AtlasError("output directory is not writable", str(directory)) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                if same and old is not None:
                    _copy_start(old, handle, same)
                handle.write(first)
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                if durable:
                    os.fsync(handle.fileno())
            if path.exists():
                os.chmod(tmp, path.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(exc, OSError) and not chunks.failed:  # disk full, file too large, ...
                raise AtlasError(f"cannot write ({exc.strerror or exc}); the file is unchanged", str(path)) from None
            raise
    return True


def _copy_start(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """Copy the first ``size`` bytes of ``source`` (already compared equal) to ``target``."""
    source.seek(0)
    while size:
        block = source.read(min(size, 1 << 20))
        if not block:
            raise OSError("the file shrank while it was being compared")
        target.write(block)
        size -= len(block)


@contextmanager
def locked(path: Path | str, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``<path>.lock`` so two writers of ``path`` (two imports, say) never lose each
    other's work; temporary files that a killed writer of ``path`` left beside it are removed."""
    path = Path(path)
    if not path.parent.is_dir():  # FileLock would create the missing directories
        raise AtlasError("directory does not exist (or is not a directory)", str(path.parent))
    lock = FileLock(str(path.with_name(path.name + ".lock")))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise AtlasError(
            f"another run holds {path.name}.lock; try again when it has finished", str(path)
        ) from None
    except PermissionError:
        raise AtlasError("cannot create the lock file: directory is not writable", str(path.parent)) from None
    try:
        # Every writer of the file holds the lock: a temporary file of it that is here
        # now was left by a run killed while writing (kill -9, power cut). Tidy it away.
        for stray in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with suppress(OSError):
                stray.unlink()
        yield
    finally:
        lock.release()
