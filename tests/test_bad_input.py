"""Bad input: every file of tests/bad_inputs/ gets what cases.yaml promises, through the real CLI.

A bad input is either imported (good entries kept, a located ``file:line:`` warning for
what is not) or refused in one line naming the file, the line and the problem, with exit
status 1 and papers.yaml byte-identical. No traceback ever reaches the user, and size and
time are bounded. The big inputs are made here, in tmp_path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
import yaml
from click.testing import CliRunner

from tests.helpers import yaml_text
from generator import store
from generator.render import pages
from generator.render.bibtex import entry_text, library_chunks
from generator.cli import main
from generator.ingest.links import find_urls
from generator.model import Catalogue, Paper, Topic

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))

TOPICS = [
    Topic(slug="vla-models", title="VLA", description="Vision-language-action models.", phrases=["vision-language-action", "VLA"]),
    Topic(slug="related-work", title="Adjacent", description="Everything else."),
]
EXISTING = Paper(
    id="an-existing-paper",
    title="An Existing Paper",
    topics=["vla-models"],
    tldr="It exists.",
    bibtex_key="existingpaper",
    abstract="It exists.",
)
GOOD_LISTING = "A Good New Paper\nIts abstract says what it does.\n"


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a small taxonomy and one paper, as a curator would have it."""
    (tmp_path / "listings").mkdir()
    store.save(Catalogue(topics=TOPICS, papers=[EXISTING]), tmp_path / "papers.yaml")
    return tmp_path


def cli(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m generator ARGS`` in ``project``, exactly as a user runs it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.pop("GITHUB_ACTIONS", None)  # annotations would add lines
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=project, env=env, capture_output=True, text=True, timeout=timeout
    )


def in_process(project: Path, *args: str):
    """The same command through click's CliRunner (fast, for follow-up checks)."""
    cwd = os.getcwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(cwd)


def assert_no_traceback(done) -> None:
    output = (done.stdout or "") + (done.stderr or "")
    assert "Traceback" not in output, output


def assert_one_line_refusal(done, where: str, says: str) -> None:
    """Exit 1 and exactly one stderr line: ``error: <where>: ...<says>...``."""
    assert_no_traceback(done)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {where}: "), lines[0]
    assert says in lines[0], lines[0]


def titles(path: Path) -> dict[str, dict]:
    data, _ = store.read.read_raw(path)
    return {p["title"]: p for p in data["papers"]}


def listing_lines(data: bytes) -> set[str]:
    text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    return {line.strip() for line in text.split("\n")}


# --- the committed corpus: listings -----------------------------------------------------


def test_every_file_of_the_corpus_has_its_expected_behaviour():
    for kind in ("listings", "catalogues"):
        assert sorted(p.name for p in (CORPUS / kind).iterdir()) == sorted(CASES[kind]), kind


@pytest.mark.parametrize("name", sorted(CASES["listings"]))
def test_listing_gets_what_cases_yaml_promises(project: Path, name: str):
    case = CASES["listings"][name]
    data = (CORPUS / "listings" / name).read_bytes()
    (project / "listings" / name).write_bytes(data)
    where = f"listings/{name}"
    before = (project / "papers.yaml").read_bytes()

    done = cli(project, "import", where)

    if case["gets"] == "refused":
        assert_one_line_refusal(done, f"{where}:{case['line']}", case["says"])
        assert done.stdout == ""
        assert (project / "papers.yaml").read_bytes() == before
        return

    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    printed = [re.match(rf"warning: {re.escape(where)}:(\d+): (.*)$", line) for line in done.stderr.splitlines()]
    assert all(printed) and len(printed) == len(case["warnings"]), done.stderr
    for (line, says), match in zip(case["warnings"], printed):
        assert int(match[1]) == line and says in match[2], done.stderr

    papers = titles(project / "papers.yaml")
    added = {t: p for t, p in papers.items() if t != EXISTING.title}
    assert sorted(added) == sorted(case["papers"])
    assert papers[EXISTING.title]["id"] == EXISTING.id
    lines = listing_lines(data)
    for paper in added.values():  # nothing altered: title and abstract are lines of the listing
        assert paper["title"] in lines and paper["abstract"] in lines
        assert paper["sources"] == [name]
    for title, fields in (case.get("fields") or {}).items():
        for field, value in fields.items():
            assert papers[title].get(field) == value, (title, field)

    # What was imported is a valid catalogue, and a second import changes nothing.
    after = (project / "papers.yaml").read_bytes()
    assert in_process(project, "validate", "-q").exit_code == 0
    again = in_process(project, "import", where)
    assert again.exit_code == 0 and "papers.yaml unchanged" in again.stdout
    assert (project / "papers.yaml").read_bytes() == after


