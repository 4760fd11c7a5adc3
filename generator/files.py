"""Files written whole or not at all, and the lock that keeps two writers apart.

:func:`write_if_changed` replaces a file atomically (temporary file, fsync, rename) and
only when its content changes, so a killed process leaves the old file or the new one,
never a broken one, and a run with nothing to change writes nothing. :func:`locked`
holds ``<file>.lock`` while a file is read, changed and written back. papers.yaml, the
generated site and the HTTP cache of enrich all go through them.

The generator reads and writes only regular files inside the repository, whatever a
checkout holds: :func:`check_regular` refuses a path outside its root, and a symbolic link
or a special file (a named pipe, a device, a socket) in the path or in any directory
between it and the root, with one located line; :func:`read_regular` reads such a file
with a size limit; :func:`tree_files` and :func:`remove_stale` walk a directory the same
way, refusing before anything is removed.
"""

from __future__ import annotations

import errno
import glob
import os
import stat
import tempfile
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import BinaryIO, Collection, Iterable, Iterator, Union

from filelock import FileLock, Timeout

from .errors import AtlasError

#: How a refusal names a symbolic link.
SYMLINK = "is a symbolic link; the generator reads and writes only regular files inside the repository"


def _kind(mode: int) -> str:
    """What a file of this mode is, for a message."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _absolute(path: Path | str) -> Path:
    """``path`` made absolute and ``..`` resolved as text: no symbolic link is followed."""
    return Path(os.path.abspath(path))


def inside(path: Path | str, root: Path | str) -> bool:
    """Whether ``path`` is ``root`` or lies under it (as written: no link is followed)."""
    path, root = _absolute(path), _absolute(root)
    return path == root or root in path.parents


def within(path: Path | str, *roots: Path | str) -> Path:
    """The first of ``roots`` that holds ``path``, else a refusal naming the path."""
    for root in roots:
        if inside(path, root):
            return _absolute(root)
    raise AtlasError(f"outside the repository ({_absolute(roots[0]) if roots else '?'}); the generator reads and writes only files inside it", str(path))


def check_regular(path: Path | str, root: Path | str, *, directory: bool = False) -> os.stat_result | None:
    """Refuse ``path`` unless it lies inside ``root`` and neither it nor any directory
    between ``root`` and it is a symbolic link or a special file (a named pipe, a socket,
    a device); ``root`` itself is the caller's. Returns the path's ``lstat`` (None when it
    does not exist, or a directory on the way is missing, or is a file).

    ``path`` must be a regular file, or with ``directory`` a directory, when it exists; a
    regular file where a directory is expected, or a directory where a file is, is left
    for the caller to report in its own words. Each refusal is one AtlasError naming the
    offending path. Nothing is followed or opened.
    """
    path, root = _absolute(path), _absolute(root)
    if not inside(path, root):
        raise AtlasError(f"outside the repository ({root}); the generator reads and writes only files inside it", str(path))
    current = root
    parts = path.relative_to(root).parts
    info: os.stat_result | None = None
    for index, part in enumerate(parts):
        current = current / part
        try:
            info = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except PermissionError:
            raise AtlasError("cannot be read (permission denied)", str(current.parent)) from None
        mode = info.st_mode
        if stat.S_ISLNK(mode):
            raise AtlasError(SYMLINK, str(current))
        last = index == len(parts) - 1
        if stat.S_ISDIR(mode) or (last and stat.S_ISREG(mode)):
            continue
        if not last and stat.S_ISREG(mode):
            return None  # a file where a directory should be: the path does not exist
        wanted = "a directory" if not last or directory else "a regular file"
        raise AtlasError(f"is {_kind(mode)}, not {wanted}; the generator reads and writes only regular files", str(current))
    return info


def read_regular(path: Path | str, root: Path | str, *, limit: int, name: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (checked by :func:`check_regular`), at most
    ``limit`` of them. ``name`` (``listing``, ``catalogue``) words the refusals: not found,
    a directory, not readable, over the limit. A link swapped in after the check is not
    followed, and a named pipe or a device is never read (neither blocks nor runs on)."""
    check_regular(path, root)
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise AtlasError(f"{name} not found", where) from None
    except IsADirectoryError:
        raise AtlasError(f"is a directory, not a {name}", where) from None
    except PermissionError:
        raise AtlasError(f"{name} is not readable (permission denied)", where) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise AtlasError(SYMLINK, where) from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        if stat.S_ISDIR(info.st_mode):
            raise AtlasError(f"is a directory, not a {name}", where)
        raise AtlasError(f"is {_kind(info.st_mode)}, not a regular file; the generator reads only regular files", where)
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise AtlasError(f"{name} is {info.st_size:,} bytes, over the limit of {limit:,}", where)
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise AtlasError(f"cannot read the {name} ({exc.strerror or exc})", where) from None
    if len(data) > limit:  # it grew meanwhile
        raise AtlasError(f"{name} is over the limit of {limit:,} bytes", where)
    return data


