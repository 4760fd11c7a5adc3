"""Writing files (write_if_changed, with content in chunks) and papers.yaml's YAML text."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.catalogue import write_if_changed
from generator.errors import AtlasError

# --- write_if_changed with chunks -------------------------------------------------------


def strays(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def aged(path: Path) -> os.stat_result:
    """Date the file back a day, so that a rewrite could not keep its modification time."""
    os.utime(path, ns=(path.stat().st_atime_ns - 86_400 * 10**9, path.stat().st_mtime_ns - 86_400 * 10**9))
    return path.stat()


def test_identical_content_in_chunks_is_not_rewritten(tmp_path: Path):
    path = tmp_path / "out.txt"
    path.write_bytes("héllo wörld\n".encode() * 1000)
    before = aged(path)
    chunks = (["héllo ", "wörld\n".encode()] for _ in range(1000))
    assert write_if_changed(path, (c for pair in chunks for c in pair)) is False
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (before.st_ino, before.st_mtime_ns, before.st_size)
    assert strays(tmp_path) == []


@pytest.mark.parametrize(
    "new",
    [
        ["Xbc", "def"],  # differs in the first chunk
        ["abc", "dXf"],  # in a later chunk
        ["abc", "de"],  # shorter
        ["abc", "def", "g"],  # longer
        [],  # empty
    ],
)
def test_different_content_in_chunks_replaces_the_file(tmp_path: Path, new: list[str]):
    path = tmp_path / "out.txt"
    path.write_bytes(b"abcdef")
    before = aged(path)
    assert write_if_changed(path, iter(new)) is True
    assert path.read_bytes() == "".join(new).encode()
    assert path.stat().st_ino != before.st_ino  # a new file, renamed over the old one
    assert strays(tmp_path) == []


def test_chunks_make_a_new_file(tmp_path: Path):
    path = tmp_path / "new.txt"
    assert write_if_changed(path, (f"line {n}\n" for n in range(3))) is True
    assert path.read_text(encoding="utf-8") == "line 0\nline 1\nline 2\n"
    assert write_if_changed(path, (f"line {n}\n" for n in range(3))) is False


class Broken(Exception):
    pass


def failing(chunks: list[str], error: BaseException):
    yield from chunks
    raise error


@pytest.mark.parametrize(
    "chunks",
    [
        ["abc"],  # fails while the content still equals the old file
        ["abX", "more"],  # fails after the first difference, while writing
        [],  # fails at once
    ],
)
@pytest.mark.parametrize("error", [Broken("midway"), OSError(5, "the producer's own I/O error")])
def test_a_failing_chunk_iterable_leaves_the_old_file_and_no_temporary_file(tmp_path: Path, chunks, error):
    path = tmp_path / "out.txt"
    path.write_bytes(b"abcdef")
    before = aged(path)
    with pytest.raises(type(error)) as raised:  # the producer's exception, not a "cannot write"
        write_if_changed(path, failing(chunks, error))
    assert raised.value is error
    assert path.read_bytes() == b"abcdef"
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert strays(tmp_path) == []


def test_chunks_into_a_missing_directory_are_refused_before_they_are_made(tmp_path: Path):
    pulled = []

    def chunks():
        pulled.append(1)
        yield "x"

    with pytest.raises(AtlasError, match="output directory does not exist"):
        write_if_changed(tmp_path / "missing" / "out.txt", chunks())
    assert pulled == []


@settings(max_examples=200, deadline=None)
@given(
    old=st.none() | st.binary(max_size=40),
    new=st.lists(st.binary(max_size=12) | st.text(max_size=6), max_size=6),
)
def test_any_chunking_writes_exactly_the_joined_bytes(old: bytes | None, new: list[str | bytes]):
    data = b"".join(c.encode("utf-8") if isinstance(c, str) else c for c in new)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "out.bin"
        if old is not None:
            path.write_bytes(old)
        assert write_if_changed(path, iter(new)) is (old != data)
        assert path.read_bytes() == data
        assert strays(Path(directory)) == []
