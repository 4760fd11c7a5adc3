"""What readers cite never changes silently: papers.yaml compared with itself at a git ref.

``python -m generator validate --base REF`` (CI runs it against a pull request's base)
reads papers.yaml as it was at REF (``git show REF:./papers.yaml``, through the same
checks as :func:`generator.store.check`) and refuses, one located line each:

* a paper whose ``bibtex_key`` changed;
* a paper whose ``id`` changed (the same key under another id);
* a paper removed;
* a ``retired:`` entry removed (or its key changed);

unless a ``retired:`` entry declares it: the old id and the old key (and the paper that
stands for it now, if any, and a reason). The site then sends the old anchor to the new
entry and the .bib keeps the old key (see ``model.Retired``).
"""

from __future__ import annotations

import bisect
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AtlasError, quote
from .locate import Located
from .read import MAX_BYTES

#: How a refusal tells what to do.
_RETIRE = (
    "published ids and keys never change; to retire one, add under 'retired:' "
    "an entry with id: {id}, bibtex_key: {key}, a reason and, if a paper stands for it, replaced_by"
)


@dataclass(frozen=True)
class Published:
    """What readers know of a catalogue at a ref: each paper's id and key, and the retired entries."""

    keys: dict[str, str]  # paper id -> bibtex_key
    retired: set[tuple[str, str]]  # (id, bibtex_key) of every retired entry


def _published(data: Any) -> Published:
    """The ids and keys of plain catalogue data (read by :func:`read.read_raw`)."""

    def entries(name: str) -> list[dict]:
        value = data.get(name) if isinstance(data, dict) else None
        return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []

    keys = {p["id"]: p["bibtex_key"] for p in entries("papers") if isinstance(p.get("id"), str) and isinstance(p.get("bibtex_key"), str)}
    retired = {(r["id"], r["bibtex_key"]) for r in entries("retired") if isinstance(r.get("id"), str) and isinstance(r.get("bibtex_key"), str)}
    return Published(keys, retired)


def catalogue_at(path: Path | str, ref: str) -> Published:
    """The ids and keys of ``path`` as committed at git ``ref``.

    The file is read by the same safe reader as any catalogue (``store.check``); when it
    does not pass today's schema (a bound added since), its plain data still names its ids
    and keys. Refusals: not a git repository, no such ref, no papers.yaml there.
    """
    from . import check

    path = Path(path)
    label = f"{ref}:{path.name}"
    if ref.startswith("-") or not ref.strip():
        raise AtlasError(f"--base: {quote(ref)} is not a git revision")
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent.resolve()), "show", f"{ref}:./{path.name}"],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        raise AtlasError("--base needs git, which is not installed", str(path)) from None
    except subprocess.TimeoutExpired:
        raise AtlasError(f"git show {quote(label)} took more than 120 s", str(path)) from None
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise AtlasError(f"cannot read {quote(label)} from git: {problem[0] if problem else 'git show failed'}", str(path))
    if len(done.stdout) > MAX_BYTES:
        raise AtlasError(f"{quote(label)} is {len(done.stdout):,} bytes, over the limit of {MAX_BYTES:,}", str(path))
    verdict = check(label, done.stdout)
    if verdict.raw is None:  # not even YAML: nothing to compare with
        raise verdict.errors[0]
    return _published(verdict.raw)


def changes_since(base: Published, head: Any, located: Located, ref: str) -> list[AtlasError]:
    """Every id and key of ``base`` that ``head`` (plain data, with its lines) changed or
    removed without a ``retired:`` entry, one located AtlasError each, in line order."""
    now = _published(head)
    path = located.path
    papers = [p for p in head.get("papers", []) if isinstance(p, dict)] if isinstance(head.get("papers"), list) else []
    index_of = {p.get("id"): i for i, p in enumerate(papers) if isinstance(p.get("id"), str)}
    owner_of = {key: ident for ident, key in now.keys.items()}
    retired_ids = {ident for ident, _ in now.retired}
    errors: list[AtlasError] = []

    def line(ident: str, name: str | None = None) -> int | None:
        index = index_of[ident]
        return located.line_of(("papers", index, name) if name else ("papers", index))

    in_order = sorted(index_of)

    def where_it_was(ident: str) -> int | None:
        """The line where a removed paper stood: before the first paper sorted after it."""
        after = bisect.bisect_right(in_order, ident)
        return line(in_order[after]) if after < len(in_order) else (located.papers[-1] if located.papers else 1)

    for ident, key in sorted(base.keys.items()):
        if (ident, key) in now.retired:
            continue  # declared: its anchor and key stay resolvable
        advice = _RETIRE.format(id=ident, key=key)
        if ident in now.keys:
            if now.keys[ident] != key:
                errors.append(
                    AtlasError(
                        f"paper {quote(ident)}: bibtex_key: changed from {quote(key)} to {quote(now.keys[ident])} since {ref}; {advice}",
                        path,
                        line(ident, "bibtex_key"),
                    )
                )
        elif key in owner_of:
            new = owner_of[key]
            errors.append(
                AtlasError(f"paper {quote(new)}: id: changed from {quote(ident)} since {ref}; {advice}", path, line(new, "id"))
            )
        elif ident in retired_ids:
            errors.append(
                AtlasError(
                    f"paper {quote(ident)} was removed since {ref}, but its retired: entry does not keep its key {quote(key)}",
                    path,
                    where_it_was(ident),
                )
            )
        else:
            errors.append(
                AtlasError(f"paper {quote(ident)} (bibtex_key {quote(key)}) was removed since {ref}; {advice}", path, where_it_was(ident))
            )
    for ident, key in sorted(base.retired):
        if (ident, key) not in now.retired:
            errors.append(
                AtlasError(
                    f"retired {quote(ident)} (bibtex_key {quote(key)}) was removed since {ref}; a retired entry stays, "
                    "so that its old anchor and key keep resolving",
                    path,
                    located.retired[-1] if located.retired else where_it_was(ident),
                )
            )
    return sorted(errors, key=lambda e: e.line or 0)


def check_against(path: Path | str, ref: str, head: Any, located: Located) -> list[AtlasError]:
    """:func:`changes_since` the catalogue at ``ref`` (see :func:`catalogue_at`)."""
    return changes_since(catalogue_at(path, ref), head, located, ref)
