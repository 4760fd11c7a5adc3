"""Look-alike duplicates: two titles a reader cannot tell apart are one paper.

A title made different by a zero-width joiner, a Cyrillic or Greek homoglyph, fullwidth or
mathematical letters, or a soft hyphen is a duplicate for ``validate`` and the same paper
for ``import`` (which merges it instead of adding a visually identical entry). Titles that
a reader can tell apart stay apart, also when they differ only by ASCII letters that some
fonts draw alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import store
from generator.ingest.importer import run_import
from generator.model import Catalogue, Paper, Topic
from generator.text import lookalike_key

ROOT = Path(__file__).resolve().parent.parent
TOPIC = Topic(slug="vla-models", title="VLA", description="Vision-language-action models.")
TITLE = "OpenVLA: An Open-Source Vision-Language-Action Model"

LOOK_ALIKES = {
    "zero-width-joiner": TITLE.replace("VLA", "V\u200dLA", 1),
    "zero-width-space": TITLE.replace(" ", " \u200b", 1),
    "soft-hyphen": TITLE.replace("Source", "Sou\u00adrce"),
    "word-joiner-and-bom": "\ufeff" + TITLE.replace("Model", "Mo\u2060del"),
    "cyrillic-a": TITLE.replace("a", "\u0430", 1),
    "cyrillic-o-and-e": TITLE.replace("o", "\u043e").replace("e", "\u0435"),
    "cyrillic-capital-i": TITLE.replace("Vision", "V\u0456sion"),
    "greek-capital-omicron": "\u039f" + TITLE[1:],
    "greek-capital-alpha": TITLE.replace("Action", "\u0391ction"),
    "fullwidth": "\uff2f\uff50\uff45\uff4e" + TITLE[4:],
    "mathematical-bold": "\U0001d40e" + TITLE[1:],
    "rtl-mark": TITLE.replace(":", ":\u200f"),
}
DIFFERENT = [
    "OpenVLA: An Open-Source Vision-Language-Action Models",
    "OpenVLA 2: An Open-Source Vision-Language-Action Model",
    "OpenVLM: An Open-Source Vision-Language-Action Model",
    "A Modern Approach to Robot Learning",  # and "Modem": ASCII is never folded
]


def paper(n: int, title: str) -> Paper:
    return Paper(id=f"paper-{n}", title=title, topics=["vla-models"], tldr="It acts.", bibtex_key=f"paper{n}", abstract="It acts.")


@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_a_look_alike_title_has_the_same_key(name: str):
    look_alike = LOOK_ALIKES[name]
    assert look_alike != TITLE
    assert lookalike_key(look_alike) == lookalike_key(TITLE)


def test_titles_a_reader_tells_apart_keep_their_keys():
    keys = [lookalike_key(t) for t in [TITLE, *DIFFERENT, "A Modem Approach to Robot Learning"]]
    assert len(set(keys)) == len(keys)
    # Scripts that are not look-alikes are not folded into Latin.
    assert lookalike_key("Обучение роботов") != lookalike_key("Obuchenie robotov")
    assert lookalike_key("机器人学习") == "机器人学习"


@pytest.mark.parametrize("name", ["zero-width-joiner", "cyrillic-a", "greek-capital-omicron", "fullwidth"])
def test_validate_refuses_a_look_alike_duplicate_in_one_located_line(tmp_path: Path, name: str):
    store.save(Catalogue(topics=[TOPIC], papers=[paper(1, TITLE), paper(2, LOOK_ALIKES[name])]), tmp_path / "papers.yaml")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GITHUB_ACTIONS", None)
    done = subprocess.run([sys.executable, "-m", "generator", "validate", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    (error,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert "paper 'paper-2': title: duplicate of paper 'paper-1' at line" in error, error


def test_different_titles_pass_validate():
    verdict_papers = [paper(n, title) for n, title in enumerate([TITLE, *DIFFERENT])]
    assert store.check("papers.yaml", _yaml(Catalogue(topics=[TOPIC], papers=verdict_papers))).ok


def _yaml(catalogue: Catalogue) -> bytes:
    return b"".join(store.write.dump_chunks(catalogue))


def test_import_merges_a_look_alike_listing_title_instead_of_adding_a_twin(tmp_path: Path):
    (tmp_path / "listings").mkdir()
    store.save(Catalogue(topics=[TOPIC], papers=[paper(1, TITLE)]), tmp_path / "papers.yaml")
    listing = "".join(f"{LOOK_ALIKES[name]}\nWe present a vision-language-action model.\n" for name in ("cyrillic-a", "zero-width-joiner"))
    (tmp_path / "listings" / "001.txt").write_text(listing + "A Really New Paper\nIts abstract.\n", encoding="utf-8")
    report = run_import(tmp_path / "papers.yaml", sorted((tmp_path / "listings").glob("*.txt")))
    assert report.new == 1  # only the really new paper
    papers = store.load(tmp_path / "papers.yaml").papers
    assert sorted(p.id for p in papers) == ["a-really-new-paper", "paper-1"]
    assert store.check(tmp_path / "papers.yaml").ok
