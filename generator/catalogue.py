"""Read and write papers.yaml: safe, located, deterministic and atomic.

Reading refuses what PyYAML would otherwise accept silently: anchors and aliases (an
alias bomb fails at its first anchor), duplicate mapping keys (PyYAML keeps the last),
and oversized files. Every refusal is an AtlasError naming ``file:line``.

Writing is deterministic (stable key order, papers sorted by id, no re-wrapping of long
text) and atomic (temporary file, fsync, rename), so a killed process leaves the old or
the new catalogue, never a broken one.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml
from filelock import FileLock, Timeout
from pydantic import ValidationError

from .errors import AtlasError
from .model import Catalogue, Paper, Topic

#: Refuse catalogues larger than this many bytes (override: ATLAS_MAX_CATALOGUE_BYTES).
MAX_BYTES = int(os.environ.get("ATLAS_MAX_CATALOGUE_BYTES", 512 * 1024 * 1024))

SCHEMA_COMMENT = "# yaml-language-server: $schema=schema/papers.schema.json\n"

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that reads dates as plain strings (the schema checks them)."""


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper that writes ISO dates unquoted, as a person would."""


for _cls in (_Loader, _Dumper):
    _cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }


class _Flow(dict):
    """A mapping written on one line (used for the ``generated`` fingerprints)."""


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    # int() refuses more than 4,300 digits with a ValueError, which has no line number.
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"number of {len(node.value):,} characters is too large", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _represent_flow(dumper: _Dumper, data: _Flow) -> yaml.MappingNode:
    # Fingerprints are always quoted: unquoted, ``19581e27`` is a float to YAML 1.2 readers.
    pairs = [
        (dumper.represent_str(key), yaml.ScalarNode("tag:yaml.org,2002:str", value, style="'"))
        for key, value in data.items()
    ]
    return yaml.MappingNode("tag:yaml.org,2002:map", pairs, flow_style=True)


_Dumper.add_representer(_Flow, _represent_flow)
# Quote strings that YAML 1.2 readers (editors, check-jsonschema) would take for numbers,
# although PyYAML's YAML 1.1 rules read them as strings: ``1e5``, ``0o17``, ``0x1F``.
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)
_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$"), ["0"])


@dataclass
class Located:
    """Line numbers of a loaded catalogue, so errors can name ``papers.yaml:LINE``."""

    path: str
    topics: list[int] = field(default_factory=list)
    papers: list[int] = field(default_factory=list)
    #: per paper index: field name -> line of its key
    fields: list[dict[str, int]] = field(default_factory=list)
    topic_fields: list[dict[str, int]] = field(default_factory=list)

    def line_of(self, loc: tuple[Any, ...]) -> int | None:
        """The line for a pydantic error location such as ``('papers', 3, 'date')``."""
        if len(loc) >= 2 and loc[0] in ("papers", "topics") and isinstance(loc[1], int):
            starts = self.papers if loc[0] == "papers" else self.topics
            keys = self.fields if loc[0] == "papers" else self.topic_fields
            if loc[1] < len(starts):
                if len(loc) >= 3 and loc[2] in keys[loc[1]]:
                    return keys[loc[1]][loc[2]]
                return starts[loc[1]]
        return 1


#: Deeper nesting is refused before composing: libyaml's composer recurses per level and
#: crashes the interpreter (segfault) on inputs like 100,000 ``[``. papers.yaml needs 4.
MAX_DEPTH = 64


def _refuse_anchors(text: str, path: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise AtlasError(f"nested more than {MAX_DEPTH} levels deep", path, event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        anchor = getattr(event, "anchor", None)
        if anchor is not None or isinstance(event, yaml.AliasEvent):
            raise AtlasError(
                "YAML anchors and aliases are not allowed in the catalogue (write values out in full)",
                path,
                event.start_mark.line + 1,
            )


def _check_duplicate_keys(node: yaml.Node, path: str) -> None:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in current.value:
                name = str(key.value)
                if name in seen:
                    raise AtlasError(
                        f"duplicate key {name!r} (first at line {seen[name]}); YAML would silently keep the last one",
                        path,
                        key.start_mark.line + 1,
                    )
                seen[name] = key.start_mark.line + 1
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)


def _locate(node: yaml.Node, path: str) -> Located:
    located = Located(path)
    if not isinstance(node, yaml.MappingNode):
        return located
    for key, value in node.value:
        if key.value not in ("topics", "papers") or not isinstance(value, yaml.SequenceNode):
            continue
        starts = located.papers if key.value == "papers" else located.topics
        keys = located.fields if key.value == "papers" else located.topic_fields
        for item in value.value:
            starts.append(item.start_mark.line + 1)
            keys.append(
                {k.value: k.start_mark.line + 1 for k, _ in item.value}
                if isinstance(item, yaml.MappingNode)
                else {}
            )
    return located


def read_raw(path: Path | str) -> tuple[Any, Located]:
    """Parse papers.yaml safely into plain data plus its line numbers (no schema check yet)."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        raise AtlasError("catalogue not found", name) from None
    if size > MAX_BYTES:
        raise AtlasError(f"catalogue is {size:,} bytes, over the limit of {MAX_BYTES:,}", name)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise AtlasError("not valid UTF-8", name, line) from None
    try:
        _refuse_anchors(text, name)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise AtlasError("catalogue is empty: it needs 'topics:' and 'papers:'", name, 1)
            _check_duplicate_keys(node, name)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise AtlasError(f"YAML syntax: {exc.problem or exc.context}", name, line) from None
    except yaml.reader.ReaderError as exc:  # a control character: locate it ourselves
        char = chr(exc.character) if isinstance(exc.character, int) else ""
        where = text.find(char) if char else -1
        line = text.count("\n", 0, where) + 1 if where >= 0 else None
        raise AtlasError(f"YAML: {exc.reason} ({char!r})", name, line) from None
    except yaml.YAMLError as exc:
        raise AtlasError(f"YAML error: {exc}", name) from None
    if not isinstance(data, dict):
        raise AtlasError("the catalogue must be a mapping with 'topics:' and 'papers:'", name, 1)
    return data, _locate(node, name)


