"""Speed and scale benchmark: synthetic catalogues of 1,000 to 100,000 papers, every stage timed.

Synthetic papers are made from the real ones (papers.yaml, completed with the recorded
metadata file ``data/papers-metadata.jsonl`` the way ``enrich`` would complete it), with a
seeded ``random.Random``, so the same seed and size always give the same catalogue:

* the title recombines the words of two real titles and ends in a serial, ``(1234)``,
  which keeps normalised titles unique; the id is the title's slug plus ``-<serial>``;
* abstract, TL;DR, topics, tags, links come from one real paper; authors, venue,
  organisation, upvotes from another; dates are spread over the real papers' years;
  arXiv ids are made up from the date and the serial; BibTeX keys come from
  ``generator.ingest.keys.KeyAllocator``, unique as in a real catalogue;
* the same papers are also written as listings, text dumps in the Hugging Face shape
  (:func:`listing_text`), for the parse and import stages; a few papers are listed twice.

Each size runs in its own directory, a copy of the project (mkdocs.yml, the hand-written
pages of docs/, the generator) with the synthetic papers.yaml, and each measurement runs
in a fresh Python process, so peak memory and caches never mix:

1. ``import``: parse the listings, then merge them into an empty catalogue with the real
   taxonomy and save it (what ``python -m generator import`` does);
2. ``stages``: validate papers.yaml, then the BibTeX files, the Markdown pages and the
   exports (papers.json, chart), each written into a scratch docs/ (what ``build`` does
   before MkDocs, stage by stage);
3. ``site`` twice without MkDocs: the first ``build --no-mkdocs`` writes every generated
   file, the second must write none (the no-op rebuild);
4. ``site`` with MkDocs: the whole ``python -m generator build`` (strict), then the size of
   the largest HTML page and of the search index;
5. ``reference``: the same papers built "the plain way" by the same MkDocs and Material
   (:func:`reference_pages`: a page per topic, Markdown headings, ``???`` details
   admonitions, highlighted ``bibtex`` code blocks), for the build time ratio. Steps 4 and 5
   alternate ``repeat`` times and the fastest of each counts.

Peak memory is measured here, not by the generator: the measuring process's ``ru_maxrss``
plus that of its children (the import's worker processes; ``getrusage``'s figure for
children is the largest of them, which on Linux also counts what a child shared with this
process before it started: an upper bound).

``python bench/run.py`` (from the repository's root) runs it and writes the table
(:func:`results_markdown`) to bench/results.md; bench/README.md explains the columns and
the targets. It uses the generator's public names only.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from slugify import slugify

# Run as `python bench/run.py`: the generator is the package beside this directory.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.errors import AtlasError
from generator.ingest.keys import KeyAllocator
from generator.model import Catalogue, Paper
from generator.text import fingerprint
from generator.store import load, save  # noqa: E402
from generator.files import locked, write_if_changed  # noqa: E402

#: The sizes run by default.
SIZES = (1_000, 10_000, 100_000)
#: MkDocs (ours and the reference) is skipped from this size up by default: at 100,000
#: papers each build takes many minutes.
SKIP_MKDOCS_AT = 100_000
#: Papers per synthetic listing file (a real search page has tens; the parser's limit is 20 MB).
LISTING_PAPERS = 500
#: Share of papers listed a second time in another listing (the importer merges them).
RELISTED = 0.03

#: Targets (see bench/README.md). Sizes in bytes are decimal: 1 MB = 1,000,000 bytes.
TARGET_GENERATOR_SECONDS = 60.0
TARGET_GENERATOR_MB = 3 * 1024  # MiB, as reported by ru_maxrss
TARGET_RATIO = 1.0
AIM_RATIO = 0.5
TARGET_HTML_BYTES = 1_000_000
TARGET_SEARCH_BYTES_PER_PAPER = 2_000
TARGET_NOOP_SECONDS = 2.0
TARGET_SIZE_LARGE = 100_000
TARGET_SIZE_SITE = 10_000

#: The generator's stages, in pipeline order, as the table's columns.
STAGES = ("parse", "import", "validate", "bibtex", "pages", "export")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LISTING_HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n{captured}\n\n"
)



# --- memory, measured here ------------------------------------------------------------------


def _maxrss_mb(who: int) -> float:
    peak = resource.getrusage(who).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)  # bytes on macOS, KiB elsewhere


def peak_memory_mb() -> float:
    """Peak resident memory of this process plus that of its largest child (the import's
    worker processes, once they have ended), MiB."""
    return _maxrss_mb(resource.RUSAGE_SELF) + _maxrss_mb(resource.RUSAGE_CHILDREN)


def children_memory_mb() -> float:
    """Peak resident memory of this process's largest ended child, MiB (0: no child)."""
    return _maxrss_mb(resource.RUSAGE_CHILDREN)


# --- the real papers -----------------------------------------------------------------------


def real_catalogue(catalogue_path: Path | str) -> Catalogue:
    """The valid catalogue at ``catalogue_path``, its empty authors, arXiv ids, dates and
    venues filled from ``data/papers-metadata.jsonl`` beside it when that file exists (as
    ``python -m generator enrich`` would), so the synthetic papers have every kind of text."""
    catalogue_path = Path(catalogue_path)
    catalogue = load(catalogue_path)
    if not catalogue.papers:
        raise AtlasError("the benchmark needs real papers to copy from; the catalogue has none", str(catalogue_path))
    metadata = catalogue_path.resolve().parent / "data" / "papers-metadata.jsonl"
    if metadata.is_file():
        from generator.enrich.enrich import enrich_catalogue
        from generator.enrich.sources.metadata_file import MetadataFile

        catalogue = enrich_catalogue(catalogue, [MetadataFile(metadata)]).catalogue
    return catalogue