def test_one_bad_listing_refuses_the_whole_import(project: Path):
    (project / "listings" / "001_good.txt").write_text(GOOD_LISTING, encoding="utf-8")
    shutil.copy(CORPUS / "listings" / "latin1.txt", project / "listings" / "002_latin1.txt")
    before = (project / "papers.yaml").read_bytes()
    done = cli(project, "import")
    # Without arguments import reads listings/*.txt beside the catalogue, named as the user would.
    assert_one_line_refusal(done, "listings/002_latin1.txt:3", "not valid UTF-8")
    assert (project / "papers.yaml").read_bytes() == before


def test_missing_listing_and_directory_are_refused_in_one_line(project: Path):
    assert_one_line_refusal(cli(project, "import", "listings/nope.txt"), "listings/nope.txt", "listing not found")
    assert_one_line_refusal(cli(project, "import", "listings"), "listings", "is a directory, not a listing")


# --- the committed corpus: catalogues ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES["catalogues"]))
def test_catalogue_gets_what_cases_yaml_promises(project: Path, name: str):
    case = CASES["catalogues"][name]
    data = (CORPUS / "catalogues" / name).read_bytes()
    (project / name).write_bytes(data)
    (project / "listings" / "001_good.txt").write_text(GOOD_LISTING, encoding="utf-8")

    checked = cli(project, "--catalogue", name, "validate")
    assert_no_traceback(checked)
    assert checked.returncode == 1, checked.stderr
    lines = checked.stderr.splitlines()
    assert any(line.startswith(f"error: {name}:{case['line']}: ") and case["says"] in line for line in lines), checked.stderr
    summary = re.compile(rf"^{re.escape(name)}: \d+ errors, \d+ warnings$")
    assert all(line.startswith((f"error: {name}:", f"warning: {name}:")) or summary.match(line) for line in lines), checked.stderr
    assert checked.stdout == ""

    imported = cli(project, "--catalogue", name, "import", "listings/001_good.txt")
    if case.get("import") == "accepted":
        assert_no_traceback(imported)
        assert imported.returncode == 0, imported.stderr
        assert "A Good New Paper" in (project / name).read_text(encoding="utf-8")
    else:
        assert_one_line_refusal(imported, f"{name}:{case['line']}", case["says"])
        assert (project / name).read_bytes() == data
    assert not (project / "pwned.txt").exists()


# --- hostile text, end to end -----------------------------------------------------------

HOSTILE = ["html-and-script.txt", "javascript-links.txt", "jinja.txt", "latex.txt", "control-characters.txt"]


