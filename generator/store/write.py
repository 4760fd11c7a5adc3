"""Write papers.yaml: deterministic and atomic.

Deterministic: stable key order, papers sorted by id, no re-wrapping of long text, so
equal catalogues are equal bytes and a no-op import writes nothing. Atomic: the text is
streamed into :func:`generator.files.write_if_changed`, so a killed process leaves the old
or the new catalogue, never a broken one. The YAML events go straight from the models to
libyaml's C emitter (no representer, no node graph), in chunks of about a megabyte, so
writing 100,000 papers takes seconds and no copy of the whole text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from ..files import write_if_changed
from ..model import Catalogue, Paper, Retired, Topic

SCHEMA_COMMENT = "# yaml-language-server: $schema=schema/papers.schema.json\n"

_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper whose rules quote every string another YAML reader would take for
    something else: YAML 1.1's booleans, nulls, numbers and timestamps, YAML 1.2's numbers.
    (The ``date`` and ``added`` fields alone are written as plain dates, see _DATE_RESOLVERS.)"""


# Our reader takes timestamps for strings (read.RESOLVERS); others do not: an id or a title
# ``2024-01-01`` is quoted, or PyYAML's plain yaml.safe_load would read a datetime.date.
_Dumper.yaml_implicit_resolvers = {first: list(resolvers) for first, resolvers in _BaseDumper.yaml_implicit_resolvers.items()}
# Quote strings that YAML 1.2 readers (editors, check-jsonschema) would take for numbers,
# although PyYAML's YAML 1.1 rules read them as strings: ``1e5``, ``0o17``, ``0x1F``.
_Dumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)
_Dumper.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^0o[0-7]+$|^0x[0-9a-fA-F]+$"), ["0"])


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
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
#: The rules for the values of ``date`` and ``added``: without timestamps, so that dates are
#: written plain, as a person writes them (``date: 2024-03-01``); those fields hold dates.
_DATE_RESOLVERS = {first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP] for first, resolvers in _RESOLVERS.items()}
_DATE_FIELDS = frozenset({"date", "added"})
#: Bytes gathered from the emitter before :func:`dump_chunks` hands them on.
_CHUNK_BYTES = 1 << 20


def _flags(value: str, resolvers: dict = _RESOLVERS) -> tuple[bool, bool]:
    """The implicit flags of a str scalar, as PyYAML's serializer sets them.

    It may be written plain only if it reads back as a string: no implicit resolver
    (``Resolver.resolve`` with _Dumper's rules) takes it for another type. It may always
    be written quoted.
    """
    for tag, regexp in resolvers.get(value[:1], ()):
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


def _emit_record(item: Topic | Paper | Retired, emit: Callable[[Any], None]) -> None:
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
            if name in _DATE_FIELDS:
                emit(scalar(None, None, _flags(value, _DATE_RESOLVERS), value))
            else:
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
def _record_fields(model: type[Topic] | type[Paper] | type[Retired]) -> list[tuple[str, yaml.ScalarEvent, bool]]:
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

def dump_chunks(catalogue: Catalogue) -> Iterator[bytes]:
    """The catalogue as YAML, in UTF-8 chunks of about a megabyte: byte-identical for
    equal catalogues.

    Topics in page order, the BibTeX lexicon (``bibtex:``, its lists as written, left out
    when empty), papers sorted by id (then the ``retired:`` entries, sorted by id, when
    there are any), each a block mapping of its fields in
    schema order (empty ones left out, except a paper's ``topics``); ``links`` and
    ``provenance`` sorted by key; ``generated`` sorted, on one line, its fingerprints
    single-quoted. Long text is never re-wrapped; non-ASCII text is written as is.

    The text is exactly what ``yaml.dump(..., Dumper=_Dumper, sort_keys=False,
    allow_unicode=True, width=2**31 - 1, indent=2, default_flow_style=False)`` writes for
    that plain data (tests/test_yaml_io.py holds it to that), but without PyYAML's
    pure-Python representer and its node graph: the events go straight to libyaml's C
    emitter, each scalar flagged plain or quoted by _Dumper's implicit resolvers, as the
    serializer would flag it. A hundred thousand papers take seconds, not a minute.
    """
    yield SCHEMA_COMMENT.encode("utf-8")
    papers = sorted(catalogue.papers, key=lambda p: p.id)
    sink = _Sink()
    emitter = _Dumper(sink, encoding="utf-8", allow_unicode=True, width=2**31 - 1, indent=2)
    emit = emitter.emit
    try:
        emit(yaml.StreamStartEvent(encoding="utf-8"))
        emit(yaml.DocumentStartEvent(explicit=False))
        emit(_BLOCK_MAPPING)
        sections: list[tuple[str, list]] = [("topics", catalogue.topics), ("papers", papers)]
        if catalogue.retired:  # written only when there is one, sorted as the papers are
            sections.append(("retired", sorted(catalogue.retired, key=lambda r: (r.id, r.bibtex_key))))
        for name, records in sections:
            if name == "papers":
                lexicon = {key: words for key, words in catalogue.bibtex.model_dump().items() if words}
                if lexicon:  # between the taxonomy and the papers, where a curator finds it
                    emit(_key("bibtex"))
                    _emit_value(lexicon, emit)
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


def save(catalogue: Catalogue, path: Path | str) -> bool:
    """Write the catalogue atomically; returns False when the file already held exactly
    this text (then nothing is written). The text is streamed (:func:`dump_chunks`), never
    held whole in memory."""
    return write_if_changed(path, dump_chunks(catalogue))