# --- synthetic catalogues and listings -----------------------------------------------------


@dataclass
class Synthetic:
    """A synthetic catalogue and the listings that show the same papers."""

    catalogue: Catalogue
    #: listing file name -> text in the Hugging Face dump format
    listings: dict[str, str]

    @property
    def listed_entries(self) -> int:
        """How many entries the listings hold (papers listed twice count twice)."""
        return sum(len(p.sources) for p in self.catalogue.papers)


def _recombined_title(rng: random.Random, first: str, second: str) -> str:
    """The start of one real title and the end of another."""
    head, tail = first.split(), second.split()
    cut_head = rng.randint(1, max(1, len(head) - 1))
    cut_tail = rng.randint(1, len(tail) - 1) if len(tail) > 1 else 0
    return " ".join(head[:cut_head] + tail[cut_tail:])


def _date(rng: random.Random, years: Sequence[int], month_only: bool) -> str:
    year, month = rng.choice(years), rng.randint(1, 12)
    return f"{year}-{month:02d}" if month_only else f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def synthesize(
    real: Catalogue, size: int, seed: int = 0, listing_papers: int = LISTING_PAPERS, relisted: float = RELISTED
) -> Synthetic:
    """``size`` synthetic papers made from ``real`` (see the module docstring), and their listings:
    ``listing_papers`` per listing, plus a share ``relisted`` of papers shown in a second one.

    Deterministic: the same arguments give equal catalogues and identical listing texts.
    Ids, BibTeX keys and normalised titles are unique; the catalogue passes validation.
    """
    if size < 1:
        raise AtlasError(f"a synthetic catalogue needs at least one paper, not {size}")
    rng = random.Random(f"action-atlas-bench/{seed}/{size}")
    papers_in = sorted(real.papers, key=lambda p: p.id)
    dated = [p for p in papers_in if p.date]
    years = sorted(int(p.date[:4]) for p in dated) or [2024]  # type: ignore[index]
    undated_share = 1 - len(dated) / len(papers_in)
    month_share = sum(1 for p in dated if len(p.date or "") == 7) / max(1, len(dated))
    arxiv_share = sum(1 for p in papers_in if p.arxiv_id) / len(papers_in)
    listing_count = -(-size // listing_papers)

    keys = KeyAllocator()
    papers: list[Paper] = []
    for serial in range(1, size + 1):
        text_donor, meta_donor = rng.choice(papers_in), rng.choice(papers_in)
        recombined = _recombined_title(rng, rng.choice(papers_in).title, rng.choice(papers_in).title)
        title = f"{recombined} ({serial})"
        date = None if rng.random() < undated_share else _date(rng, years, rng.random() < month_share)
        arxiv_id = None
        if date and rng.random() < arxiv_share:
            arxiv_id = f"{date[2:4]}{date[5:7]}.{serial % 100_000:05d}"
        listing = (serial - 1) * listing_count // size
        sources = [_listing_name(listing)]
        if listing_count > 1 and rng.random() < relisted:
            again = rng.randrange(listing_count - 1)
            sources.append(_listing_name(again if again < listing else again + 1))
        values: dict[str, Any] = {
            "title": title,
            "authors": list(meta_donor.authors),
            "authors_count": meta_donor.authors_count,
            "organization": meta_donor.organization,
            "date": date,
            "venue": meta_donor.venue,
            "arxiv_id": arxiv_id,
            "upvotes": meta_donor.upvotes,
            "topics": list(text_donor.topics),
            "tags": list(text_donor.tags),
            "tldr": text_donor.tldr,
            "links": dict(text_donor.links),
            "abstract": text_donor.abstract,
        }
        values = {name: value for name, value in values.items() if value not in (None, [], {})}
        generated = {name: fingerprint(value) for name, value in values.items()}
        provenance = {
            name: meta_donor.provenance[name]
            for name in ("authors", "venue")
            if name in values and name in meta_donor.provenance
        }
        key = keys.new_key(title, values.get("authors", ()), date)
        ident = f"{slugify(recombined, max_length=70, word_boundary=True) or 'paper'}-{serial}"
        papers.append(
            Paper.model_validate(
                values
                | {
                    "id": ident,
                    "bibtex_key": key,
                    "sources": sorted(sources),
                    "provenance": provenance,
                    "generated": generated,
                }
            )
        )
    catalogue = Catalogue(topics=real.topics, papers=papers)
    return Synthetic(catalogue, synthetic_listings(papers, rng))


def _listing_name(index: int) -> str:
    return f"bench_{index:05d}.txt"


def synthetic_listings(papers: Sequence[Paper], rng: random.Random) -> dict[str, str]:
    """Listing texts showing ``papers``: each paper in every listing its ``sources`` name."""
    by_listing: dict[str, list[Paper]] = {}
    for paper in papers:
        for name in paper.sources:
            by_listing.setdefault(name, []).append(paper)
    # Every fifth listing has the compact shape: no blank lines between lines.
    return {
        name: listing_text(shown, rng, compact=index % 5 == 3)
        for index, (name, shown) in enumerate(sorted(by_listing.items()))
    }


def listing_text(papers: Iterable[Paper], rng: random.Random, compact: bool = False) -> str:
    """A Hugging Face search page as its text dump: boilerplate, capture date, then per paper
    its title, abstract and ``• N authors`` (or organisation), ``·``, ``Mon D, YYYY [upvotes]``."""
    blocks = []
    for paper in papers:
        lines = [paper.title, " ".join(paper.abstract.split())]
        authors = paper.authors_count or len(paper.authors)
        if authors:
            lines.append(f"  • {authors} author{'' if authors == 1 else 's'}")
        elif paper.organization:
            lines.append(paper.organization)
        if paper.date:
            day = int(paper.date[8:10]) if len(paper.date) == 10 else 1
            shown = f"{MONTHS[int(paper.date[5:7]) - 1]} {day}, {paper.date[:4]}"
            if paper.upvotes is not None:
                shown += f" {paper.upvotes}"
            if authors or paper.organization:
                lines.append("·")
            lines.append(shown)
        blocks.append(lines)
    captured = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
    if compact:  # the first title glued to "Subscribe", as some captures have it
        body = "\n".join(line for block in blocks for line in block)
        return "Get trending papers in your email inbox!\nSubscribe" + body + "\n"
    entries = ("\n\n".join(block[:2]) + "\n\n" + "\n".join(block[2:]) for block in blocks)
    return LISTING_HEADER.format(captured=captured) + "\n\n".join(entries) + "\n"


# --- the reference site --------------------------------------------------------------------

REFERENCE_MKDOCS = """\
# The reference: the same papers built the plain way, by the same MkDocs and Material.
site_name: Action Atlas (reference build)
site_url: https://example.org/reference/
theme:
  name: material
  font: false
  features:
    - navigation.sections
    - content.code.copy
plugins:
  - search
markdown_extensions:
  - admonition
  - attr_list
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.superfences
  - toc:
      permalink: true
"""


def _indented(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.splitlines())


def reference_pages(catalogue: Catalogue, bibtex: dict[str, str]) -> dict[str, str]:
    """The reference site's Markdown: a home page and one page per topic listing every paper
    of the topic, newest first, as ``### title``, a meta line, the TL;DR, a ``??? abstract``
    block and a ``??? quote`` block holding a ``bibtex`` code block."""
    index = "".join(f"- [{t.title}]({t.slug}.md)\n" for t in catalogue.topics)
    files = {"index.md": "# Action Atlas (reference build)\n\n" + index}
    members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
    for paper in catalogue.papers:
        for slug in paper.topics:
            members[slug].append(paper)
    for topic in catalogue.topics:
        out = [f"# {topic.title}\n\n{topic.description}\n\n"]
        for paper in sorted(members[topic.slug], key=lambda p: (p.date or "", p.id), reverse=True):
            meta = [paper.date or "undated", ", ".join(paper.authors) or "authors unknown"]
            if paper.venue:
                meta.append(paper.venue)
            abstract = " ".join(paper.abstract.split())
            fenced = f"```bibtex\n{bibtex[paper.id].rstrip()}\n```"
            out.append(
                f"### {paper.title}\n\n*{' · '.join(meta)}*\n\n**TL;DR** {paper.tldr}\n\n"
                f'??? abstract "Abstract"\n\n{_indented(abstract)}\n\n'
                f'??? quote "BibTeX"\n\n{_indented(fenced)}\n\n'
            )
        files[f"{topic.slug}.md"] = "".join(out)
    return files


# --- one size: the project directory -------------------------------------------------------


def _copy_project(root: Path, project: Path) -> None:
    """mkdocs.yml, the hand-written pages of docs/ and a link to the generator, in ``project``."""
    from generator.site import is_generated

    project.mkdir(parents=True)
    shutil.copy2(root / "mkdocs.yml", project / "mkdocs.yml")
    docs = root / "docs"
    for path in sorted(docs.rglob("*")):
        relative = path.relative_to(docs).as_posix()
        if path.is_file() and not is_generated(relative):
            (project / "docs" / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, project / "docs" / relative)
    (project / "docs").mkdir(exist_ok=True)
    # mkdocs.yml names the hook and the theme override relative to itself.
    (project / "generator").symlink_to(Path(__file__).resolve().parent.parent / "generator", target_is_directory=True)


def prepare(root: Path, real: Catalogue, size: int, project: Path, seed: int, reference: bool) -> Synthetic:
    """Write the synthetic project for ``size`` papers into ``project`` (and its reference)."""
    from generator.bibtex import entry_text

    synthetic = synthesize(real, size, seed)
    _copy_project(root, project)
    save(synthetic.catalogue, project / "papers.yaml")
    save(Catalogue(topics=real.topics, papers=[]), project / "empty.yaml")
    listings = project / "listings"
    listings.mkdir()
    for name, text in synthetic.listings.items():
        (listings / name).write_text(text, encoding="utf-8")
    if reference:
        ref = project / "reference"
        (ref / "docs").mkdir(parents=True)
        (ref / "mkdocs.yml").write_text(REFERENCE_MKDOCS, encoding="utf-8")
        bibtex = {p.id: entry_text(p) for p in synthetic.catalogue.papers}
        for name, text in reference_pages(synthetic.catalogue, bibtex).items():
            (ref / "docs" / name).write_text(text, encoding="utf-8")
    return synthetic


# --- measurements, each in a fresh process -------------------------------------------------


class _Timer:
    """Times named stages (wall clock, and CPU time of this process); with a profile
    directory, also writes a cProfile report per stage."""

    def __init__(self, profile_dir: str | None, label: str):
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        #: The process's peak memory (MiB) when each stage ended: where the peak was reached.
        self.peak_after: dict[str, float] = {}
        self.profile_dir = Path(profile_dir) if profile_dir else None
        self.label = label

    def run(self, name: str, func: Callable[..., Any], *args: Any) -> Any:
        profiler = cProfile.Profile() if self.profile_dir else None
        start, cpu = time.perf_counter(), time.process_time()
        if profiler:
            result = profiler.runcall(func, *args)
        else:
            result = func(*args)
        self.seconds[name] = time.perf_counter() - start
        self.cpu_seconds[name] = time.process_time() - cpu
        self.peak_after[name] = peak_memory_mb()
        if profiler and self.profile_dir:
            self.profile_dir.mkdir(parents=True, exist_ok=True)
            report = io.StringIO()
            stats = pstats.Stats(profiler, stream=report)
            report.write(f"# {self.label} {name}: {self.seconds[name]:.2f} s (profiled)\n\n## by cumulative time\n")
            stats.sort_stats("cumulative").print_stats(45)
            report.write("\n## by own time\n")
            stats.sort_stats("tottime").print_stats(30)
            (self.profile_dir / f"{self.label}-{name}.txt").write_text(report.getvalue(), encoding="utf-8")
            stats.dump_stats(self.profile_dir / f"{self.label}-{name}.prof")
        return result


def _write(docs: Path, files: dict[str, str | bytes]) -> int:
    written = 0
    for path, content in sorted(files.items()):
        target = docs / path
        target.parent.mkdir(parents=True, exist_ok=True)
        written += write_if_changed(target, content)
    return written


def _task_import(project: Path, timer: _Timer) -> dict[str, Any]:
    """Parse every listing, then merge into the empty catalogue and save it (as run_import)."""
    from generator.ingest.importer import combine, merge
    from generator.ingest.listings import read_listing

    paths = sorted((project / "listings").glob("*.txt"))
    listings = timer.run("parse", lambda: [read_listing(path) for path in paths])
    target = project / "empty.yaml"

    def do_import() -> Any:
        listed, _ = combine(listings)
        with locked(target):
            merged, report = merge(load(target), listed)
            save(merged, project / "imported.yaml")
        return report

    report = timer.run("import", do_import)
    warnings = sum(len(listing.warnings) for listing in listings)
    return {
        "entries": sum(len(l.entries) for l in listings),
        "new": report.new,
        "listing_warnings": warnings,
    }


def _task_stages(project: Path, timer: _Timer) -> dict[str, Any]:
    """validate, BibTeX, pages and exports, each written into a scratch docs/, the way
    ``build`` makes and writes them (``site.generated_files``), stage by stage."""
    from generator import pages
    from generator.bibtex import entry_text
    from generator.site import SiteSettings, bib_files, export_files, load_mkdocs_config, write_files
    from generator.store import check

    path = project / "papers.yaml"
    links = SiteSettings.from_mkdocs(load_mkdocs_config(project / "mkdocs.yml"), path).links
    scratch = project / "scratch-docs"
    scratch.mkdir(exist_ok=True)

    def do_validate() -> Catalogue:
        verdict = check(path)
        if verdict.errors:
            raise verdict.errors[0]
        assert verdict.catalogue is not None
        return verdict.catalogue

    def do_bibtex() -> dict[str, str]:
        # Every entry once, then the .bib files from them (as site.generated_files does).
        bibtex = {p.id: entry_text(p) for p in catalogue.papers}
        write_files(scratch, bib_files(catalogue, bibtex))
        return bibtex

    def do_pages() -> tuple[dict[str, str], int]:
        layout = pages.Layout(catalogue, bibtex, links)
        written = write_files(scratch, layout.files())
        return layout.locations, len(written.sizes)

    def do_export() -> None:
        write_files(scratch, export_files(catalogue, path.read_bytes(), locations, bibtex, links.site_url))

    catalogue = timer.run("validate", do_validate)
    bibtex = timer.run("bibtex", do_bibtex)
    locations, markdown_files = timer.run("pages", do_pages)
    timer.run("export", do_export)
    return {"papers": len(catalogue.papers), "markdown_files": markdown_files}


def _mtimes(directory: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in directory.rglob("*") if p.is_file()}


def _task_site(project: Path, timer: _Timer, mkdocs: bool) -> dict[str, Any]:
    """``python -m generator build`` (``--no-mkdocs`` unless ``mkdocs``), counting the files
    in docs/ whose modification time changed, and how long its generation and MkDocs took."""
    from generator import site

    spent: dict[str, list[float]] = {"generate": [], "run_mkdocs": []}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - start)

        return wrapper

    # Looked up by name at each call, by site.build and by the MkDocs hook alike.
    site.generate = timed("generate", site.generate)  # type: ignore[assignment]
    site.run_mkdocs = timed("run_mkdocs", site.run_mkdocs)  # type: ignore[assignment]
    docs = project / "docs"
    before = _mtimes(docs)
    generation, _ = timer.run("build" if mkdocs else "generate", lambda: site.build(project / "papers.yaml", mkdocs=mkdocs))
    after = _mtimes(docs)
    changed = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
    return {
        "files_changed": changed,
        "written": len(generation.written),
        "generate_runs": len(spent["generate"]),
        "generate_seconds": sum(spent["generate"]),
        "mkdocs_seconds": sum(spent["run_mkdocs"]),
    }


