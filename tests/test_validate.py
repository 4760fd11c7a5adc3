"""`python -m generator validate`: one schema, located errors, GitHub annotations."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.store import load
from generator.jsonschema import schema_text
from generator.text import _normalise_unicode, normalise_title, paper_id

ROOT = Path(__file__).resolve().parent.parent


def run(cwd: Path, *args: str, github: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    env["PYTHONPATH"] = str(ROOT)
    if github:
        env["GITHUB_ACTIONS"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def broken_copy(tmp_path: Path) -> Path:
    """The committed catalogue with a duplicated paper, an unknown topic and an impossible date."""
    text = (ROOT / "papers.yaml").read_text(encoding="utf-8")
    papers_at = text.index("\npapers:\n") + len("\npapers:\n")
    entries = [e for e in re.split(r"(?m)^(?=- id: )", text[papers_at:]) if e]
    first, second, third = entries[0], entries[1], entries[2]
    second = re.sub(r"(?m)^  topics:\n  - [a-z-]+$", "  topics:\n  - no-such-topic", second, count=1)
    third = re.sub(r"(?m)^  date: .*$", "  date: 2025-13-45", third, count=1)
    assert "no-such-topic" in second and "2025-13-45" in third
    broken = text[:papers_at] + first + first + second + third + "".join(entries[3:])
    (tmp_path / "papers.yaml").write_text(broken, encoding="utf-8")
    return tmp_path / "papers.yaml"


def test_committed_catalogue_is_valid():
    done = run(ROOT, "validate", "-q")
    assert done.returncode == 0, done.stderr
    committed = load(ROOT / "papers.yaml")
    assert f"valid: {len(committed.papers)} papers in {len(committed.topics)} topics" in done.stdout


def test_duplicate_unknown_topic_and_impossible_date_give_three_located_errors(tmp_path):
    path = broken_copy(tmp_path)
    before = path.read_bytes()
    done = run(tmp_path, "validate", "-q")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 5, errors  # id, title and bibtex_key of the duplicate + topic + date
    lines = path.read_text(encoding="utf-8").splitlines()
    for error in errors:
        match = re.match(r"error: papers\.yaml:(\d+): paper '([a-z0-9-]+)': (\w+): (.+)$", error)
        assert match, error
        line, field = int(match[1]), match[3]
        assert lines[line - 1].lstrip("- ").startswith(f"{field}:"), (error, lines[line - 1])
    joined = "\n".join(errors)
    assert "id: duplicate of paper" in joined
    assert "topics: unknown topic 'no-such-topic'" in joined
    assert "date: impossible date '2025-13-45'" in joined
    assert path.read_bytes() == before


def test_errors_become_github_annotations_inside_actions(tmp_path):
    broken_copy(tmp_path)
    done = run(tmp_path, "validate", "-q", github=True)
    annotations = [line for line in done.stderr.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 5
    assert all(re.match(r"::error file=papers\.yaml,line=\d+::paper '", a) for a in annotations)


def test_build_refuses_a_broken_catalogue(tmp_path):
    broken_copy(tmp_path)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns("topics", "bib", ".generated.json"))
    shutil.copytree(ROOT / "overrides", tmp_path / "overrides")
    done = run(tmp_path, "build", "--no-mkdocs")
    assert done.returncode == 1
    assert done.stderr.startswith("error: papers.yaml:")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "docs" / "topics").exists()


def test_published_json_schema_matches_the_model():
    assert (ROOT / "schema" / "papers.schema.json").read_text(encoding="utf-8") == schema_text(), (
        "schema/papers.schema.json is stale: run `python -m generator schema`"
    )


def test_catalogue_points_editors_to_the_schema():
    first = (ROOT / "papers.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=schema/papers.schema.json"
    schema = json.loads((ROOT / "schema" / "papers.schema.json").read_text(encoding="utf-8"))
    paper = schema["$defs"]["Paper"]
    assert {"id", "title", "abstract", "topics", "tldr", "bibtex_key"} <= set(paper["required"])
    assert paper["additionalProperties"] is False


def test_json_schema_rejects_what_validate_rejects(tmp_path):
    """Editors underline the same mistakes: check-jsonschema with our schema on a broken copy."""
    path = broken_copy(tmp_path)
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).with_name("check-jsonschema"))
    done = subprocess.run(
        [checker, "--schemafile", str(ROOT / "schema" / "papers.schema.json"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "'2025-13-45' does not match" in done.stdout
    ok = subprocess.run(
        [checker, "--schemafile", str(ROOT / "schema" / "papers.schema.json"), str(ROOT / "papers.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_missing_dates_and_authors_are_warnings_not_errors(tmp_path):
    done = run(ROOT, "validate")
    assert done.returncode == 0
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings and all(
        re.search(r": (date|authors): missing$|: links\.[\w-]+: \S+ is an unofficial Hugging Face mirror; ", w) for w in warnings
    )


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127)), st.sampled_from(["", " ", "a_b", "A\x1fB", "Ǆ", "ﬁ", "é", "İ", "ß", "Ⅻ", "x²", "١٢", "a\u0301"])))
def test_the_ascii_shortcut_of_normalise_title_folds_as_the_unicode_path(title: str):
    assert normalise_title(title) == _normalise_unicode(title)


def test_normalise_title_folds_spellings_together():
    assert normalise_title("  RT-2: Vision_Language\tAction  Models!") == "rt 2 vision language action models"
    assert normalise_title("Ça Marche: Über Robots") == normalise_title("ca marche uber robots") == "ca marche uber robots"


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(max_codepoint=127), max_size=120)
    | st.text(alphabet="abcXYZ019 -'\",.:&;#()", max_size=200)
)
def test_an_ascii_title_gets_the_id_slugify_gives(title):
    from slugify import slugify

    assert paper_id(title) == (slugify(title, max_length=80, word_boundary=True) or "paper")


def test_a_bad_word_of_the_bibtex_lexicon_is_refused_at_its_section(tmp_path):
    text = (ROOT / "papers.yaml").read_text(encoding="utf-8")
    assert "\nbibtex:\n  proper_nouns:\n" in text  # the committed catalogue has the section, before the papers
    assert text.index("\nbibtex:\n") < text.index("\npapers:\n")
    path = tmp_path / "papers.yaml"
    path.write_text(text.replace("\nbibtex:\n  proper_nouns:\n", "\nbibtex:\n  proper_nouns:\n  - 'Half {brace'\n"), encoding="utf-8")
    before = path.read_bytes()
    done = run(tmp_path, "validate", "-q")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    match = re.match(r"error: papers\.yaml:(\d+): bibtex\.proper_nouns\.0: ", error)
    assert match, error
    assert path.read_text(encoding="utf-8").splitlines()[int(match[1]) - 1] == "bibtex:"
    assert path.read_bytes() == before