def tree_files(directory: Path | str, root: Path | str) -> list[Path]:
    """Every regular file under ``directory``, sorted, after checking all of it: a symbolic
    link or a special file anywhere under it (or on the way from ``root`` to it) is
    refused (:func:`check_regular`'s words). A missing directory holds no file."""
    directory = _absolute(directory)
    info = check_regular(directory, root, directory=True)
    if info is None:
        return []
    if not stat.S_ISDIR(info.st_mode):
        raise AtlasError("is a file, not a directory", str(directory))
    found: list[Path] = []
    pending = [directory]
    while pending:
        current = pending.pop()
        try:
            entries = sorted(os.scandir(current), key=lambda e: e.name)
        except PermissionError:
            raise AtlasError("cannot be read (permission denied)", str(current)) from None
        for entry in entries:
            mode = entry.stat(follow_symlinks=False).st_mode
            path = Path(entry.path)
            if stat.S_ISLNK(mode):
                raise AtlasError(SYMLINK, str(path))
            if stat.S_ISDIR(mode):
                pending.append(path)
            elif stat.S_ISREG(mode):
                found.append(path)
            else:
                raise AtlasError(f"is {_kind(mode)}, not a regular file; the generator reads and writes only regular files", str(path))
    return sorted(found)


def remove_stale(directory: Path | str, keep: Collection[Path | str], root: Path | str) -> list[Path]:
    """Delete every file under ``directory`` that is not in ``keep``, then the directories
    left empty under it; returns the files removed, sorted.

    The whole tree is checked first (:func:`tree_files`): when it holds a symbolic link or
    a special file, anywhere, nothing is removed and the link is refused; so a committed
    ``docs/bib -> ../../elsewhere`` can never make a build delete files outside the
    repository.
    """
    directory = _absolute(directory)
    kept = {_absolute(path) for path in keep}
    files = tree_files(directory, root)
    removed = [path for path in files if path not in kept]
    for path in removed:
        os.unlink(path)
    for dirpath, _, _ in sorted(os.walk(directory), key=lambda item: -len(item[0])):  # deepest first; links were refused
        if dirpath != str(directory) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return removed


#: errno -> the problem, for faults of the machine rather than of the input: a full disk,
#: a read-only or unreadable file or directory (see :func:`os_problem`).
_OS_PROBLEMS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error",
    errno.EFBIG: "file too large",
    errno.EISDIR: "is a directory",
    errno.ENOTDIR: "not a directory",
    errno.ENOENT: "not found",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENXIO: "no such device",
}


def os_problem(exc: OSError) -> AtlasError | None:
    """The one ``file: problem`` line for an OSError that is a fault of the machine (full
    disk, read-only or unreadable file, ...), naming its file; None for any other."""
    problem = _OS_PROBLEMS.get(exc.errno) if exc.errno is not None else None
    if problem is None:
        return None
    return AtlasError(problem, str(exc.filename) if exc.filename is not None else None)


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


def write_if_changed(path: Path | str, content: Content, *, durable: bool = True, root: Path | str | None = None) -> bool:
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

    With ``root``, the path is first checked by :func:`check_regular`: inside ``root``,
    and no symbolic link or special file on the way. Whatever ``root``, a symbolic link
    or a special file (a named pipe, a device) is never written over nor read.
    """
    path = Path(path)
    if root is not None:
        check_regular(path, root)
    chunks = _Chunks(content)
    with ExitStack() as stack:
        old: BinaryIO | None = None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            pass
        except IsADirectoryError:
            raise AtlasError("is a directory, cannot write a file here", str(path)) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise AtlasError(SYMLINK, str(path)) from None
            raise
        else:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                os.close(fd)
                if stat.S_ISDIR(mode):
                    raise AtlasError("is a directory, cannot write a file here", str(path))
                raise AtlasError(f"is {_kind(mode)}, not a regular file; the generator writes only regular files", str(path))
            old = stack.enter_context(os.fdopen(fd, "rb"))
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
            if old is not None:
                os.chmod(tmp, os.fstat(old.fileno()).st_mode & 0o777)
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
    # FileLock opens the lock file with O_TRUNC: a committed link would empty its target.
    check_regular(path.with_name(path.name + ".lock"), path.parent)
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
