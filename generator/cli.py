"""The command line: a thin click layer over the library.

It parses options, calls the library, and turns refusals into one clear line and a
non-zero exit status. Nothing here is worth calling from another module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from .errors import AtlasError

from .reporting import EXIT_REFUSED, guarded, report


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.option(
    "--catalogue",
    "catalogue_path",
    # Not checked by click (it would print a usage error): reading it says what is wrong.
    type=click.Path(path_type=Path, dir_okay=True, readable=False),
    default=Path("papers.yaml"),
    show_default=True,
    help="The catalogue file.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, catalogue_path: Path) -> None:
    """Action Atlas: listings -> papers.yaml -> BibTeX, pages, JSON -> MkDocs site."""
    ctx.obj = {"catalogue": catalogue_path, "debug": debug}


@main.command("import")
@click.argument("listings", nargs=-1, type=click.Path(path_type=Path, readable=False))
@click.pass_obj
@guarded
def import_command(obj: dict[str, Any], listings: tuple[Path, ...]) -> None:
    """Parse listings and merge them into the catalogue.

    With no LISTINGS, imports every listings/*.txt next to the catalogue.
    Curated edits in papers.yaml are never undone.

    Example: python -m generator import listings/005_new_search.txt
    """
    from .ingest.importer import default_listings, run_import

    catalogue_path: Path = obj["catalogue"]
    paths = list(listings) or default_listings(catalogue_path.parent)
    # A listing named on the command line may also lie in the directory the user works in.
    result = run_import(catalogue_path, paths, roots=[Path.cwd()] if listings else [])
    for warning in result.warnings:
        report("warning", warning)
    click.echo(result.summary() + ("" if result.written else f"; {catalogue_path} unchanged"))


@main.command("validate")
@click.option("--quiet", "-q", is_flag=True, help="Do not print warnings.")
@click.option(
    "--base",
    metavar="REF",
    help="Also refuse ids and BibTeX keys changed or papers removed since the git revision REF "
    "(a pull request's base), unless declared under retired:.",
)
@click.pass_obj
@guarded
def validate_command(obj: dict[str, Any], quiet: bool, base: str | None) -> None:
    """Check the catalogue against its schema and for duplicates and unknown topics.

    Exits with status 1 on any error. Missing dates or authors are warnings. With --base,
    a published id or key that changed, or a paper removed, without a retired: entry is
    an error too.

    Example: python -m generator validate --base origin/main
    """
    from .store import check

    verdict = check(obj["catalogue"])
    if base is not None and verdict.raw is not None and verdict.located is not None:
        from .store.history import check_against

        verdict.errors = sorted(verdict.errors + check_against(obj["catalogue"], base, verdict.raw, verdict.located), key=lambda e: e.line or 0)
    for error in verdict.errors:
        report("error", error)
    if not quiet:
        for warning in verdict.warnings:
            report("warning", warning)
    if verdict.errors:
        click.echo(f"{obj['catalogue']}: {len(verdict.errors)} errors, {len(verdict.warnings)} warnings", err=True)
        sys.exit(EXIT_REFUSED)
    assert verdict.catalogue is not None
    compared = f"; every id and key of {base} kept or retired" if base is not None else ""
    click.echo(
        f"{obj['catalogue']}: valid: {len(verdict.catalogue.papers)} papers in "
        f"{len(verdict.catalogue.topics)} topics; {len(verdict.warnings)} warnings{compared}"
    )


@main.command("schema")
@click.pass_obj
@guarded
def schema_command(obj: dict[str, Any]) -> None:
    """Write the catalogue's JSON Schema to schema/papers.schema.json (for editors).

    Example: python -m generator schema
    """
    from .jsonschema import write_schema

    root = Path(os.path.abspath(obj["catalogue"])).parent
    path = root / "schema" / "papers.schema.json"
    changed = write_schema(path, root)
    click.echo(f"{path}: {'written' if changed else 'unchanged'}")


@main.command("add")
@click.argument("identifiers", nargs=-1, required=True)
@click.pass_obj
@guarded
def add_command(obj: dict[str, Any], identifiers: tuple[str, ...]) -> None:
    """Add papers by arXiv id (or arXiv / Hugging Face paper URL), with their metadata from arXiv
    (or Semantic Scholar for an id arXiv does not answer).

    Topics, TL;DR, links and a frozen key are assigned as import does; a paper already in
    the catalogue is reported, not added twice. Asks arXiv (one request every 3 s) and
    Semantic Scholar (one a second), cached.

    Example: python -m generator add 2403.09631 https://huggingface.co/papers/2410.24164
    """
    from .add import run_add
    from .enrich.sources.arxiv import make_client as arxiv_client
    from .enrich.sources.http import default_cache_dir
    from .enrich.sources.semantic_scholar import make_client as s2_client

    cache = default_cache_dir()
    api_key = os.environ.get("SEMANTIC_SCHOLAR_API_KEY") or None
    with arxiv_client(cache_dir=cache) as client, s2_client(api_key=api_key, cache_dir=cache) as fallback:
        result = run_add(obj["catalogue"], identifiers, client, fallback)
    for line in result.lines():
        click.echo(line)
    click.echo(f"{obj['catalogue']}: {'written' if result.written else 'unchanged'}")


def _queue_path(obj: dict[str, Any]) -> Path:
    return obj["catalogue"].resolve().parent / "candidates.yaml"


@main.command("discover")
@click.option("--limit", type=click.IntRange(0, 200), default=25, show_default=True, help="At most this many new candidates.")
@click.option("--per-topic", type=click.IntRange(1, 100), default=10, show_default=True, help="Newest arXiv papers asked per topic.")
@click.pass_obj
@guarded
def discover_command(obj: dict[str, Any], limit: int, per_topic: int) -> None:
    """Search arXiv for each topic's phrases and queue new papers in candidates.yaml for review.

    Papers already in the catalogue, queued or rejected are skipped. Makes one request per
    topic with phrases (one every 3 s, cached); none with --limit 0.

    Example: python -m generator discover --limit 25
    """
    import datetime as dt

    from .discover import discover, read_queue, write_queue
    from .enrich.sources.arxiv import make_client as arxiv_client
    from .enrich.sources.http import default_cache_dir
    from .store import load

    catalogue = load(obj["catalogue"])
    path = _queue_path(obj)
    queue = read_queue(path)
    if limit == 0:
        click.echo("discovery: limit 0, no request")
        return
    today = dt.datetime.now(dt.timezone.utc).date()
    with arxiv_client(cache_dir=default_cache_dir()) as client:
        updated, result = discover(catalogue, queue, client, limit=limit, per_topic=per_topic, today=today)
    written = write_queue(updated, path) if result.added else False
    for candidate in result.added:
        click.echo(f"candidate {candidate.arxiv_id} ({candidate.found_by}): {candidate.title}")
    click.echo(f"{result.searches} searches, {len(result.added)} new candidates; {path.name}: {'written' if written else 'unchanged'}")


@main.command("accept")
@click.argument("arxiv_ids", nargs=-1, required=True)
@click.pass_obj
@guarded
def accept_command(obj: dict[str, Any], arxiv_ids: tuple[str, ...]) -> None:
    """Move candidates from candidates.yaml into papers.yaml (topics, TL;DR, key as import gives).

    Example: python -m generator accept 2611.01234
    """
    from .discover import accept

    for arxiv_id, paper_id in zip(arxiv_ids, accept(obj["catalogue"], _queue_path(obj), arxiv_ids)):
        click.echo(f"accepted {arxiv_id} as {paper_id}")


@main.command("reject")
@click.argument("arxiv_ids", nargs=-1, required=True)
@click.option("--reason", help="Why, for the next curator (kept in candidates.yaml).")
@click.pass_obj
@guarded
def reject_command(obj: dict[str, Any], arxiv_ids: tuple[str, ...], reason: str | None) -> None:
    """Turn candidates down: they leave the queue and are never proposed again.

    Example: python -m generator reject 2611.04321 --reason "not about action"
    """
    from .discover import reject

    reject(_queue_path(obj), arxiv_ids, reason)
    click.echo(f"rejected {len(set(arxiv_ids))} candidates")


@main.command("check-links")
@click.option(
    "--previous",
    type=click.Path(path_type=Path, readable=False),
    help="A previous report (the open issue's body): dead links keep the date they were first seen dead.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, readable=False),
    help="Write the Markdown report here when a link is dead (the file is removed when none is).",
)
@click.option("--deadline", type=float, default=20.0, show_default=True, help="Seconds one request may take in all.")
@click.pass_obj
@guarded
def check_links_command(obj: dict[str, Any], previous: Path | None, report_path: Path | None, deadline: float) -> None:
    """Ask every code and project link of the catalogue whether it is still alive.

    Prints one line per dead link and a summary; makes requests (run it weekly, not in CI).

    Example: python -m generator check-links --report dead-links.md
    """
    import datetime as dt

    from . import linkcheck
    from .store import load

    where = linkcheck.catalogue_links(load(obj["catalogue"]))
    outcomes = linkcheck.check_links(where, deadline=deadline)
    before = linkcheck.read_state(_read_text(previous)) if previous else {}
    since = linkcheck.dead_since(outcomes, before, dt.datetime.now(dt.timezone.utc).date())
    for outcome in outcomes:
        if not outcome.alive:
            click.echo(f"dead: {outcome.url}: {outcome.problem} (since {since[outcome.url]})")
    click.echo(f"{len(outcomes)} links checked, {len(since)} dead")
    if report_path is not None:
        if since:
            from .files import write_if_changed

            write_if_changed(report_path, linkcheck.report_markdown(outcomes, where, since).encode("utf-8"))
        else:
            report_path.unlink(missing_ok=True)


def _read_text(path: Path) -> str:
    """A report file the user names: a regular file of at most 10 MB, as text."""
    from .files import read_regular

    return read_regular(path, path.parent, limit=10 * 1024 * 1024, name="report").decode("utf-8", errors="replace")


@main.command("enrich")
@click.option(
    "--from",
    "metadata_files",
    multiple=True,
    type=click.Path(path_type=Path, readable=False),
    help="A recorded metadata file (JSONL, see data/README.md). Repeatable. "
    "Default: data/papers-metadata.jsonl when it exists.",
)
@click.option("--online", is_flag=True, help="Also ask arXiv and Semantic Scholar (rate-limited, cached).")
@click.option("--missing-count", is_flag=True, help="Only print how many papers still miss metadata, then exit.")
@click.option(
    "--rederive-keys",
    is_flag=True,
    help="Re-derive every bibtex_key once, in author-year-word style. Only before the site is "
    "first published: after that, keys are frozen.",
)
@click.pass_obj
@guarded
def enrich_command(
    obj: dict[str, Any], metadata_files: tuple[Path, ...], online: bool, missing_count: bool, rederive_keys: bool
) -> None:
    """Fill missing authors, arXiv ids, dates and venues; never overwrite a curated value.

    Example: python -m generator enrich --from data/papers-metadata.jsonl
    """
    from contextlib import ExitStack

    from .enrich.enrich import enrich_catalogue, needs_enrichment
    from .ingest.keys import rederive_all_keys
    from .enrich.sources.arxiv import ArxivSource
    from .enrich.sources.arxiv import make_client as arxiv_client
    from .enrich.sources.http import default_cache_dir
    from .enrich.sources.metadata_file import MetadataFile
    from .enrich.sources.semantic_scholar import SemanticScholarSource
    from .enrich.sources.semantic_scholar import make_client as s2_client
    from .files import locked
    from .store import load, save

    path: Path = obj["catalogue"]
    if missing_count:
        click.echo(sum(1 for paper in load(path).papers if needs_enrichment(paper)))
        return
    from .files import within

    files = list(metadata_files)
    project = Path(os.path.abspath(path)).parent
    default = project / "data" / "papers-metadata.jsonl"
    if not files and os.path.lexists(default):  # a link there is refused, not skipped
        files = [default]
    with ExitStack() as stack, locked(path):
        catalogue = load(path)
        # Regular files inside the repository (or the working directory) only.
        sources: list[Any] = [MetadataFile(file, within(file, project, Path.cwd())) for file in files]
        if online and any(needs_enrichment(p) for p in catalogue.papers):
            cache = default_cache_dir()
            arxiv = stack.enter_context(arxiv_client(cache_dir=cache))
            s2 = stack.enter_context(
                s2_client(api_key=os.environ.get("SEMANTIC_SCHOLAR_API_KEY") or None, cache_dir=cache)
            )
            sources += [ArxivSource(arxiv), SemanticScholarSource(s2)]
        if not sources:
            raise AtlasError("nothing to enrich from: pass --from FILE or --online")
        result = enrich_catalogue(catalogue, sources)
        enriched = result.catalogue
        if rederive_keys:
            keys = rederive_all_keys(enriched.papers)
            enriched = enriched.model_copy(
                update={"papers": [p.model_copy(update={"bibtex_key": keys[p.id]}) for p in enriched.papers]}
            )
        written = save(type(enriched).model_validate(enriched.model_dump()), path)
    for line in result.summary():
        click.echo(line)
    click.echo(f"{path}: {'written' if written else 'unchanged'}")


@main.command("build")
@click.option(
    "--builder",
    type=click.Choice(["mkdocs", "zensical"]),
    default="mkdocs",
    show_default=True,
    help="The site builder to run after generating docs/ (both read mkdocs.yml).",
)
@click.option("--no-builder", "--no-mkdocs", "no_builder", is_flag=True, help="Only generate the pages into docs/; build no site.")
@click.pass_obj
@guarded
def build_command(obj: dict[str, Any], builder: str, no_builder: bool) -> None:
    """Validate the catalogue, generate the site's pages into docs/, then build site/.

    Uses the mkdocs.yml beside the catalogue and runs `mkdocs build --strict` (any warning
    fails the build) or, with --builder zensical, `zensical build --strict`. Generated files
    are only rewritten when their content changes.

    Example: python -m generator build --builder zensical
    """
    from .site import build

    generation, site_dir = build(obj["catalogue"], builder=None if no_builder else builder)
    click.echo(f"docs: {generation.summary()}")
    if site_dir is not None:
        click.echo(f"{site_dir}: built")


@main.command("serve")
@click.option("--builder", type=click.Choice(["mkdocs", "zensical"]), default="mkdocs", show_default=True)
@click.option("--dev-addr", default="127.0.0.1:8000", show_default=True, help="Where the preview listens.")
@click.pass_obj
@guarded
def serve_command(obj: dict[str, Any], builder: str, dev_addr: str) -> None:
    """Preview the site: generate docs/, run the builder's live server, and generate again
    whenever papers.yaml changes (the builder then reloads the changed pages).

    Example: python -m generator serve
    """
    from .site import serve

    serve(obj["catalogue"], builder=builder, dev_addr=dev_addr, echo=click.echo)
