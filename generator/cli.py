"""The command line: a thin click layer over the library.

It parses options, calls the library, and turns refusals into one clear line and a
non-zero exit status. Nothing here is worth calling from another module.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click

from .errors import AtlasError

EXIT_REFUSED = 1
EXIT_INTERNAL = 70


def _in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _annotation(kind: str, problem: AtlasError) -> str:
    """A GitHub Actions workflow command, so reviewers see the problem on the diff."""
    props = []
    if problem.path:
        props.append(f"file={problem.path}")
    if problem.line:
        props.append(f"line={problem.line}")
    message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{kind} {','.join(props)}::{message}"


def report(kind: str, problem: AtlasError) -> None:
    """Print a located problem (``error`` or ``warning``) on stderr, one line."""
    text = str(problem).replace("\n", " ")
    click.echo(f"{kind}: {text}" if kind == "warning" else f"error: {text}", err=True)
    if _in_github_actions():
        click.echo(_annotation(kind, problem), err=True)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn AtlasError into one line + exit 1, and anything unexpected into one line + exit 70."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except AtlasError as exc:
            report("error", exc)
            sys.exit(EXIT_REFUSED)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(130)
        except (click.exceptions.Exit, click.exceptions.ClickException, SystemExit):
            raise
        except MemoryError:
            click.echo("error: out of memory (input too large?)", err=True)
            sys.exit(EXIT_INTERNAL)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if debug:
                traceback.print_exc()
            click.echo(
                f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for details)".replace("\n", " "),
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("papers.yaml"),
    show_default=True,
    help="The catalogue file.",
)
@click.pass_context
def main(ctx: click.Context, debug: bool, catalogue_path: Path) -> None:
    """Action Atlas: listings -> papers.yaml -> BibTeX, pages, JSON -> MkDocs site."""
    ctx.obj = {"catalogue": catalogue_path, "debug": debug}


@main.command("import")
@click.argument("listings", nargs=-1, type=click.Path(path_type=Path))
@click.pass_obj
@guarded
def import_command(obj: dict[str, Any], listings: tuple[Path, ...]) -> None:
    """Parse listings and merge them into the catalogue.

    With no LISTINGS, imports every listings/*.txt next to the catalogue.
    Curated edits in papers.yaml are never undone.

    Example: python -m generator import listings/005_new_search.txt
    """
    from .importer import default_listings, run_import

    catalogue_path: Path = obj["catalogue"]
    paths = list(listings) or default_listings(catalogue_path.resolve().parent)
    result = run_import(catalogue_path, paths)
    for warning in result.warnings:
        report("warning", warning)
    click.echo(result.summary() + ("" if result.written else f"; {catalogue_path} unchanged"))


@main.command("validate")
@click.option("--quiet", "-q", is_flag=True, help="Do not print warnings.")
@click.pass_obj
@guarded
def validate_command(obj: dict[str, Any], quiet: bool) -> None:
    """Check the catalogue against its schema and for duplicates and unknown topics.

    Exits with status 1 on any error. Missing dates or authors are warnings.

    Example: python -m generator validate
    """
    from .validate import validate

    verdict = validate(obj["catalogue"])
    for error in verdict.errors:
        report("error", error)
    if not quiet:
        for warning in verdict.warnings:
            report("warning", warning)
    if verdict.errors:
        click.echo(f"{obj['catalogue']}: {len(verdict.errors)} errors, {len(verdict.warnings)} warnings", err=True)
        sys.exit(EXIT_REFUSED)
    assert verdict.catalogue is not None
    click.echo(
        f"{obj['catalogue']}: valid: {len(verdict.catalogue.papers)} papers in "
        f"{len(verdict.catalogue.topics)} topics; {len(verdict.warnings)} warnings"
    )


@main.command("schema")
@click.pass_obj
@guarded
def schema_command(obj: dict[str, Any]) -> None:
    """Write the catalogue's JSON Schema to schema/papers.schema.json (for editors).

    Example: python -m generator schema
    """
    from .jsonschema import write_schema

    path = obj["catalogue"].resolve().parent / "schema" / "papers.schema.json"
    changed = write_schema(path)
    click.echo(f"{path}: {'written' if changed else 'unchanged'}")
