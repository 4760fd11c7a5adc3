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
3. ``site`` twice without MkDocs: the first ``build --no-builder`` writes every generated
   file, the second must write none (the no-op rebuild);
4. ``site`` with MkDocs: the whole ``python -m generator build`` (strict), then the size of
   the largest HTML page and of the search index (the whole Pagefind bundle);
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
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

# Run as `python bench/run.py`: the generator and this directory are importable from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import SKIP_MKDOCS_AT, STAGES, SizeResult, results_markdown  # noqa: E402
from bench.synthetic import real_catalogue  # noqa: E402
from bench.tasks import prepare, spawn, worker  # noqa: E402
from generator.errors import AtlasError  # noqa: E402
from generator.model import Catalogue  # noqa: E402

#: The sizes run by default.
SIZES = (1_000, 10_000, 100_000)


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

    imported = spawn("import", project, label, profile_dir)
    result.stages.update(imported["seconds"])
    result.stages_cpu.update(imported["cpu_seconds"])
    result.stages_peak.update(imported["peak_after"])
    result.import_peak_mb, result.import_workers_mb = imported["peak_mb"], imported["children_mb"]
    result.entries, result.listing_warnings = imported["entries"], imported["listing_warnings"]
    if imported["new"] != size:
        raise AtlasError(f"import of the synthetic listings made {imported['new']} papers, expected {size}", str(project))
    echo(f"[{size:,}] parse {result.stages['parse']:.2f} s, import {result.stages['import']:.2f} s, peak {result.import_peak_mb:.0f} MB")

    stages = spawn("stages", project, label, profile_dir)
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

    first = spawn("site", project, label + "-first", profile_dir, mkdocs=False)
    result.first_generate = first["seconds"]["generate"]
    noop = spawn("site", project, label + "-noop", profile_dir, mkdocs=False)
    result.noop_seconds, result.noop_files = noop["seconds"]["generate"], noop["files_changed"]
    echo(
        f"[{size:,}] build --no-builder: first {result.first_generate:.2f} s ({first['files_changed']} files), "
        f"no-op {result.noop_seconds:.2f} s ({result.noop_files} files changed)"
    )

    if mkdocs:
        for attempt in range(1, repeat + 1):
            ours = spawn("site", project, label + "-ours", profile_dir, mkdocs=True)
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
            reference = spawn("reference", project, label + "-reference", profile_dir)
            result.reference_runs.append(reference["seconds"]["build"])
            if reference["seconds"]["build"] == min(result.reference_runs):
                result.reference_seconds, result.reference_cpu = reference["seconds"]["build"], reference["cpu_seconds"]["build"]
            echo(
                f"[{size:,}] reference mkdocs build ({attempt}/{repeat}): {reference['seconds']['build']:.1f} s "
                f"(CPU {reference['cpu_seconds']['build']:.1f} s)"
            )
        site_dir = project / "site"
        result.largest_html, result.largest_html_page = _largest_html(site_dir)
        # The whole Pagefind bundle (a query fetches only a few of its fragments: bench/pages.py).
        index = site_dir / "pagefind"
        result.search_bytes = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) if index.is_dir() else None
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
    parser.add_argument("--worker", metavar="SPEC", help=argparse.SUPPRESS)  # one measurement (see tasks.spawn)
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
