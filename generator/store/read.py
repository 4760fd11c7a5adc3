"""Read papers.yaml into plain data and its line numbers: safe and located.

Reading refuses what PyYAML would otherwise accept silently: anchors and aliases (an
alias bomb fails at its first anchor), duplicate mapping keys (PyYAML keeps the last),
nesting too deep for libyaml, and oversized files. Every refusal is an AtlasError naming
``file:line``. The data is built in one pass over libyaml's events, straight from the
file's bytes, noting the line of every paper, topic and field on the way: it is both the
simplest way to locate later errors and faster than PyYAML's node graph.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from ..errors import AtlasError, quote
from ..files import read_regular
from ..model import Catalogue, Paper, Retired, Topic
from .locate import Located

#: Refuse catalogues larger than this many bytes (override: ATLAS_MAX_CATALOGUE_BYTES).
MAX_BYTES = int(os.environ.get("ATLAS_MAX_CATALOGUE_BYTES", 512 * 1024 * 1024))

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: PyYAML's implicit resolvers by first character, without timestamps: dates stay strings
#: (the schema checks them). The writer (write.py) starts from the same rules.
RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that reads dates as plain strings (the schema checks them)."""

    yaml_implicit_resolvers = RESOLVERS


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    # int() refuses more than 4,300 digits with a ValueError, which has no line number.
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"number of {len(node.value):,} characters is too large", node.start_mark
        ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


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
                None, None, f"could not determine a constructor for the tag {quote(tag)}", event.start_mark
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
    for model in (Catalogue, Topic, Paper, Retired)
    for name in model.model_fields
    if _Scalars().resolve(yaml.ScalarNode, name, (True, False)) == "tag:yaml.org,2002:str"
)


def _build(data: bytes, path: str) -> tuple[Any, Located]:
    """Plain data and line numbers from one pass over the parser's events.

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
                    raise AtlasError(_ANCHORS, path, event.start_mark.line + 1)
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
                        line = event.start_mark.line + 1
                        if value in seen:
                            raise AtlasError(
                                f"duplicate key {quote(str(value))} (first at line {seen[value]}); "
                                "YAML would silently keep the last one",
                                path,
                                line,
                            )
                        seen[value] = line
                        if fields is not None and value.__class__ is str:
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
                line = event.start_mark.line + 1
                if event.anchor is not None:
                    raise AtlasError(_ANCHORS, path, line)
                if event.tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise AtlasError(f"YAML: could not determine a constructor for the tag {quote(event.tag)}", path, line)
                depth = len(stack)  # open containers: the stack holds the top level too
                if depth >= MAX_DEPTH:
                    raise AtlasError(TOO_DEEP, path, line)
                new: Any = {} if kind is mapping_start else []
                new_fields = None
                # A topic or paper: a mapping in the root's "topics" or "papers" list.
                if depth == 2 and kind is mapping_start and in_root in ("topics", "papers", "retired"):
                    new_fields = {}
                    if in_root == "papers":
                        located.papers.append(line)
                        located.fields.append(new_fields)
                    elif in_root == "topics":
                        located.topics.append(line)
                        located.topic_fields.append(new_fields)
                    else:
                        located.retired.append(line)
                        located.retired_fields.append(new_fields)
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
                if depth == 0 and is_map:
                    located.sections = seen  # the root's keys (topics, bibtex, papers) -> their lines
            elif event is None:
                break
            elif kind is yaml.AliasEvent:
                raise AtlasError(_ANCHORS, path, event.start_mark.line + 1)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise AtlasError(
                        "YAML syntax: expected a single document in the stream but found another document",
                        path,
                        event.start_mark.line + 1,
                    )
    finally:
        parser.dispose()
    if root is None:
        raise AtlasError("catalogue is empty: it needs 'topics:' and 'papers:'", path, 1)
    return root, located


_NO_KEY = object()


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
        return AtlasError(f"YAML: {exc.reason} ({quote(char)})", name, line)
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
    if data is None:
        # A regular file only (not a link, a pipe, a device), read with the size limit.
        data = read_regular(path, path.parent, limit=MAX_BYTES, name="catalogue")
    elif len(data) > MAX_BYTES:
        raise AtlasError(f"catalogue is {len(data):,} bytes, over the limit of {MAX_BYTES:,}", name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # libyaml would read UTF-16
        _refuse_bad_utf8(data, name)
    # Line ends as reading text turns them, so the parser sees what it always saw.
    text = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data
    try:
        result, located = _build(text, name)
    except (yaml.YAMLError, AtlasError) as exc:
        _refuse_bad_utf8(data, name)
        raise _refusal(exc, text, name) from None
    if not isinstance(result, dict):
        raise AtlasError("the catalogue must be a mapping with 'topics:' and 'papers:'", name, 1)
    return result, located
