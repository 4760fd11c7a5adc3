"""Properties that hold for any text at all (hypothesis, derandomized for CI).

* import is idempotent and independent of the order of listings;
* ids and bibtex_keys never change: not on re-import, not after a curator corrects a
  title, a date or the authors;
* BibTeX for arbitrary Unicode titles compiles with the real ``bibtex`` and plain.bst,
  without a warning;
* any title or abstract reaches the page as the same text, and creates no element or
  attribute there.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import markdown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import store
from generator.render import pages
from generator.render.bibtex import entry_text, library_chunks
from generator.ingest.importer import run_import
from generator.model import MIN_YEAR, Catalogue, Paper, Topic, last_year
from generator.text import lookalike_key

TOPICS = [
    Topic(slug="vla-models", title="VLA", description="Vision-language-action models.", phrases=["vision-language-action", "VLA"]),
    Topic(slug="gui-agents", title="GUI agents", description="Agents on screens.", phrases=["GUI agent", "web agent"]),
    Topic(slug="related-work", title="Adjacent", description="Everything else."),
]

#: Modest example counts and a fixed derivation of examples: the file runs in well under a
#: minute and CI sees the same examples on every run.
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

# --- text strategies ---------------------------------------------------------------------------

SPECIALS = list("<>&\"'{}%$#_^~\\[]()!*:/=`|@;,.?-+") + [
    "<script>", "</h3>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "[x](javascript:y)",
    "{{ config }}", "{% include 'x' %}", "\\input{/etc/passwd}", "\\def\\x{y}", "&amp;", "&#10;", "<!--", "-->",
    "VLA", "GUI agent", "vision-language-action", " and ", "others", "é", "ß", "İ", "中文", "😀", "\u200b", "\u202e",
]
#: Any character a listing line can hold: no line breaks, no NUL, no lone surrogates.
LINE_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\x00")
LINE_TEXT = st.lists(st.one_of(st.sampled_from(SPECIALS), LINE_CHAR), min_size=1, max_size=12).map("".join)
WORDS = st.sampled_from(["Robot", "Ação", "Модель", "模型", "Ωmega", "Agent", "Zürich"])

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@st.composite
def entries(draw) -> str:
    """One listing entry: a title and abstract line (led by a word, so neither reads as
    metadata), then optionally `• N authors` or an organisation, `·` and a dated line."""
    title = f"{draw(WORDS)} {draw(LINE_TEXT)}".strip()
    abstract = f"We {draw(LINE_TEXT)}".strip()
    lines = [title, abstract]
    meta = draw(st.sampled_from(["none", "authors", "organisation"]))
    if meta != "none":
        lines.append(f"• {draw(st.integers(1, 99))} authors" if meta == "authors" else f"{draw(WORDS)} Lab")
        lines += ["·", f"{draw(st.sampled_from(MONTHS))} {draw(st.integers(1, 28))}, {draw(st.integers(2015, 2025))} {draw(st.integers(0, 999))}"]
    return "\n".join(lines)


LISTINGS = st.lists(st.lists(entries(), min_size=1, max_size=4).map(lambda e: "\n\n".join(e) + "\n"), min_size=2, max_size=3)


def new_catalogue(directory: Path) -> Path:
    path = directory / "papers.yaml"
    store.save(Catalogue(topics=TOPICS, papers=[]), path)
    return path


def write_listings(directory: Path, texts: list[str]) -> list[Path]:
    (directory / "listings").mkdir()
    paths = []
    for i, text in enumerate(texts):
        path = directory / "listings" / f"{i:03d}_search.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


# --- import: idempotent, order-independent -------------------------------------------------------


@PROPERTY
@given(texts=LISTINGS, permutation=st.randoms(use_true_random=False))
def test_import_is_idempotent_and_independent_of_the_order_of_listings(texts, permutation):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_listings(root, texts)
        shuffled = list(paths)
        permutation.shuffle(shuffled)

        runs = {}
        for name, order in (("given", paths), ("shuffled", shuffled), ("reversed", paths[::-1])):
            (root / name).mkdir()
            catalogue = new_catalogue(root / name)
            report = run_import(catalogue, order, roots=[root])  # the listings sit beside the catalogues
            assert report.written
            runs[name] = catalogue.read_bytes()
        assert runs["given"] == runs["shuffled"] == runs["reversed"]

        # Idempotent: a second import writes nothing and finds every paper unchanged.
        again = run_import(root / "given" / "papers.yaml", shuffled, roots=[root])
        assert not again.written and again.new == again.merged == 0
        assert (root / "given" / "papers.yaml").read_bytes() == runs["given"]

        # One listing at a time, in any order: the same papers, none lost.
        (root / "one-by-one").mkdir()
        catalogue = new_catalogue(root / "one-by-one")
        for path in shuffled:
            run_import(catalogue, [path], roots=[root])
        at_once = {lookalike_key(p.title) for p in store.load(root / "given" / "papers.yaml").papers}
        one_by_one = {lookalike_key(p.title) for p in store.load(catalogue).papers}
        assert one_by_one == at_once
        assert len(at_once) == len({lookalike_key(t.split("\n")[0]) for text in texts for t in text.split("\n\n")})


# --- ids and keys are permanent -----------------------------------------------------------------

CORRECTIONS = st.lists(
    st.tuples(
        st.integers(0, 50),
        st.sampled_from(["title", "date", "authors"]),
        LINE_TEXT,
        # A date a curator may write: within the schema's range.
        st.dates(min_value=dt.date(MIN_YEAR, 1, 1), max_value=dt.date(last_year(), 12, 31)).map(lambda d: d.isoformat()),
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY
@given(texts=LISTINGS, corrections=CORRECTIONS)
def test_ids_and_bibtex_keys_never_change_on_reimport_or_after_corrections(texts, corrections):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = write_listings(root, texts)
        catalogue = new_catalogue(root)
        run_import(catalogue, paths)
        first = store.load(catalogue)
        permanent = {p.id: p.bibtex_key for p in first.papers}

        run_import(catalogue, paths)
        assert {p.id: p.bibtex_key for p in store.load(catalogue).papers} == permanent

        # A curator corrects titles, dates and authors in papers.yaml, then imports again.
        papers = {p.id: p for p in first.papers}
        ids = sorted(papers)
        expected: dict[str, dict] = {}
        for n, (index, field, text, date) in enumerate(corrections):
            paper_id = ids[index % len(ids)]
            value = {"title": f"Corrected {n}: {text}".strip(), "date": date, "authors": [f"{text} Author".strip()]}[field]
            papers[paper_id] = papers[paper_id].model_copy(update={field: value})
            expected.setdefault(paper_id, {})[field] = value
        store.save(first.model_copy(update={"papers": list(papers.values())}), catalogue)

        run_import(catalogue, paths)
        after = {p.id: p for p in store.load(catalogue).papers}
        assert {i: p.bibtex_key for i, p in after.items()} == permanent
        for paper_id, fields in expected.items():
            for field, value in fields.items():
                assert getattr(after[paper_id], field) == value, (paper_id, field)

        # The listings change their dates (a new capture of the page): still the same ids and keys.
        for path in paths:
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"(?m)^((?:%s) \d+), \d{4}" % "|".join(MONTHS), r"\1, 2014", text), encoding="utf-8")
        run_import(catalogue, paths)
        assert {p.id: p.bibtex_key for p in store.load(catalogue).papers} == permanent


# --- BibTeX compiles for any title --------------------------------------------------------------

ANY_TITLE = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80).filter(
    lambda t: any(unicodedata.category(c)[0] in "LNPS" for c in t)
)


@settings(PROPERTY, max_examples=20)
@given(titles=st.lists(ANY_TITLE, min_size=40, max_size=40))
def test_bibtex_of_arbitrary_unicode_titles_compiles_with_plain_bst_without_warnings(titles):
    papers = [
        Paper(id=f"p{i}", title=title, topics=["vla-models"], tldr="One.", abstract="An abstract.", bibtex_key=f"p{i}",
              authors=["Ann Author"] if i % 2 else [], date="2024-03-05" if i % 3 else None)
        for i, title in enumerate(titles)
    ]
    with tempfile.TemporaryDirectory() as tmp:  # all 40 entries in one bibtex run
        directory = Path(tmp)
        (directory / "refs.bib").write_text("".join(library_chunks(papers)), encoding="utf-8")
        (directory / "refs.aux").write_text("\\citation{*}\n\\bibdata{refs}\n\\bibstyle{plain}\n", encoding="utf-8")
        done = subprocess.run(["bibtex", "refs"], cwd=directory, capture_output=True, timeout=60)
        log = (directory / "refs.blg").read_text(encoding="utf-8", errors="replace")
        assert done.returncode == 0, log
        assert "Warning--" not in log and "error message" not in log, log
        assert (directory / "refs.bbl").read_text(encoding="utf-8").count("\\bibitem") == len(papers)


# --- the page shows any text as text -------------------------------------------------------------


class _Page(HTMLParser):
    """The tags and attribute names of a page, and the text of its paper heading and abstract."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.shape: list[tuple[str, tuple[str, ...]]] = []
        self.heading = ""
        self.abstract = ""
        self._into: str | None = None
        self._permalink = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.shape.append((tag, tuple(sorted(attributes))))
        if tag == "h3" and attributes.get("id") == "p":
            self._into = "heading"
        elif tag == "p" and attributes.get("class") == "paper-abstract-text":
            self._into = "abstract"
        elif tag == "a" and attributes.get("class") == "headerlink":
            self._permalink = True

    def handle_endtag(self, tag):
        if tag == "a":
            self._permalink = False
        elif tag in ("h3", "p"):
            self._into = None

    def handle_data(self, data):
        if self._into and not self._permalink:
            setattr(self, self._into, getattr(self, self._into) + data)


