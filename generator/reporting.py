"""How the command line reports: one clear line per refusal (a GitHub annotation inside
Actions), a non-zero exit status, and a traceback only with --debug. Used by cli.py."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click

from .errors import AtlasError, clean

EXIT_REFUSED = 1
EXIT_INTERNAL = 70


def _in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _command_data(text: str, *, property: bool = False) -> str:
    """Text escaped for a workflow command (GitHub's own rules), so that a file name or a
    message cannot end the command or forge another property."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property else text


def _annotation(kind: str, problem: AtlasError) -> str:
    """A GitHub Actions workflow command, so reviewers see the problem on the diff."""
    props = []
    if problem.path:
        props.append(f"file={_command_data(clean(problem.path, 300), property=True)}")
    if problem.line:
        props.append(f"line={problem.line}")
    return f"::{kind} {','.join(props)}::{_command_data(problem.text)}"


def _shown_path(path: str | None) -> str | None:
    """Paths under the working directory are shown relative to it, as the user typed them."""
    if path and os.path.isabs(path):
        try:
            relative = Path(path).relative_to(Path.cwd())
        except ValueError:
            return path
        return str(relative)
    return path


def report(kind: str, problem: AtlasError) -> None:
    """Print a located problem (``error`` or ``warning``) on stderr, one line."""
    problem = AtlasError(problem.message, _shown_path(problem.path), problem.line)
    text = str(problem)  # one clean line: control characters escaped, long values cut
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
        except OSError as exc:
            # A fault of the machine (full disk, read-only or unreadable file) is the usual
            # one line naming the file; any other OSError is unexpected.
            from .files import os_problem

            problem = os_problem(exc)
            if problem is None:
                _internal(exc, debug)
            report("error", problem)
            sys.exit(EXIT_REFUSED)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            _internal(exc, debug)

    return wrapper


def _internal(exc: BaseException, debug: bool) -> None:
    """One line for an error nobody anticipated (the traceback with --debug); exit 70."""
    if debug:
        traceback.print_exception(exc)
    click.echo(f"error: internal error: {clean(f'{type(exc).__name__}: {exc}')} (run with --debug for details)", err=True)
    sys.exit(EXIT_INTERNAL)
