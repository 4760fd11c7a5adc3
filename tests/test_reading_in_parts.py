"""Reading a big papers.yaml in parts, one per worker process: the same data, lines and
errors as reading it whole, whatever the text looks like where it is cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.store import read as catalogue_io
from generator.store.read import dumps, read_raw
from generator.errors import AtlasError
from generator.model import Catalogue

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def real() -> Catalogue:
    return catalogue_io.load(ROOT / "papers.yaml")


def whole(path: Path, monkeypatch) -> tuple:
    """read_raw's result (or error line) as one process reads it."""
    with monkeypatch.context() as patch:
        patch.setenv("ATLAS_WORKERS", "1")
        return outcome(path)


def outcome(path: Path) -> tuple:
    try:
        data, located = read_raw(path)
    except AtlasError as exc:
        return ("refused", str(exc))
    return ("read", data, located)


def in_parts(path: Path, monkeypatch, workers: int) -> tuple[tuple, bool]:
    """read_raw's result in parts with ``workers`` workers, and whether parts were read."""
    monkeypatch.setattr(catalogue_io, "PARTS_FROM_BYTES", 0)
    monkeypatch.setenv("ATLAS_WORKERS", str(workers))
    before = set(catalogue_io.PART_WORKERS.private_mb)
    result = outcome(path)
    return result, set(catalogue_io.PART_WORKERS.private_mb) != before


@pytest.mark.parametrize("workers", [2, 3, 5])
def test_the_real_catalogue_reads_the_same_in_parts(tmp_path, monkeypatch, workers):
    path = tmp_path / "papers.yaml"
    path.write_bytes((ROOT / "papers.yaml").read_bytes())
    expected = whole(path, monkeypatch)
    assert expected[0] == "read" and len(expected[1]["papers"]) > 300
    got, used = in_parts(path, monkeypatch, workers)
    assert used and got == expected  # the data, and the line of every paper and field
    # ... and it came from the parts, not from reading the whole after a part was refused
    assert catalogue_io._build_in_parts(path.read_bytes(), str(path)) == expected[1:]


def _many(real: Catalogue, n: int = 40) -> Catalogue:
    papers = [p.model_copy(update={"id": f"{p.id}-{i}", "title": f"{p.title} {i}"}) for i, p in enumerate(real.papers[:n])]
    return Catalogue(topics=real.topics, papers=papers)


def _variants(real: Catalogue) -> dict[str, str]:
    text = dumps(_many(real))
    head, papers = text.split("\npapers:\n")
    lines = papers.splitlines(keepends=True)
    late = next(i for i, line in enumerate(lines) if i >= len(lines) * 3 // 4 and line.startswith("- "))
    before, after = head + "\npapers:\n" + "".join(lines[:late]), "".join(lines[late:])
    # Every title quoted over many lines that each start with "- ": most cuts fall inside one.
    quoted = [f'  title: "Title {i}\n' + "- more\n" * 30 + '"\n' if line.startswith("  title: ") else line for i, line in enumerate(lines)]
    return {
        "titles quoted over lines that start with '- '": head + "\npapers:\n" + "".join(quoted),
        "papers before topics": "papers:\n" + papers + head.split("\n", 1)[1] + "\n",
        "a key after the papers": text + "extra: 1\n",
        "a duplicate key late on": before + lines[late] + "  id: twice\n" + "".join(lines[late + 1 :]),
        "an anchor late on": before + "- &a\n  id: x\n" + after,
        "a second document late on": before + "---\n" + after,
        "a syntax error late on": before + "- [unclosed\n" + after,
        "a paper that is not a mapping": before + "- just text\n" + after,
        "comments and blank lines": before + "# a comment\n\n" + after,
        "no papers": head + "\npapers: []\n",
        "a duplicate key early on": head + "\npapers:\n" + lines[0] + "  id: twice\n" + "".join(lines[1:]),
    }


VARIANTS = [
    "titles quoted over lines that start with '- '",
    "papers before topics",
    "a key after the papers",
    "a duplicate key late on",
    "an anchor late on",
    "a second document late on",
    "a syntax error late on",
    "a paper that is not a mapping",
    "comments and blank lines",
    "no papers",
    "a duplicate key early on",
]


@pytest.mark.parametrize("name", VARIANTS)
def test_any_text_reads_in_parts_as_it_reads_whole(tmp_path, monkeypatch, real, name):
    path = tmp_path / "papers.yaml"
    path.write_text(_variants(real)[name], encoding="utf-8")
    expected = whole(path, monkeypatch)
    got, _ = in_parts(path, monkeypatch, 2)
    assert got == expected


def test_a_cut_inside_a_quoted_title_is_not_trusted(tmp_path, monkeypatch, real):
    path = tmp_path / "papers.yaml"
    path.write_text(_variants(real)["titles quoted over lines that start with '- '"], encoding="utf-8")
    got, _ = in_parts(path, monkeypatch, 2)
    assert got[0] == "read" and all(p["title"].startswith("Title ") and "- more" in p["title"] for p in got[1]["papers"])


def test_errors_late_in_a_big_file_name_their_line_in_the_whole_file(tmp_path, monkeypatch, real):
    path = tmp_path / "papers.yaml"
    path.write_text(_variants(real)["a duplicate key late on"], encoding="utf-8")
    got, _ = in_parts(path, monkeypatch, 2)
    line = path.read_text(encoding="utf-8").splitlines().index("  id: twice") + 1
    assert got == ("refused", f"{path}:{line}: duplicate key 'id' (first at line {line - 1}); YAML would silently keep the last one")


def test_a_catalogue_loads_the_same_in_parts(tmp_path, monkeypatch, real):
    path = tmp_path / "papers.yaml"
    catalogue_io.save(_many(real), path)
    monkeypatch.setenv("ATLAS_WORKERS", "1")
    alone = catalogue_io.load(path)
    monkeypatch.setattr(catalogue_io, "PARTS_FROM_BYTES", 0)
    monkeypatch.setenv("ATLAS_WORKERS", "2")
    assert catalogue_io.load(path) == alone
    assert len(alone.papers) == 40