def _task_reference(project: Path, timer: _Timer) -> dict[str, Any]:
    """``mkdocs build`` of the reference site (its own mkdocs.yml, not strict)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    def do_build() -> None:
        config = load_config(config_file=str(project / "reference" / "mkdocs.yml"))
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()

    timer.run("build", do_build)
    return {}


_TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "import": _task_import,
    "stages": _task_stages,
    "site": _task_site,
    "reference": _task_reference,
}


def worker(spec_json: str) -> None:
    """Run one measurement (the body of a fresh process) and write its result as JSON.

    ``spec_json``: ``{"task", "project", "result", "label", "profile_dir", "options"}``.
    """
    spec = json.loads(spec_json)
    timer = _Timer(spec.get("profile_dir"), spec["label"])
    result = _TASKS[spec["task"]](Path(spec["project"]), timer, **spec.get("options", {}))
    result.update(seconds=timer.seconds, cpu_seconds=timer.cpu_seconds, peak_after=timer.peak_after, peak_mb=peak_memory_mb(), children_mb=children_memory_mb())
    Path(spec["result"]).write_text(json.dumps(result), encoding="utf-8")


def _spawn(task: str, project: Path, label: str, profile_dir: Path | None, **options: Any) -> dict[str, Any]:
    """Run ``task`` in a fresh Python process; its result, or an AtlasError with its last line."""
    result = project / f".result-{task}.json"
    result.unlink(missing_ok=True)
    spec = {
        "task": task,
        "project": str(project),
        "result": str(result),
        "label": label,
        "profile_dir": str(profile_dir) if profile_dir else None,
        "options": options,
    }
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not result.exists():
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit status {done.returncode}"]
        raise AtlasError(f"benchmark task {task!r} ({label}) failed: {lines[-1]}", str(project))
    return json.loads(result.read_text(encoding="utf-8"))


# --- the run -------------------------------------------------------------------------------


@dataclass
class SizeResult:
    """Everything measured for one catalogue size (seconds, MiB, bytes)."""

    size: int
    stages: dict[str, float] = field(default_factory=dict)
    stages_cpu: dict[str, float] = field(default_factory=dict)
    #: Peak memory (MiB) of the stage's process when the stage ended.
    stages_peak: dict[str, float] = field(default_factory=dict)
    peak_mb: float = 0.0
    #: The import process's peak plus its largest worker's (see :func:`peak_memory_mb`).
    import_peak_mb: float = 0.0
    #: The largest worker process's peak, MiB (0: the import ran in one process).
    import_workers_mb: float = 0.0
    stages_peak_mb: float = 0.0
    entries: int = 0
    listing_warnings: int = 0
    first_generate: float = 0.0
    noop_seconds: float = 0.0
    noop_files: int = 0
    mkdocs: bool = False
    #: The fastest of the repeated builds (wall clock); every run is in the lists below.
    build_seconds: float | None = None
    reference_seconds: float | None = None
    build_runs: list[float] = field(default_factory=list)
    reference_runs: list[float] = field(default_factory=list)
    build_cpu: float | None = None
    reference_cpu: float | None = None
    largest_html: int | None = None
    largest_html_page: str | None = None
    search_bytes: int | None = None
    reference_largest_html: int | None = None
    build_peak_mb: float | None = None
    #: Inside ``build``: how often the generation ran, its seconds in all, MkDocs' seconds.
    build_generate_runs: int | None = None
    build_generate_seconds: float | None = None
    build_mkdocs_seconds: float | None = None

    @property
    def generator_seconds(self) -> float:
        return sum(self.stages.get(name, 0.0) for name in STAGES)

    @property
    def generator_cpu(self) -> float:
        return sum(self.stages_cpu.get(name, 0.0) for name in STAGES)

    @property
    def ratio(self) -> float | None:
        if self.build_seconds is None or not self.reference_seconds:
            return None
        return self.build_seconds / self.reference_seconds

    @property
    def cpu_ratio(self) -> float | None:
        if self.build_cpu is None or not self.reference_cpu:
            return None
        return self.build_cpu / self.reference_cpu

    @property
    def search_per_paper(self) -> float | None:
        return None if self.search_bytes is None else self.search_bytes / self.size


def _largest_html(site_dir: Path) -> tuple[int, str]:
    sizes = [(p.stat().st_size, p.relative_to(site_dir).as_posix()) for p in site_dir.rglob("*.html")]
    return max(sizes) if sizes else (0, "")


def measure_size(
    root: Path,
    real: Catalogue,
    size: int,
    project: Path,
    *,
    mkdocs: bool,
    repeat: int = 1,
    seed: int = 0,
    profile_dir: Path | None = None,
    echo: Callable[[str], None] = print,
) -> SizeResult:
    """Prepare the synthetic project for ``size`` papers in ``project`` and measure it.

    The two MkDocs builds (ours, the reference) run ``repeat`` times, alternating, and the
    fastest of each counts: on a shared machine the minimum is the least disturbed run."""
    label = f"{size}"
    echo(f"[{size:,}] writing the synthetic catalogue, listings{' and reference pages' if mkdocs else ''}")
    start = time.perf_counter()
    synthetic = prepare(root, real, size, project, seed, reference=mkdocs)
    del synthetic
    echo(f"[{size:,}] prepared in {time.perf_counter() - start:.1f} s")
    result = SizeResult(size, mkdocs=mkdocs)

    imported = _spawn("import", project, label, profile_dir)
    result.stages.update(imported["seconds"])
    result.stages_cpu.update(imported["cpu_seconds"])
    result.stages_peak.update(imported["peak_after"])
    result.import_peak_mb, result.import_workers_mb = imported["peak_mb"], imported["children_mb"]
    result.entries, result.listing_warnings = imported["entries"], imported["listing_warnings"]
    if imported["new"] != size:
        raise AtlasError(f"import of the synthetic listings made {imported['new']} papers, expected {size}", str(project))
    echo(f"[{size:,}] parse {result.stages['parse']:.2f} s, import {result.stages['import']:.2f} s, peak {result.import_peak_mb:.0f} MB")

    stages = _spawn("stages", project, label, profile_dir)
    result.stages.update(stages["seconds"])
    result.stages_cpu.update(stages["cpu_seconds"])
    result.stages_peak.update(stages["peak_after"])
    result.stages_peak_mb = stages["peak_mb"]
    result.peak_mb = max(result.import_peak_mb, result.stages_peak_mb)
    echo(
        f"[{size:,}] "
        + ", ".join(f"{name} {stages['seconds'][name]:.2f} s" for name in STAGES[2:])
        + f", peak {result.stages_peak_mb:.0f} MB"
    )

    first = _spawn("site", project, label + "-first", profile_dir, mkdocs=False)
    result.first_generate = first["seconds"]["generate"]
    noop = _spawn("site", project, label + "-noop", profile_dir, mkdocs=False)
    result.noop_seconds, result.noop_files = noop["seconds"]["generate"], noop["files_changed"]
    echo(
        f"[{size:,}] build --no-mkdocs: first {result.first_generate:.2f} s ({first['files_changed']} files), "
        f"no-op {result.noop_seconds:.2f} s ({result.noop_files} files changed)"
    )

    if mkdocs:
        for attempt in range(1, repeat + 1):
            ours = _spawn("site", project, label + "-ours", profile_dir, mkdocs=True)
            result.build_runs.append(ours["seconds"]["build"])
            if ours["seconds"]["build"] == min(result.build_runs):
                result.build_seconds, result.build_cpu = ours["seconds"]["build"], ours["cpu_seconds"]["build"]
                result.build_generate_runs = ours["generate_runs"]
                result.build_generate_seconds, result.build_mkdocs_seconds = ours["generate_seconds"], ours["mkdocs_seconds"]
            result.build_peak_mb = max(result.build_peak_mb or 0.0, ours["peak_mb"])
            echo(
                f"[{size:,}] python -m generator build ({attempt}/{repeat}): {ours['seconds']['build']:.1f} s "
                f"(generation {ours['generate_seconds']:.1f} s in {ours['generate_runs']} runs, "
                f"MkDocs {ours['mkdocs_seconds']:.1f} s, CPU {ours['cpu_seconds']['build']:.1f} s)"
            )
            reference = _spawn("reference", project, label + "-reference", profile_dir)
            result.reference_runs.append(reference["seconds"]["build"])
            if reference["seconds"]["build"] == min(result.reference_runs):
                result.reference_seconds, result.reference_cpu = reference["seconds"]["build"], reference["cpu_seconds"]["build"]
            echo(
                f"[{size:,}] reference mkdocs build ({attempt}/{repeat}): {reference['seconds']['build']:.1f} s "
                f"(CPU {reference['cpu_seconds']['build']:.1f} s)"
            )
        site_dir = project / "site"
        result.largest_html, result.largest_html_page = _largest_html(site_dir)
        index = site_dir / "search" / "search_index.json"
        result.search_bytes = index.stat().st_size if index.exists() else None
        result.reference_largest_html, _ = _largest_html(project / "reference" / "site")
        echo(
            f"[{size:,}] fastest: ours {result.build_seconds:.1f} s, reference {result.reference_seconds:.1f} s, "
            f"ratio {result.ratio:.2f}; largest page {result.largest_html_page} {result.largest_html:,} B"
        )
    return result


def parse_sizes(text: str) -> list[int]:
    """``"1000,10000"`` -> ``[1000, 10000]``; a refusal names the bad part."""
    sizes = []
    for part in text.replace("_", "").split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise AtlasError(f"--sizes: {part!r} is not a positive whole number of papers")
        sizes.append(int(part))
    return sizes


@dataclass
class BenchRun:
    """What :func:`run` measured and where it put things."""

    results: list[SizeResult]
    #: The report in Markdown (:func:`results_markdown`).
    markdown: str
    #: The file the report was written to (None: not written).
    written: Path | None
    #: The kept work directory (None: removed).
    workdir: Path | None


def run(
    catalogue_path: Path,
    sizes: Sequence[int] = SIZES,
    *,
    out: Path | None = None,
    skip_mkdocs_at: int = SKIP_MKDOCS_AT,
    workdir: Path | None = None,
    profile: bool = False,
    repeat: int = 3,
    seed: int = 0,
    echo: Callable[[str], None] = print,
) -> BenchRun:
    """Measure every size, then write the Markdown report to ``out`` (if given).

    ``skip_mkdocs_at``: no MkDocs builds from this size up (0: never skip). ``workdir``:
    keep the synthetic projects there (default: a temporary directory, removed at the end).
    ``profile`` writes a cProfile report per stage into ``<workdir>/profiles`` and keeps the
    work directory; its inflated timings go to ``<workdir>/results-profiled.md``, never ``out``.
    ``repeat``: how often each MkDocs build runs (the fastest counts; see :func:`measure_size`).
    """
    if repeat < 1:
        raise AtlasError(f"--repeat must be at least 1, not {repeat}")
    catalogue_path = Path(catalogue_path).resolve()
    root = catalogue_path.parent
    real = real_catalogue(catalogue_path)
    keep = workdir is not None or profile
    base = Path(workdir).resolve() if workdir else Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    profile_dir = base / "profiles" if profile else None
    if profile:
        out = base / "results-profiled.md"
    load_before = os.getloadavg()[0]
    echo(
        f"benchmark: {len(real.papers)} real papers, sizes {', '.join(f'{s:,}' for s in sizes)}, "
        f"work directory {base}, load average {load_before:.2f}"
    )
    results = []
    try:
        for size in sizes:
            project = base / f"papers-{size}"
            if project.exists():
                shutil.rmtree(project)
            mkdocs = not (skip_mkdocs_at and size >= skip_mkdocs_at)
            results.append(
                measure_size(
                    root, real, size, project, mkdocs=mkdocs, repeat=repeat, seed=seed, profile_dir=profile_dir, echo=echo
                )
            )
            if not keep:
                shutil.rmtree(project)
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
    markdown = results_markdown(
        results, skip_mkdocs_at=skip_mkdocs_at, profiled=profile, load=(load_before, os.getloadavg()[0]), repeat=repeat
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(markdown, encoding="utf-8")
    return BenchRun(results, markdown, out, base if keep else None)


# --- the report ----------------------------------------------------------------------------


def _s(value: float | None) -> str:
    if value is None:
        return "skipped"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _met(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


def targets(results: Sequence[SizeResult]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for each target; met is None when the run did not measure it."""
    by_size = {r.size: r for r in results}
    rows: list[tuple[str, str, bool | None]] = []
    large = by_size.get(TARGET_SIZE_LARGE)
    rows.append(
        (
            f"generator stages at {TARGET_SIZE_LARGE:,} papers under {TARGET_GENERATOR_SECONDS:.0f} s",
            f"{large.generator_seconds:.1f} s" if large else "-",
            large.generator_seconds < TARGET_GENERATOR_SECONDS if large else None,
        )
    )
    rows.append(
        (
            f"generator stages at {TARGET_SIZE_LARGE:,} papers under 3 GB peak memory",
            f"{large.peak_mb:,.0f} MB" if large else "-",
            large.peak_mb < TARGET_GENERATOR_MB if large else None,
        )
    )
    site = by_size.get(TARGET_SIZE_SITE)
    ratio = site.ratio if site else None
    rows.append(
        (
            f"full site build at {TARGET_SIZE_SITE:,} papers at most the reference's time (ratio <= {TARGET_RATIO}, aim {AIM_RATIO})",
            f"{site.build_seconds:.1f} s / {site.reference_seconds:.1f} s = {ratio:.2f}" if ratio is not None else "-",  # type: ignore[union-attr]
            ratio <= TARGET_RATIO if ratio is not None else None,
        )
    )
    built = [r for r in results if r.largest_html is not None]
    biggest = max(built, key=lambda r: r.largest_html or 0) if built else None
    rows.append(
        (
            "no HTML page over 1 MB, at any size built",
            f"largest {biggest.largest_html:,} B ({biggest.largest_html_page}, {biggest.size:,} papers)" if biggest else "-",
            all((r.largest_html or 0) <= TARGET_HTML_BYTES for r in built) if built else None,
        )
    )
    indexed = [r for r in results if r.search_per_paper is not None]
    worst = max(indexed, key=lambda r: r.search_per_paper or 0) if indexed else None
    rows.append(
        (
            "search index under 2 KB per paper, at any size built",
            f"at most {worst.search_per_paper:,.0f} B/paper ({worst.size:,} papers)" if worst else "-",
            all((r.search_per_paper or 0) < TARGET_SEARCH_BYTES_PER_PAPER for r in indexed) if indexed else None,
        )
    )
    rows.append(
        (
            f"no-op rebuild at {TARGET_SIZE_SITE:,} papers writes no file, generator part <= {TARGET_NOOP_SECONDS:.0f} s",
            f"{site.noop_files} files, {site.noop_seconds:.2f} s" if site else "-",
            (site.noop_files == 0 and site.noop_seconds <= TARGET_NOOP_SECONDS) if site else None,
        )
    )
    return rows