def page_of(title: str, abstract: str) -> _Page:
    """The topic page of a one-paper catalogue, as the browser gets it (Python-Markdown with
    mkdocs.yml's extensions), parsed."""
    paper = Paper(id="p", title=title, topics=["vla-models"], tldr="One sentence.", abstract=abstract, bibtex_key="p", date="2024-03-05")
    catalogue = Catalogue(topics=TOPICS, papers=[paper])
    text = dict(pages.Layout(catalogue, {paper.id: entry_text(paper)}).files())["topics/vla-models/index.md"]
    body = text.split("---\n", 2)[2]
    html = markdown.markdown(body, extensions=["attr_list", "tables", "toc"], extension_configs={"toc": {"permalink": True}})
    page = _Page()
    page.feed(html)
    page.close()
    return page


def as_displayed(value: str) -> str:
    """What the reader must see: the text itself; line ends as newlines, control characters
    (which have no visible form) as U+FFFD, and a run of spaces and tabs as one space, as
    the browser shows it (Python-Markdown expands tabs to spaces, even in raw HTML)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "\ufffd", value)
    return re.sub("[ \t]+", " ", value)


PAGE_TEXT = st.lists(st.one_of(st.sampled_from(SPECIALS), st.characters(blacklist_categories=("Cs",))), min_size=1, max_size=30).map(
    "".join
).filter(lambda t: t.strip() and "://" not in t)  # URLs in an abstract become links, by design
BASELINE = page_of("Title", "Abstract.")


@settings(PROPERTY, max_examples=300)
@given(title=PAGE_TEXT, abstract=PAGE_TEXT)
def test_any_title_and_abstract_reach_the_page_verbatim_and_inert(title, abstract):
    page = page_of(title, abstract)
    assert as_displayed(page.heading) == as_displayed(title)
    assert as_displayed(page.abstract) == as_displayed(abstract)
    # The same elements and attributes as for a plain title: the text created none.
    assert page.shape == BASELINE.shape
