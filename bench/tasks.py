"""One measurement of the benchmark, in a fresh Python process (``python bench/run.py
--worker SPEC``), so that peak memory and caches never mix; and the project directory of
one size that the measurements run in."""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

from generator.errors import AtlasError
from generator.files import locked, write_if_changed
from generator.model import Catalogue
from generator.store import load, save

from bench.synthetic import REFERENCE_MKDOCS, Synthetic, reference_pages, synthesize

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

# --- one size: the project directory -------------------------------------------------------


def _copy_project(root: Path, project: Path) -> None:
    """mkdocs.yml, the theme overrides and the hand-written pages of docs/, in ``project``."""
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
    # mkdocs.yml names the theme override relative to itself.
    shutil.copytree(root / "overrides", project / "overrides")


def prepare(root: Path, real: Catalogue, size: int, project: Path, seed: int, reference: bool) -> Synthetic:
    """Write the synthetic project for ``size`` papers into ``project`` (and its reference)."""
    from generator.render.bibtex import entries

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
        bibtex = entries(synthetic.catalogue)
        for name, text in reference_pages(synthetic.catalogue, bibtex).items():
            (ref / "docs" / name).write_text(text, encoding="utf-8")
    return synthetic


# --- measurements, each in a fresh process -------------------------------------------------


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the site builder and
    Pagefind, which ``build`` runs as subprocesses)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _Timer:
    """Times named stages (wall clock, and CPU time of this process and its finished
    children, see :func:`_cpu_seconds`); with a profile
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
        start, cpu = time.perf_counter(), _cpu_seconds()
        if profiler:
            result = profiler.runcall(func, *args)
        else:
            result = func(*args)
        self.seconds[name] = time.perf_counter() - start
        self.cpu_seconds[name] = _cpu_seconds() - cpu
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
    from generator.render import pages
    from generator.render.bibtex import bib_files, entries
    from generator.render.chart import chart_svg
    from generator.render.export import papers_json_chunks
    from generator.site import Settings, write_files
    from generator.store import check

    path = project / "papers.yaml"
    links = Settings.read(project / "mkdocs.yml", path.resolve()).links
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
        bibtex = entries(catalogue)
        write_files(scratch, bib_files(catalogue, bibtex))
        return bibtex

    def do_pages() -> tuple[dict[str, str], int]:
        layout = pages.Layout(catalogue, bibtex, links)
        _, digests = write_files(scratch, layout.files())
        return layout.locations, len(digests)

    def do_export() -> None:
        files = [
            ("papers.yaml", path.read_bytes()),
            ("papers.json", papers_json_chunks(catalogue, locations, bibtex, links.site_url)),
            ("assets/chart.svg", chart_svg(catalogue)),
        ]
        write_files(scratch, files)

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

    spent: dict[str, list[float]] = {"generate": [], "run_builder": []}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - start)

        return wrapper

    # Looked up by name at each call by site.build.
    site.generate = timed("generate", site.generate)  # type: ignore[assignment]
    site.run_builder = timed("run_builder", site.run_builder)  # type: ignore[assignment]
    docs = project / "docs"
    before = _mtimes(docs)
    if mkdocs:
        # A publishing build, as CI runs it from a fresh clone: no site/ yet (the reference
        # starts the same way). Emptying an old site/ first costs a rebuild 2 to 3 s more.
        shutil.rmtree(project / "site", ignore_errors=True)
    generation, _ = timer.run("build" if mkdocs else "generate", lambda: site.build(project / "papers.yaml", builder="mkdocs" if mkdocs else None))
    after = _mtimes(docs)
    changed = sum(1 for path, mtime in after.items() if before.get(path) != mtime)
    return {
        "files_changed": changed,
        "written": len(generation.written),
        "generate_runs": len(spent["generate"]),
        "generate_seconds": sum(spent["generate"]),
        "mkdocs_seconds": sum(spent["run_builder"]),
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

    shutil.rmtree(project / "reference" / "site", ignore_errors=True)  # as for ours: no site/ yet
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


def spawn(task: str, project: Path, label: str, profile_dir: Path | None, **options: Any) -> dict[str, Any]:
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
        [sys.executable, str(Path(__file__).resolve().with_name("run.py")), "--worker", json.dumps(spec)],
        cwd=project,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not result.exists():
        lines = (done.stderr or done.stdout).strip().splitlines() or [f"exit status {done.returncode}"]
        raise AtlasError(f"benchmark task {task!r} ({label}) failed: {lines[-1]}", str(project))
    return json.loads(result.read_text(encoding="utf-8"))
