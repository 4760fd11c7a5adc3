"""The benchmark's results: what was measured per size, the targets, the Markdown table."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

#: MkDocs (ours and the reference) is skipped from this size up by default: at 100,000
#: papers each build takes many minutes.
SKIP_MKDOCS_AT = 100_000

#: Targets (see bench/README.md). Sizes in bytes are decimal: 1 MB = 1,000,000 bytes.
TARGET_GENERATOR_SECONDS = 60.0
TARGET_GENERATOR_MB = 3 * 1024  # MiB, as reported by ru_maxrss
#: Ours at most half the reference's time (issue 15 and 17), judged on the median of the
#: pairs (each of our builds against the reference build run right after it).
TARGET_RATIO = 0.5
TARGET_HTML_BYTES = 1_000_000
TARGET_NOOP_SECONDS = 2.0
TARGET_SIZE_LARGE = 100_000
TARGET_SIZE_SITE = 10_000

#: The generator's stages, in pipeline order, as the table's columns.
STAGES = ("parse", "import", "validate", "bibtex", "pages", "export")


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
    def pair_ratio(self) -> float | None:
        """The median of ours / reference over the runs made one after the other."""
        pairs = [ours / ref for ours, ref in zip(self.build_runs, self.reference_runs) if ref]
        return statistics.median(pairs) if pairs else None

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
    ratio = site.pair_ratio if site else None
    rows.append(
        (
            f"full site build at {TARGET_SIZE_SITE:,} papers, search index included, at most {TARGET_RATIO} x the reference's time (median of the pairs)",
            (
                f"median {ratio:.2f} (fastest {site.build_seconds:.1f} s / {site.reference_seconds:.1f} s = {site.ratio:.2f})"  # type: ignore[union-attr]
                if ratio is not None
                else "-"
            ),
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
            f"first `build --no-builder` {_s(r.first_generate)} s",
        ]
        if r.build_seconds is not None:
            runs = lambda values: ", ".join(_s(v) for v in values)  # noqa: E731
            extra += [
                f"`build` runs {runs(r.build_runs)} s, reference runs {runs(r.reference_runs)} s; CPU of the fastest "
                f"{_s(r.build_cpu)} s / {_s(r.reference_cpu)} s = {r.cpu_ratio:.2f} (with the builder's and Pagefind's processes)",
                f"in the fastest `build` the generation ran {r.build_generate_runs} times for {_s(r.build_generate_seconds)} s "
                f"in all, MkDocs with Pagefind beside it took {_s(r.build_mkdocs_seconds)} s; peak {r.build_peak_mb:,.0f} MB (the largest process)",
                f"reference's largest HTML page {r.reference_largest_html:,} B",
            ]
        extra.append(f"{r.entries:,} listing entries, {r.listing_warnings} parser warnings")
        details.append(f"- {r.size:,} papers: " + "; ".join(extra) + ".")
    out += ["## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    out += [f"| {name} | {measured} | {_met(ok)} |" for name, measured, ok in targets(results)]
    out += ["", "## Details", "", *details, ""]
    return "\n".join(out)
