"""Read and write papers.yaml: safe, located, deterministic and atomic.

Reading refuses what PyYAML would otherwise accept silently: anchors and aliases (an
alias bomb fails at its first anchor), duplicate mapping keys (PyYAML keeps the last),
and oversized files. Every refusal is an AtlasError naming ``file:line``. The data is
built in one pass over libyaml's events, straight from the file's bytes, with the garbage
collector paused; most of the time goes into making libyaml's events into Python objects.
A big catalogue in the shape ``save`` writes is read in parts at once, one per CPU, by
forks of this process (:func:`_build_in_parts`): 100,000 papers (240 MB) in about six
seconds on two CPUs instead of nine.

Writing is deterministic (stable key order, papers sorted by id, no re-wrapping of long
text) and atomic (temporary file, fsync, rename), so a killed process leaves the old or
the new catalogue, never a broken one. The YAML events go straight from the models to
libyaml's C emitter (no representer, no node graph) and the text is streamed to the file
in chunks, so writing 100,000 papers takes seconds and no copy of the whole text.
"""

from __future__ import annotations

import gc
import glob
import os
import pickle
import re
import tempfile
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Sequence, Union

import yaml
from filelock import FileLock, Timeout
from pydantic import ValidationError

from ..errors import AtlasError
from ..model import Catalogue, Paper, Topic
from ..ingest.parallel import WorkerStats, can_fork, forked, worker_count

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


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    # int() refuses more than 4,300 digits with a ValueError, which has no line number.
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"number of {len(node.value):,} characters is too large", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)

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
#: The one refusal for too deep a document, whichever layer (ours or libyaml's) notices first.
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"


_ANCHORS = "YAML anchors and aliases are not allowed in the catalogue (write values out in full)"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


class _Scalars(yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """Resolves and constructs scalars the way our safe loader does (dates stay strings)."""

    yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    yaml_constructors = _Loader.yaml_constructors

    def value(self, event: yaml.ScalarEvent) -> Any:
        tag = event.tag
        if tag in (None, "!"):
            tag = self.resolve(yaml.ScalarNode, event.value, event.implicit)
        if tag not in _SCALAR_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"could not determine a constructor for the tag {tag!r}", event.start_mark
            )
        if tag == "tag:yaml.org,2002:str":
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        return self.yaml_constructors[tag](self, node)


