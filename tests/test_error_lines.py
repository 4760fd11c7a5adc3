"""Every error is one clean line: bounded, with no raw control character, whatever the input.

A 3 MB id gives a short line, not a 3 MB one; a carriage return or an escape sequence in a
value or a file name is shown escaped, so it can neither rewrite the terminal's line nor
forge a GitHub annotation; a full disk or a read-only docs/ during a build is the usual
``file: problem`` line with exit status 1, never "internal error".
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import copy_project
from generator.errors import MAX_MESSAGE, AtlasError, clean, quote

ROOT = Path(__file__).resolve().parent.parent
HEAD = """topics:
- slug: vla-models
  title: VLA
  description: Vision-language-action models.
papers:
"""
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]")


def cli(project: Path, *args: str, actions: bool = False, **options) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    if actions:
        env["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=project, env=env, capture_output=True, text=True, timeout=120, **options
    )


def paper(**fields: str) -> str:
    values = {"id": "a-paper", "title": "A Paper", "topics": "[vla-models]", "tldr": "It acts.", "bibtex_key": "apaper", "abstract": "It acts."}
    values.update(fields)
    return "- " + "\n  ".join(f"{name}: {value}" for name, value in values.items()) + "\n"


def clean_lines(text: str) -> list[str]:
    lines = text.split("\n")
    for line in lines:
        assert not RAW_CONTROL.search(line), repr(line)
        assert "\r" not in line
    return [line for line in lines if line]


# --- huge values -----------------------------------------------------------------------------


def test_a_3_mb_id_gives_short_lines_also_as_annotations(tmp_path: Path):
    (tmp_path / "papers.yaml").write_text(HEAD + paper(id="a" * 3_000_000) + paper(id="b" * 3_000_000, title="Another"), encoding="utf-8")
    for actions in (False, True):
        done = cli(tmp_path, "validate", actions=actions)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        lines = clean_lines(done.stderr)
        assert len(done.stderr) < 10_000, len(done.stderr)
        assert all(len(line) <= MAX_MESSAGE + 400 for line in lines)
        assert any(line.startswith("error: papers.yaml:6: paper 'aaaa") and "…" in line for line in lines), lines[:3]
        if actions:
            assert any(line.startswith("::error file=papers.yaml,line=6::") for line in lines)


def test_a_huge_value_in_a_listing_warning_is_cut(tmp_path: Path):
    (tmp_path / "listings").mkdir()
    (tmp_path / "papers.yaml").write_text(HEAD + "  []\n", encoding="utf-8")
    title = "Only A Title Without Abstract " * 15  # under the line limit, far over 80 characters
    (tmp_path / "listings" / "001.txt").write_text(title + "\n", encoding="utf-8")
    done = cli(tmp_path, "import")
    assert done.returncode == 0, done.stderr
    (warning,) = [line for line in clean_lines(done.stderr) if "has no abstract" in line]
    assert len(warning) < 200 and "…" in warning


# --- control characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        r'"bad\r::error file=forged.py,line=1::forged"',  # CR: a second annotation
        r'"bad\e[2K\e[1Aok"',  # ESC: erase the line, move up
        r'"bad\u202eyek"',  # right-to-left override
        r'"bad\0nul"',  # NUL
        r'"bad\x85\u2028next"',  # NEL, line separator
    ],
    ids=["cr-annotation", "esc", "rlo", "nul", "line-separators"],
)
def test_control_characters_in_a_key_are_escaped_in_the_line_and_the_annotation(tmp_path: Path, key: str):
    # An unknown field: its name is part of the message (the schema names the field).
    (tmp_path / "papers.yaml").write_text(HEAD + paper(**{key: "x", "date": "2024-01-01", "authors": "[A]"}), encoding="utf-8")
    for actions in (False, True):
        done = cli(tmp_path, "validate", actions=actions)
        assert done.returncode == 1, done.stderr
        lines = clean_lines(done.stderr)
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1, lines
        assert errors[0].startswith("error: papers.yaml:") and "bad\\" in errors[0], errors[0]
        annotations = [line for line in lines if line.startswith("::")]
        assert all(line.startswith("::error file=papers.yaml,line=") for line in annotations), annotations
        assert len(annotations) == (1 if actions else 0)
        assert len(lines) == len(errors) + len(annotations) + 1  # and the count of errors


def test_a_file_name_with_control_characters_is_shown_escaped(tmp_path: Path):
    (tmp_path / "listings").mkdir()
    (tmp_path / "papers.yaml").write_text(HEAD + "  []\n", encoding="utf-8")
    name = "bad\x1b[31m,line=9\r.txt"
    (tmp_path / "listings" / name).write_bytes(b"Caf\xe9 Title\nAn abstract.\n")
    done = cli(tmp_path, "import", actions=True)
    assert done.returncode == 1
    lines = clean_lines(done.stderr)
    assert lines[0] == "error: listings/bad\\x1b[31m,line=9\\r.txt:1: not valid UTF-8 (byte 0xe9); save the listing as UTF-8"
    # The annotation's file property cannot be split by the comma into a forged line=9.
    assert lines[1].startswith("::error file=listings/bad\\x1b[31m%2Cline=9\\r.txt,line=1::")


def test_clean_and_quote_bound_and_escape():
    assert clean("a\rb\x1bc\x00d\u202ee\u200df") == "a\\rb\\x1bc\\x00d\\u202ee\\u200df"
    assert clean("x" * 5000, 100).count("x") == 99 and len(clean("x" * 5000, 100)) == 100
    assert quote("y" * 1000) == repr("y" * 80) + "…"
    assert quote("short") == "'short'"
    assert str(AtlasError("v\n" * 10, "dir/\x1bfile", 3)) == "dir/\\x1bfile:3: " + "v\\n" * 10


# --- machine faults during a build -----------------------------------------------------------------


@pytest.fixture
def site_project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_a_read_only_docs_directory_is_one_line_not_an_internal_error(site_project: Path):
    docs = site_project / "docs"
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(docs)], check=True)
    else:
        docs.chmod(0o555)
    try:
        done = cli(site_project, "build", "--no-mkdocs")
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(docs)], check=True)
        else:
            docs.chmod(0o755)
    assert done.returncode == 1, done.stderr
    lines = clean_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: docs"), lines
    assert "internal error" not in done.stderr and "Usage:" not in done.stderr


def test_a_full_disk_during_a_build_is_one_line_not_an_internal_error(site_project: Path):
    def small_disk() -> None:  # writes past 200 kB fail with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200 * 1024, 200 * 1024))

    done = cli(site_project, "build", "--no-mkdocs", preexec_fn=small_disk)
    assert done.returncode == 1, done.stderr
    lines = clean_lines(done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: docs/"), lines
    assert "internal error" not in done.stderr