def schema_errors(data: Any, located: Located) -> list[AtlasError]:
    """Check plain data against the schema; one located error per problem."""
    try:
        Catalogue.model_validate(data)
    except ValidationError as exc:
        errors = []
        for err in exc.errors():
            loc = err["loc"]
            errors.append(AtlasError(_describe(data, loc, err["msg"]), located.path, located.line_of(loc)))
        return errors
    return []


def _describe(data: Any, loc: tuple[Any, ...], msg: str) -> str:
    msg = msg.removeprefix("Value error, ")
    if len(loc) >= 2 and loc[0] in ("papers", "topics") and isinstance(loc[1], int):
        items = data.get(loc[0]) or []
        item = items[loc[1]] if loc[1] < len(items) else None
        ident = item.get("id" if loc[0] == "papers" else "slug") if isinstance(item, dict) else None
        what = "paper" if loc[0] == "papers" else "topic"
        label = f"{what} {ident!r}" if ident else f"{what} #{loc[1] + 1}"
        rest = ".".join(str(part) for part in loc[2:] if not str(part).startswith("function-"))
        return f"{label}: {rest}: {msg}" if rest else f"{label}: {msg}"
    return f"{'.'.join(map(str, loc)) or 'catalogue'}: {msg}"


def load(path: Path | str) -> Catalogue:
    """Load and schema-check papers.yaml, raising the first located error."""
    data, located = read_raw(path)
    errors = schema_errors(data, located)
    if errors:
        raise errors[0]
    return Catalogue.model_validate(data)


# --- writing -----------------------------------------------------------------------


def _paper_data(paper: Paper) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in paper.model_dump().items():
        if value is None or value == [] or value == {}:
            if name in ("topics",):
                data[name] = value
            continue
        if name == "generated":
            value = _Flow(sorted(value.items()))
        elif name in ("links", "provenance"):
            value = dict(sorted(value.items()))
        data[name] = value
    return data


def dumps(catalogue: Catalogue) -> str:
    """The catalogue as YAML text: byte-identical for equal catalogues."""
    doc = {
        "topics": [
            {k: v for k, v in topic.model_dump().items() if v not in (None, [], {})}
            for topic in catalogue.topics
        ],
        "papers": [_paper_data(p) for p in sorted(catalogue.papers, key=lambda p: p.id)],
    }
    body = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=2**31 - 1,  # never re-wrap long text
        indent=2,
        default_flow_style=False,
    )
    return SCHEMA_COMMENT + body


def write_if_changed(path: Path | str, content: str | bytes) -> bool:
    """Atomically replace ``path`` with ``content`` unless it already holds exactly that.

    Returns True when the file was written. The write goes to a temporary file in the
    same directory, is flushed and fsynced, then renamed over the target.
    """
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, NotADirectoryError):
        pass
    except IsADirectoryError:
        raise AtlasError("is a directory, cannot write a file here", str(path)) from None
    directory = path.parent
    if not directory.is_dir():
        problem = "is a file, not a directory" if directory.exists() else "output directory does not exist"
        raise AtlasError(problem, str(directory))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except PermissionError:
        raise AtlasError("output directory is not writable", str(directory)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # disk full, file too large, ...: the old file stays
            raise AtlasError(f"cannot write ({exc.strerror or exc}); the file is unchanged", str(path)) from None
        raise
    return True


def save(catalogue: Catalogue, path: Path | str) -> bool:
    """Write the catalogue atomically; returns False when nothing changed."""
    return write_if_changed(path, dumps(catalogue))


@contextmanager
def locked(path: Path | str, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``<catalogue>.lock`` so two imports never lose each other's work."""
    path = Path(path)
    if not path.parent.is_dir():  # FileLock would create the missing directories
        raise AtlasError("directory does not exist (or is not a directory)", str(path.parent))
    lock = FileLock(str(path.with_name(path.name + ".lock")))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise AtlasError(
            f"another run holds {path.name}.lock; try again when it has finished", str(path)
        ) from None
    except PermissionError:
        raise AtlasError("cannot create the lock file: directory is not writable", str(path.parent)) from None
    try:
        yield
    finally:
        lock.release()


def paper_line(text: str, paper_id: str) -> int | None:
    """Line of ``- id: <paper_id>`` in catalogue text (for messages about a whole paper)."""
    match = re.search(rf"^- id: {re.escape(paper_id)}$", text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


__all__ = [
    "Catalogue",
    "Located",
    "Paper",
    "Topic",
    "dumps",
    "load",
    "locked",
    "read_raw",
    "save",
    "schema_errors",
    "write_if_changed",
]