# Scalars are resolved as Resolver.resolve does, with the resolvers of the first character
# only: PyYAML has no wildcard resolvers (they would apply to every first character).
assert None not in _Loader.yaml_implicit_resolvers
#: The schema's field names, strings whatever their first letter (``title``, ``topics``,
#: ``tldr``): most keys of papers.yaml, and of the ``generated`` fingerprints too.
_FIELD_NAMES = frozenset(
    name
    for model in (Catalogue, Topic, Paper)
    for name in model.model_fields
    if _Scalars().resolve(yaml.ScalarNode, name, (True, False)) == "tag:yaml.org,2002:str"
)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while plain data or models are built in bulk.

    Building a large catalogue makes millions of dicts and lists that all stay alive: each
    few hundred set the collector off, and its rounds scan the growing tree for cycles it
    cannot hold (seconds at 100,000 papers). Reference counting frees memory as usual.
    Pauses nest; the collector resumes when the outermost one ends, best after the raw
    data is gone, so that it never scans what was only needed on the way.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(data: bytes, path: str, first_line: int = 1) -> tuple[Any, Located]:
    """Plain data and line numbers from one pass over the parser's events; ``data`` starts
    at line ``first_line`` of the file.

    No node graph is built (it is what makes large catalogues slow and big), and the
    checks PyYAML would skip happen on the way: anchors and aliases, duplicate keys,
    nesting depth, unknown tags, a second document.

    The loop is the hot path of reading (six million events at 100,000 papers): it asks
    libyaml's parser for each event itself, keeps the innermost container in local
    variables (the outer ones wait on a stack), takes the line of a scalar only for keys,
    and resolves a scalar's type only when it could be something else than a string: a
    quoted or block scalar without a tag is one, and so is a plain scalar no implicit
    resolver of its first character matches (most of them: ``V``, ``R``, ``A`` have none).
    """
    scalars = _Scalars()
    located = Located(path)
    parser = _BaseLoader(data)
    get_event = parser.get_event
    scalar_event, mapping_start, sequence_start = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    resolvers = _Loader.yaml_implicit_resolvers
    field_names = _FIELD_NAMES
    keys: dict[str, str] = {}
    no_key = _NO_KEY
    root: Any = None
    documents = 0
    # The innermost open container: the container (None at the top level), whether it is
    # a mapping, its key waiting for a value, its keys seen -> line, the field lines of a
    # topic or paper, and the root's key it sits under (at depth 1).
    container: Any = None
    is_map = False
    key: Any = no_key
    seen: dict[Any, int] = {}
    fields: dict[str, int] | None = None
    in_root: Any = None
    stack: list[tuple[Any, bool, Any, dict[Any, int], dict[str, int] | None, Any]] = []
    try:
        while True:
            event = get_event()
            kind = event.__class__
            if kind is scalar_event:
                if event.anchor is not None:
                    raise AtlasError(_ANCHORS, path, event.start_mark.line + first_line)
                if event.tag is None:
                    value = event.value
                    if event.implicit[0]:  # plain: another type if a resolver matches
                        typed = resolvers.get(value[:1])
                        if typed is not None and value not in field_names:
                            for _, regexp in typed:
                                if regexp.match(value):
                                    value = scalars.value(event)
                                    break
                else:
                    value = scalars.value(event)
                if is_map:
                    if key is no_key:
                        line = event.start_mark.line + first_line
                        if value in seen:
                            raise AtlasError(
                                f"duplicate key {str(value)!r} (first at line {seen[value]}); "
                                "YAML would silently keep the last one",
                                path,
                                line,
                            )
                        seen[value] = line
                        if value.__class__ is str:
                            value = keys.setdefault(value, value)  # one string for all the "title" keys
                            if fields is not None:
                                fields[value] = line  # the line of a field of a paper or topic
                        key = value
                    else:
                        container[key] = value
                        key = no_key
                elif container is not None:
                    container.append(value)
                else:
                    root = value
            elif kind is mapping_end or kind is sequence_end:
                container, is_map, key, seen, fields, in_root = stack.pop()
            elif kind is mapping_start or kind is sequence_start:
                line = event.start_mark.line + first_line
                if event.anchor is not None:
                    raise AtlasError(_ANCHORS, path, line)
                if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise AtlasError(f"YAML: could not determine a constructor for the tag {event.tag!r}", path, line)
                depth = len(stack)  # open containers: the stack holds the top level too
                if depth >= MAX_DEPTH:
                    raise AtlasError(TOO_DEEP, path, line)
                new: Any = {} if kind is mapping_start else []
                new_fields = None
                # A topic or paper: a mapping in the root's "topics" or "papers" list.
                if depth == 2 and kind is mapping_start and in_root in ("topics", "papers"):
                    new_fields = {}
                    if in_root == "papers":
                        located.papers.append(line)
                        located.fields.append(new_fields)
                    else:
                        located.topics.append(line)
                        located.topic_fields.append(new_fields)
                if is_map:
                    if key is no_key:
                        raise AtlasError("a mapping or list cannot be a key", path, line)
                    container[key] = new
                elif container is not None:
                    container.append(new)
                else:
                    root = new
                new_in_root = key if depth == 1 and is_map else None
                stack.append((container, is_map, no_key, seen, fields, in_root))
                container, is_map, key, seen, fields, in_root = new, kind is mapping_start, no_key, {}, new_fields, new_in_root
            elif event is None:
                break
            elif kind is yaml.AliasEvent:
                raise AtlasError(_ANCHORS, path, event.start_mark.line + first_line)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise AtlasError(
                        "YAML syntax: expected a single document in the stream but found another document",
                        path,
                        event.start_mark.line + first_line,
                    )
    finally:
        parser.dispose()
    if root is None:
        raise AtlasError("catalogue is empty: it needs 'topics:' and 'papers:'", path, 1)
    return root, located