class PageParser(HTMLParser):
    """Every start tag with its attributes, and the text of paper headings and abstracts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[str] = []
        self.abstracts: list[str] = []
        self._into: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "h3" and "id" in attributes:
            self.headings.append("")
            self._into = self.headings
        elif tag == "p" and attributes.get("class") == "paper-abstract-text":
            self.abstracts.append("")
            self._into = self.abstracts
        elif tag == "a" and attributes.get("class") == "headerlink":
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag in ("h3", "p") and self._into is not None:
            self._into = None

    def handle_data(self, data):
        if self._into is not None and not self._skip:
            self._into[-1] += data


def rendered_html(catalogue: Catalogue) -> dict[str, str]:
    """Each topic page as the reader's browser gets it: pages.Layout, then Python-Markdown
    with the extensions of mkdocs.yml."""
    bibtex = {p.id: entry_text(p) for p in catalogue.papers}
    files = dict(pages.Layout(catalogue, bibtex).files())
    out = {}
    for path, text in files.items():
        if path.startswith("topics/") and path.endswith(".md") and path != "topics/index.md":
            body = text.split("---\n", 2)[2] if text.startswith("---\n") else text
            out[path] = markdown.markdown(body, extensions=["attr_list", "tables", "toc"], extension_configs={"toc": {"permalink": True}})
    return out


def neutral(paper: Paper, n: int) -> Paper:
    """The same paper with plain text (keeping the abstract's URLs, which become links)."""
    urls = " ".join(url for _, _, url in find_urls(paper.abstract))
    return paper.model_copy(update={"title": f"Plain title {n}", "abstract": f"Plain abstract. {urls}".strip(), "tldr": "Plain."})


def parsed(catalogue: Catalogue) -> PageParser:
    parser = PageParser()
    for html in rendered_html(catalogue).values():
        parser.feed(html)
    return parser


def shown(value: str) -> str:
    """Text as the page shows it: control characters (no visible form) as U+FFFD."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "\ufffd", value)


def test_hostile_text_is_stored_verbatim_shown_as_text_and_compiles_in_bibtex(project: Path, tmp_path: Path):
    for name in HOSTILE:
        shutil.copy(CORPUS / "listings" / name, project / "listings" / name)
    done = cli(project, "import")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    catalogue = store.load(project / "papers.yaml")
    hostile = [p for p in catalogue.papers if p.id != EXISTING.id]
    assert len(hostile) == sum(len(CASES["listings"][n]["papers"]) for n in HOSTILE)

    # The pages have exactly the elements and attributes they have for plain text ...
    page = parsed(catalogue)
    plain = parsed(catalogue.model_copy(update={"papers": [neutral(p, n) for n, p in enumerate(catalogue.papers)]}))
    assert [(tag, sorted(attrs)) for tag, attrs in page.tags] == [(tag, sorted(attrs)) for tag, attrs in plain.tags]
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value or "")
            if name in ("href", "src", "action", "formaction") and scheme:
                assert scheme[1].lower() in ("http", "https"), (tag, attributes)
    # ... and show every title and abstract as written.
    for paper in hostile:
        assert shown(paper.title) in page.headings, paper.title
        assert shown(paper.abstract) in page.abstracts, paper.abstract

    bib = "".join(library_chunks(catalogue.papers))
    assert "\\input" not in bib and "\\def" not in bib and "\\include" not in bib
    (tmp_path / "refs.bib").write_text(bib, encoding="utf-8")
    (tmp_path / "refs.aux").write_text("\\citation{*}\n\\bibdata{refs}\n\\bibstyle{plain}\n", encoding="utf-8")
    compiled = subprocess.run(["bibtex", "refs"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = (tmp_path / "refs.blg").read_text(encoding="utf-8")
    assert compiled.returncode == 0 and "Warning--" not in log and "error message" not in log, log


# --- big inputs, made here: size and time are bounded -----------------------------------


def test_line_of_several_megabytes_is_skipped_with_a_located_warning_in_bounded_time(project: Path):
    big = "Big Title Before A Huge Line\n" + "<script>" * 750_000 + "\nA Good New Paper\nIts abstract.\n"
    (project / "listings" / "huge-line.txt").write_text(big, encoding="utf-8")
    start = time.monotonic()
    done = cli(project, "import", "listings/huge-line.txt")
    seconds = time.monotonic() - start
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: listings/huge-line.txt:2: line of 6,000,000 characters skipped (limit 100,000)",
        "warning: listings/huge-line.txt:1: entry 'Big Title Before A Huge Line' has no abstract (listing cut off?), skipped",
    ]
    assert set(titles(project / "papers.yaml")) == {EXISTING.title, "A Good New Paper"}
    print(f"6 MB line: import in {seconds:.1f} s")
    assert seconds < 60


def test_abstract_longer_than_the_schema_allows_skips_only_that_entry(project: Path):
    listing = "Too Long Abstract\n" + "word " * 6_000 + "\nA Good New Paper\nIts abstract.\n"
    (project / "listings" / "long.txt").write_text(listing, encoding="utf-8")
    done = cli(project, "import", "listings/long.txt")
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "warning: listings/long.txt:1: entry skipped: abstract: String should have at most 20000 characters"
    ]
    assert set(titles(project / "papers.yaml")) == {EXISTING.title, "A Good New Paper"}


def test_listing_over_the_size_limit_is_refused_without_reading_it(project: Path):
    from generator.ingest.listings import MAX_LISTING_BYTES

    path = project / "listings" / "huge.txt"
    with path.open("wb") as handle:  # sparse: no 21 MB written to disk
        handle.truncate(MAX_LISTING_BYTES + 1)
    before = (project / "papers.yaml").read_bytes()
    done = cli(project, "import", "listings/huge.txt")
    assert_one_line_refusal(done, "listings/huge.txt", f"listing is {MAX_LISTING_BYTES + 1:,} bytes, over the limit")
    assert (project / "papers.yaml").read_bytes() == before


def big_catalogue(path: Path, megabytes: int) -> int:
    """A valid catalogue of at least ``megabytes`` MB, written as text (fast); its paper count."""
    head = yaml_text(Catalogue(topics=TOPICS, papers=[])).replace("papers: []\n", "papers:\n")
    abstract = "We study how robots act in the world with vision-language-action models. " * 25
    parts, size, n = [head], len(head), 0
    while size < megabytes * 1024 * 1024:
        part = (
            f"- id: paper-{n:06d}\n  title: 'Paper number {n}: a study of acting'\n  authors:\n  - Ann Author\n"
            f"  date: 2024-03-{n % 28 + 1:02d}\n  topics:\n  - vla-models\n  tldr: We study how robots act.\n"
            f"  bibtex_key: author2024paper{n}\n  abstract: {abstract.strip()}\n"
        )
        parts.append(part)
        size += len(part)
        n += 1
    path.write_text("".join(parts), encoding="utf-8")
    return n


def test_catalogue_of_50_mb_is_validated_in_bounded_time(tmp_path: Path):
    count = big_catalogue(tmp_path / "papers.yaml", 50)
    assert (tmp_path / "papers.yaml").stat().st_size < store.read.MAX_BYTES  # so it must be read, not refused
    start = time.monotonic()
    done = cli(tmp_path, "validate", "-q")
    seconds = time.monotonic() - start
    assert_no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f"valid: {count} papers" in done.stdout
    print(f"50 MB catalogue ({count} papers): validate in {seconds:.1f} s")
    assert seconds < 60


def test_catalogue_over_the_size_limit_is_refused_at_once(tmp_path: Path):
    path = tmp_path / "papers.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse, and NUL bytes: refused before any read
    env_limit = str(10 * 1024 * 1024)
    start = time.monotonic()
    env = dict(os.environ, ATLAS_MAX_CATALOGUE_BYTES=env_limit, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "generator", "validate"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert time.monotonic() - start < 10
    assert_no_traceback(done)
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == f"error: papers.yaml: catalogue is {50 * 1024 * 1024:,} bytes, over the limit of {int(env_limit):,}"


@pytest.mark.parametrize(
    "depth, layout",
    [
        (100, "flow"),  # past our limit, under libyaml's: our reader notices
        (5_000, "flow"),  # past libyaml's own limit (1,000 in PyYAML 6.0.4): its scanner notices first
        (100_000, "flow"),  # deep enough that a recursing composer would crash the interpreter
        (200, "block"),  # block mappings, one level per line: located at the line that goes too deep
    ],
)
def test_deeply_nested_yaml_is_refused_not_crashed(project: Path, depth: int, layout: str):
    if layout == "flow":
        text = "topics: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "topics:\n" + "".join(" " * level + "a:\n" for level in range(1, depth))
    (project / "deep.yaml").write_text(text, encoding="utf-8")
    done = cli(project, "--catalogue", "deep.yaml", "validate")
    assert_no_traceback(done)
    assert done.returncode == 1, (done.returncode, done.stderr)  # not -11: libyaml recursing to a segfault
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    # One located line in the project's own words, whichever layer noticed first.
    found = re.fullmatch(r"error: deep\.yaml:(\d+): nested more than (\d+) levels deep", errors[0])
    assert found, errors[0]
    line, limit = int(found.group(1)), int(found.group(2))
    assert limit < depth
    if layout == "block":
        assert line <= limit + 2  # the line where the document first goes past the limit
    else:
        assert line == 1


def test_alias_bomb_is_refused_at_its_first_anchor_in_bounded_time(project: Path):
    # 9 levels of 9 aliases: 387 million strings if expanded.
    start = time.monotonic()
    done = cli(project, "--catalogue", str(CORPUS / "catalogues" / "billion-laughs.yaml"), "validate")
    assert time.monotonic() - start < 10
    assert done.returncode == 1 and "anchors and aliases" in done.stderr.splitlines()[0]