def results_markdown(
    results: Sequence[SizeResult],
    *,
    skip_mkdocs_at: int = SKIP_MKDOCS_AT,
    profiled: bool = False,
    load: tuple[float, float] | None = None,
    repeat: int = 1,
) -> str:
    """The results as Markdown: the table, the targets (met / not met) and how it was run.
    ``load``: the 1-minute load average at the start and end of the run."""
    from importlib.metadata import version

    head = (
        "| papers | parse s | import s | validate s | BibTeX s | pages s | export s | generator s | peak MB "
        "| build ours s | reference s | ratio | largest HTML B | search B/paper | no-op s (files written) |"
    )
    lines = [head, "|" + "|".join([" ---: "] * (head.count("|") - 1)) + "|"]
    for r in results:
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r.size:,}",
                    *(_s(r.stages.get(name)) for name in STAGES),
                    _s(r.generator_seconds),
                    f"{r.peak_mb:,.0f}",
                    _s(r.build_seconds),
                    _s(r.reference_seconds),
                    "skipped" if r.ratio is None else f"{r.ratio:.2f}",
                    "skipped" if r.largest_html is None else f"{r.largest_html:,}",
                    "skipped" if r.search_per_paper is None else f"{r.search_per_paper:,.0f}",
                    f"{_s(r.noop_seconds)} ({r.noop_files})",
                ]
            )
            + " |"
        )
    out = ["# Benchmark results", ""]
    if profiled:
        out += ["**Profiled run: every timing is inflated by cProfile.**", ""]
    out += [
        f"`python bench/run.py` on {dt.date.today().isoformat()}: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, MkDocs {version('mkdocs')}, Material {version('mkdocs-material')}, "
        f"Markdown {version('markdown')}, pydantic {version('pydantic')}"
        + (f"; load average {load[0]:.1f} at the start, {load[1]:.1f} at the end." if load else "."),
        "",
        *lines,
        "",
        f"Seconds are wall-clock time in a fresh process per measurement; each MkDocs build ran {repeat} "
        f"time{'' if repeat == 1 else 's'}, alternating ours and the reference, and the table shows the fastest.",
        "",
    ]
    skipped = [r.size for r in results if not r.mkdocs]
    if skipped:
        out += [
            f"MkDocs (ours and the reference) skipped at {', '.join(f'{s:,}' for s in skipped)} papers "
            f"(`--skip-mkdocs-at {skip_mkdocs_at}`); the generator stages and the no-op rebuild still ran.",
            "",
        ]
    details = []
    for r in results:
        extra = [
            "peak memory when each stage ended (parse and import in one process, the rest in another): "
            + ", ".join(f"{name} {r.stages_peak[name]:,.0f} MB" for name in STAGES if name in r.stages_peak),
            f"generator stages {_s(r.generator_seconds)} s wall, {_s(r.generator_cpu)} s CPU of the main processes",
            (
                f"import's largest worker process peaked at {r.import_workers_mb:,.0f} MB (counted in the peak)"
                if r.import_workers_mb
                else "import used no worker process"
            ),
            f"first `build --no-mkdocs` {_s(r.first_generate)} s",
        ]
        if r.build_seconds is not None:
            runs = lambda values: ", ".join(_s(v) for v in values)  # noqa: E731
            extra += [
                f"`build` runs {runs(r.build_runs)} s, reference runs {runs(r.reference_runs)} s; CPU of the fastest "
                f"{_s(r.build_cpu)} s / {_s(r.reference_cpu)} s = {r.cpu_ratio:.2f}",
                f"in the fastest `build` the generation ran {r.build_generate_runs} times for {_s(r.build_generate_seconds)} s "
                f"in all, MkDocs took {_s(r.build_mkdocs_seconds)} s (its hook's generation included); peak {r.build_peak_mb:,.0f} MB",
                f"reference's largest HTML page {r.reference_largest_html:,} B",
            ]
        extra.append(f"{r.entries:,} listing entries, {r.listing_warnings} parser warnings")
        details.append(f"- {r.size:,} papers: " + "; ".join(extra) + ".")
    out += ["## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    out += [f"| {name} | {measured} | {_met(ok)} |" for name, measured, ok in targets(results)]
    out += ["", "## Details", "", *details, ""]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python bench/run.py [options]``: run the benchmark, print the table (see bench/README.md)."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=Path("papers.yaml"), help="the real catalogue (default: papers.yaml)")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="catalogue sizes, in papers")
    parser.add_argument("--out", type=Path, default=Path("bench/results.md"), help="where the Markdown table goes")
    parser.add_argument("--skip-mkdocs-at", type=int, default=SKIP_MKDOCS_AT, help="no MkDocs builds from this size up (0: never skip)")
    parser.add_argument("--workdir", type=Path, help="keep the synthetic projects in this directory")
    parser.add_argument("--profile", action="store_true", help="also write a cProfile report of every stage")
    parser.add_argument("--repeat", type=int, default=3, help="how often each MkDocs build runs; the fastest counts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic catalogues")
    parser.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)  # one measurement (see _spawn)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    try:
        done = run(
            args.catalogue,
            parse_sizes(args.sizes),
            out=args.out,
            skip_mkdocs_at=args.skip_mkdocs_at,
            workdir=args.workdir,
            profile=args.profile,
            repeat=args.repeat,
            seed=args.seed,
            echo=lambda line: print(line, file=sys.stderr),
        )
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(done.markdown)
    print(f"{done.written}: written" + (f"; work directory kept: {done.workdir}" if done.workdir else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