_NO_KEY = object()

#: From this size up, a catalogue in the shape ``save`` writes is read in parts at once,
#: one per worker process (:func:`_build_in_parts`): some 4,000 papers.
PARTS_FROM_BYTES = 8 << 20
_PAPERS = b"\npapers:\n"


def _build_in_parts(text: bytes, path: str) -> tuple[Any, Located] | None:
    """What ``_build(text, path)`` gives, made faster for a big catalogue by reading its
    papers in parts at once: this process reads the top (the topics) and the first part,
    forks of it read the others; or None, and the caller reads the text whole.

    The parts are cut where the shape ``save`` writes makes it safe: after the top
    level's ``papers:`` line, at lines that start with ``- `` (a paper's first line). A
    part must then read, on its own, as ``papers:`` and a list of papers; anything else
    (another shape, a cut inside a quoted scalar, a syntax error, a worker that fails)
    gives None. So errors, and the lines they name, always come from the whole reading.
    """
    if not can_fork():
        return None
    workers = worker_count()
    top = text.find(_PAPERS)
    if top < 0 or not text.startswith(b"- ", top + len(_PAPERS)):
        return None
    cuts = [top + len(_PAPERS)]
    for n in range(1, workers):
        cut = text.find(b"\n- ", cuts[0] + (len(text) - cuts[0]) * n // workers)
        if cut < 0 or cut + 1 <= cuts[-1]:
            return None
        cuts.append(cut + 1)
    cuts.append(len(text))
    # "papers:" ahead of each part: the line before the part's first one
    spans = [(start, end, text.count(b"\n", 0, start)) for start, end in zip(cuts, cuts[1:])]
    with forked([(_read_part, (text, *span, path)) for span in spans[1:]], PART_WORKERS) as forks:
        try:
            root, located = _build(text[: cuts[0]], path)
            parts = [_build(_PAPERS[1:] + text[start:end], path, line) for start, end, line in spans[:1]]
        except (yaml.YAMLError, AtlasError):
            return None
        for fork in forks:
            payload = fork.result()
            if payload is None:
                return None
            parts.append(pickle.loads(payload))
    if not isinstance(root, dict) or list(root)[-1:] != ["papers"] or root["papers"] is not None:
        return None
    for part, _ in parts:
        if not isinstance(part, dict) or list(part) != ["papers"] or not isinstance(part["papers"], list):
            return None
    root["papers"] = [paper for part, _ in parts for paper in part["papers"]]
    for _, part_located in parts:
        located.papers += part_located.papers
        located.fields += part_located.fields
    return root, located


#: The forks that read or wrote parts of catalogues (:func:`_build_in_parts`,
#: :func:`dump_chunks`), with their private memory when done: the benchmark counts it.
PART_WORKERS = WorkerStats()


def _read_part(text: bytes, start: int, end: int, line: int, path: str) -> bytes:
    """In a fork: ``text[start:end]`` (its first line is line ``line + 1``) read after a
    ``papers:`` line, pickled."""
    return pickle.dumps(_build(_PAPERS[1:] + text[start:end], path, line), protocol=pickle.HIGHEST_PROTOCOL)


def _refuse_bad_utf8(data: bytes, name: str) -> None:
    """Refuse ``data`` at the line of its first byte that is not UTF-8, if it has one."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AtlasError("not valid UTF-8", name, data.count(b"\n", 0, exc.start) + 1) from None


def _refusal(exc: Exception, data: bytes, name: str) -> AtlasError:
    """The one-line refusal for what the parser (or :func:`_build`) raised."""
    if isinstance(exc, AtlasError):
        return exc
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        if "nesting depth" in f"{exc.problem} {exc.context}":  # libyaml's own depth limit (PyYAML >= 6.0.4)
            return AtlasError(TOO_DEEP, name, line)
        return AtlasError(f"YAML syntax: {exc.problem or exc.context}", name, line)
    if isinstance(exc, yaml.reader.ReaderError):  # a control character: locate it ourselves
        char = chr(exc.character) if isinstance(exc.character, int) else ""
        where = data.find(char.encode("utf-8")) if char else -1
        line = data.count(b"\n", 0, where) + 1 if where >= 0 else None
        return AtlasError(f"YAML: {exc.reason} ({char!r})", name, line)
    return AtlasError(f"YAML error: {exc}", name)


def read_raw(path: Path | str, data: bytes | None = None) -> tuple[Any, Located]:
    """Parse papers.yaml safely into plain data plus its line numbers (no schema check yet).
    ``data``: the file's bytes, when the caller has read them already.

    The file's bytes go to the parser as they are, so the text is never held as a Python
    string (and, when read here, freed when parsing ends). Text that is not UTF-8 is refused first,
    whatever else is wrong, as always; but it is looked for only when parsing fails: libyaml
    reads the bytes as strict UTF-8 (unless they start with a UTF-16 byte order mark), so a
    file it parses to the end is UTF-8.
    """
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size if data is None else len(data)
    except (FileNotFoundError, NotADirectoryError):
        raise AtlasError("catalogue not found", name) from None
    if size > MAX_BYTES:
        raise AtlasError(f"catalogue is {size:,} bytes, over the limit of {MAX_BYTES:,}", name)
    if data is None:
        data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # libyaml would read UTF-16
        _refuse_bad_utf8(data, name)
    # Line ends as reading text turns them, so the parser sees what it always saw.
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data
    try:
        with gc_paused():
            parts = _build_in_parts(text, name) if len(text) >= PARTS_FROM_BYTES else None
            result, located = parts or _build(text, name)
    except (yaml.YAMLError, AtlasError) as exc:
        _refuse_bad_utf8(data, name)
        raise _refusal(exc, text, name) from None
    if not isinstance(result, dict):
        raise AtlasError("the catalogue must be a mapping with 'topics:' and 'papers:'", name, 1)
    return result, located


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
    """Load and schema-check papers.yaml, raising the first located error.

    The garbage collector stays paused until the raw data is freed (see :func:`gc_paused`).
    """
    with gc_paused():
        data, located = read_raw(path)
        try:
            return Catalogue.model_validate(data)
        except ValidationError:
            raise schema_errors(data, located)[0] from None


# --- writing -----------------------------------------------------------------------


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PLAIN = (True, True)  # may be written plain: nothing would read it as another type
_QUOTED = (False, True)  # must be quoted (``'1e5'``, ``'yes'``, ``''``): plain, it reads as another type
_BLOCK_MAPPING = yaml.MappingStartEvent(None, _MAP, True, flow_style=False)
_FLOW_MAPPING = yaml.MappingStartEvent(None, _MAP, True, flow_style=True)
_BLOCK_SEQUENCE = yaml.SequenceStartEvent(None, _SEQ, True, flow_style=False)
_MAPPING_END = yaml.MappingEndEvent()
_SEQUENCE_END = yaml.SequenceEndEvent()
#: The implicit resolvers of _Dumper (YAML 1.1 plus our YAML 1.2 numbers, no timestamps)
#: by first character, as Resolver.resolve tries them. PyYAML has no wildcard resolvers (for
#: any first character): a string whose first character is not a key here is plain.
_RESOLVERS = dict(_Dumper.yaml_implicit_resolvers)
assert None not in _RESOLVERS
#: Bytes gathered from the emitter before :func:`dump_chunks` hands them on.
_CHUNK_BYTES = 1 << 20


def _flags(value: str) -> tuple[bool, bool]:
    """The implicit flags of a str scalar, as PyYAML's serializer sets them.

    It may be written plain only if it reads back as a string: no implicit resolver
    (``Resolver.resolve`` with _Dumper's rules) takes it for another type. It may always
    be written quoted.
    """
    for tag, regexp in _RESOLVERS.get(value[:1], ()):
        if regexp.match(value):
            return _PLAIN if tag == _STR else _QUOTED
    return _PLAIN


@lru_cache(maxsize=4096)
def _key(key: str) -> yaml.ScalarEvent:
    """The event of a mapping key (field names and the like repeat: made once)."""
    return yaml.ScalarEvent(None, None, _flags(key), key)


def _emit_value(value: Any, emit: Callable[[Any], None]) -> None:
    """Emit a str, an int, or a list or mapping of them, as SafeRepresenter represents it."""
    kind = type(value)
    if kind is str:
        emit(yaml.ScalarEvent(None, None, _flags(value), value))
    elif kind is list:
        emit(_BLOCK_SEQUENCE)
        for item in value:
            _emit_value(item, emit)
        emit(_SEQUENCE_END)
    elif kind is dict:
        emit(_BLOCK_MAPPING)
        for key, item in value.items():
            emit(_key(key) if type(key) is str else _scalar(key))
            _emit_value(item, emit)
        emit(_MAPPING_END)
    else:
        emit(_scalar(value))


def _scalar(value: Any) -> yaml.ScalarEvent:
    """The event of an int (the catalogue holds no other scalars but strings)."""
    if type(value) is int:
        text = str(value)
        for tag, regexp in _RESOLVERS.get(text[:1], ()):
            if regexp.match(text):
                return yaml.ScalarEvent(None, _INT, (tag == _INT, False), text)
        return yaml.ScalarEvent(None, _INT, (False, False), text)
    raise TypeError(f"cannot write a {type(value).__name__} to the catalogue: {value!r}")


def _emit_record(item: Topic | Paper, emit: Callable[[Any], None]) -> None:
    """Emit a topic or a paper: its fields in schema order, empty ones left out (except a
    paper's ``topics``), ``links`` and ``provenance`` sorted, ``generated`` sorted on one
    line with single-quoted fingerprints (unquoted, ``19581e27`` is a float to YAML 1.2).

    The hot path of writing (a hundred thousand papers): the field names' key events are
    made once, and strings and lists of strings are emitted inline; a string whose first
    character no resolver looks at is plain without further ado.
    """
    scalar, resolvers, plain = yaml.ScalarEvent, _RESOLVERS, _PLAIN
    emit(_BLOCK_MAPPING)
    for name, key_event, keep_empty in _record_fields(type(item)):
        value = getattr(item, name)
        kind = type(value)
        if kind is str:
            emit(key_event)
            emit(scalar(None, None, plain if value[:1] not in resolvers else _flags(value), value))
        elif value is None or value == [] or value == {}:
            if keep_empty:
                emit(key_event)
                _emit_value(value, emit)
        elif kind is list:
            emit(key_event)
            emit(_BLOCK_SEQUENCE)
            for entry in value:
                if type(entry) is str:
                    emit(scalar(None, None, plain if entry[:1] not in resolvers else _flags(entry), entry))
                else:
                    _emit_value(entry, emit)
            emit(_SEQUENCE_END)
        elif name == "generated" and kind is dict:
            emit(key_event)
            emit(_FLOW_MAPPING)
            for key, mark in sorted(value.items()):
                emit(_key(key) if type(key) is str else _scalar(key))
                # Single-quoted on request: libyaml reads the plain flag only for plain style.
                emit(scalar(None, None, plain, mark, style="'"))
            emit(_MAPPING_END)
        else:
            emit(key_event)
            _emit_value(dict(sorted(value.items())) if name in ("links", "provenance") and kind is dict else value, emit)
    emit(_MAPPING_END)


@lru_cache(maxsize=None)
def _record_fields(model: type[Topic] | type[Paper]) -> list[tuple[str, yaml.ScalarEvent, bool]]:
    """A model's fields in order: name, the event of its key, whether written when empty."""
    return [(name, _key(name), model is Paper and name == "topics") for name in model.model_fields]


class _Sink:
    """Collects what the emitter writes (UTF-8 bytes)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts, self.size = [], 0
        return data


#: From this many papers up, a catalogue is written in parts at once (see :func:`dump_chunks`).
PARTS_FROM_PAPERS = 4_000


def dump_chunks(catalogue: Catalogue) -> Iterator[bytes]:
    """The catalogue as YAML, in UTF-8 chunks of about a megabyte (see :func:`dumps`).

    A big catalogue is written in parts at once, one per CPU: the forks of
    :func:`generator.ingest.parallel.forked` each write a slice of the sorted papers as a document
    of its own, ``papers:`` and the slice, while this process writes the topics and the
    first slice. Each paper is a block at the left margin, so the slices, their
    ``papers:`` line cut off, join into exactly the text of the whole (the tests hold
    them to it); a fork that fails has its slice written here.
    """
    yield SCHEMA_COMMENT.encode("utf-8")
    papers = sorted(catalogue.papers, key=lambda p: p.id)
    parts = min(worker_count(), len(papers)) if len(papers) >= PARTS_FROM_PAPERS and can_fork() else 1
    if parts == 1:
        yield from _document([("topics", catalogue.topics), ("papers", papers)])
        return
    bounds = [len(papers) * n // parts for n in range(parts + 1)]
    slices = [papers[start:end] for start, end in zip(bounds, bounds[1:])]
    with forked([(_papers_text, (part,)) for part in slices[1:]], PART_WORKERS) as forks:
        yield from _document([("topics", catalogue.topics)])
        yield _PAPERS[1:]
        yield from _without_papers_line(_document([("papers", slices[0])]))
        for fork, part in zip(forks, slices[1:]):
            text = fork.result()
            yield _papers_text(part) if text is None else text


def _document(fields: list[tuple[str, Sequence[Topic | Paper]]]) -> Iterator[bytes]:
    """A YAML document: a mapping of each name to its list of records, in chunks."""
    sink = _Sink()
    emitter = _Dumper(sink, encoding="utf-8", allow_unicode=True, width=2**31 - 1, indent=2)
    emit = emitter.emit
    try:
        emit(yaml.StreamStartEvent(encoding="utf-8"))
        emit(yaml.DocumentStartEvent(explicit=False))
        emit(_BLOCK_MAPPING)
        for name, records in fields:
            emit(_key(name))
            emit(_BLOCK_SEQUENCE)
            for record in records:
                _emit_record(record, emit)
                if sink.size >= _CHUNK_BYTES:
                    yield sink.take()
            emit(_SEQUENCE_END)
        for event in (_MAPPING_END, yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()):
            emit(event)
    finally:
        emitter.dispose()
    yield sink.take()


def _without_papers_line(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks of a ``papers:`` document without that first line."""
    first = next(chunks, b"")
    if not first.startswith(_PAPERS[1:]):
        raise AssertionError(f"a document of papers starts {first[:20]!r}")
    yield first[len(_PAPERS) - 1 :]
    yield from chunks


def _papers_text(papers: Sequence[Paper]) -> bytes:
    """The YAML of a slice of the papers, as in the whole document (a fork's part)."""
    return b"".join(_without_papers_line(_document([("papers", papers)])))


def dumps(catalogue: Catalogue) -> str:
    """The catalogue as YAML text: byte-identical for equal catalogues.

    Topics in page order and papers sorted by id, each a block mapping of its fields in
    schema order (empty ones left out, except a paper's ``topics``); ``links`` and
    ``provenance`` sorted by key; ``generated`` sorted, on one line, its fingerprints
    single-quoted. Long text is never re-wrapped; non-ASCII text is written as is.

    The text is exactly what ``yaml.dump(..., Dumper=_Dumper, sort_keys=False,
    allow_unicode=True, width=2**31 - 1, indent=2, default_flow_style=False)`` writes for
    that plain data (tests/test_yaml_io.py holds them to it), but without PyYAML's
    pure-Python representer and its node graph: the events go straight to libyaml's C
    emitter, each scalar flagged plain or quoted by _Dumper's implicit resolvers, as the
    serializer would flag it. A hundred thousand papers take seconds, not a minute.
    """
    return b"".join(dump_chunks(catalogue)).decode("utf-8")


#: What :func:`write_if_changed` writes: text (as UTF-8), bytes, or an iterable of such chunks.
Content = Union[str, bytes, Iterable[Union[str, bytes]]]


class _Chunks:
    """The content as UTF-8 bytes chunks; remembers whether the caller's iterable raised."""

    def __init__(self, content: Content) -> None:
        self.size: int | None = None  # known in advance for str and bytes
        self.failed = False
        if isinstance(content, (str, bytes)):
            data = content.encode("utf-8") if isinstance(content, str) else content
            self.size = len(data)
            self._iterator: Iterator[str | bytes] = iter((data,))
        else:
            self._iterator = iter(content)

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self._iterator)
        except StopIteration:
            raise
        except BaseException:
            self.failed = True
            raise
        return chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def write_if_changed(path: Path | str, content: Content, *, durable: bool = True) -> bool:
    """Atomically replace ``path`` with ``content`` unless it already holds exactly that.

    ``content`` is text (written as UTF-8), bytes, or an iterable (a generator, say) of
    str and bytes chunks, consumed once, in order. The chunks are compared with the
    existing file as they come, and nothing is written before the first difference (the
    equal start is then copied from the old file), so the content and the old file are
    never both held in memory, nor either of them whole when the content comes in chunks.

    Returns True when the file was written, False when it already held exactly these
    bytes (then no temporary file is made, or it is removed). The write goes to a
    temporary file in the same directory, is flushed and fsynced, then renamed over the
    target. Whatever goes wrong, the old file stays as it was and no temporary file is
    left: a failed write is an AtlasError ("cannot write (...); the file is unchanged"),
    and an exception raised by the chunk iterable itself propagates unchanged.

    ``durable=False`` skips the fsync, for files that can be made again (the site's
    generated files): the rename still swaps old for new in one step for every reader,
    but after a power cut the file may be empty, which the next build notices (the sizes
    in its record differ) and repairs. papers.yaml is always written durably.
    """
    path = Path(path)
    chunks = _Chunks(content)
    with ExitStack() as stack:
        try:
            old: BinaryIO | None = stack.enter_context(path.open("rb"))
        except (FileNotFoundError, NotADirectoryError):
            old = None
        except IsADirectoryError:
            raise AtlasError("is a directory, cannot write a file here", str(path)) from None
        first = b""  # the first chunk that differs from the old file
        same = 0  # length of the start of the old file known to equal the content
        if old is not None and chunks.size in (None, os.fstat(old.fileno()).st_size):
            for first in chunks:
                if old.read(len(first)) != first:
                    break
                same += len(first)
            else:
                if not old.read(1):
                    return False
                first = b""
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
                if same and old is not None:
                    _copy_start(old, handle, same)
                handle.write(first)
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                if durable:
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
            if isinstance(exc, OSError) and not chunks.failed:  # disk full, file too large, ...
                raise AtlasError(f"cannot write ({exc.strerror or exc}); the file is unchanged", str(path)) from None
            raise
    return True


def _copy_start(source: BinaryIO, target: BinaryIO, size: int) -> None:
    """Copy the first ``size`` bytes of ``source`` (already compared equal) to ``target``."""
    source.seek(0)
    while size:
        block = source.read(min(size, 1 << 20))
        if not block:
            raise OSError("the file shrank while it was being compared")
        target.write(block)
        size -= len(block)


def save(catalogue: Catalogue, path: Path | str) -> bool:
    """Write the catalogue atomically; returns False when nothing changed.

    The YAML is streamed (:func:`dump_chunks`) into :func:`write_if_changed`: the text of
    a large catalogue is never held whole in memory.
    """
    return write_if_changed(path, dump_chunks(catalogue))


@contextmanager
def locked(path: Path | str, timeout: float = 30.0) -> Iterator[None]:
    """Hold ``<catalogue>.lock`` so two imports never lose each other's work; temporary
    files that a killed writer left beside the catalogue are removed."""
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
        # Every writer of the catalogue holds the lock: a temporary file of it that is here
        # now was left by a run killed while writing (kill -9, power cut). Tidy it away.
        for stray in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with suppress(OSError):
                stray.unlink()
        yield
    finally:
        lock.release()


__all__ = [
    "Catalogue",
    "Located",
    "Paper",
    "Topic",
    "dump_chunks",
    "dumps",
    "gc_paused",
    "load",
    "locked",
    "read_raw",
    "save",
    "schema_errors",
    "write_if_changed",
]
