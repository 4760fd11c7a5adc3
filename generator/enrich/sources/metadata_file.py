"""The recorded metadata file (data/papers-metadata.jsonl): known facts, one JSON object per line.

The format is documented in data/README.md. Treat the file like a recorded answer of an online
metadata service: enrichment reads it, nothing copies it into papers.yaml by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from generator.errors import AtlasError, quote
from generator.files import read_regular
from generator.model import ArxivId, Date, Paper, Text, Url
from generator.enrich.sources import Record
from generator.text import normalise_title

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class MetadataLine(BaseModel):
    """One line of the metadata file. Unknown keys are refused, so a typo cannot pass silently."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    arxiv_id: ArxivId | None = None
    authors: list[Name] = []
    published: Date | None = None
    venue: Name | None = None
    source: Url | None = None
    confidence: Literal["exact", "likely", "none"]


#: Metadata files larger than this are refused unread (ours is a few hundred kB).
MAX_BYTES = 64 * 1024 * 1024


def read_metadata_file(path: Path, root: Path | str | None = None) -> list[Record]:
    """The records of a metadata file, in file order.

    The file must be a regular file inside ``root`` (default: its own directory), not a
    link (to ``/dev/zero``, say) nor a device, and at most :data:`MAX_BYTES` long. Raises
    AtlasError ``file:line: problem`` on a line that is not UTF-8 or not a valid record
    (nested too deep included), and on a title (after normalisation) that a previous line
    already gave.
    """
    records: list[Record] = []
    first_line: dict[str, int] = {}
    try:
        data = read_regular(path, path.parent if root is None else root, limit=MAX_BYTES, name="metadata file")
    except AtlasError:
        raise
    except OSError as exc:  # a name too long, and the like
        raise AtlasError(f"cannot read the metadata file: {exc.strerror}", str(path)) from None
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AtlasError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8", str(path), number) from None
        if not line.strip():
            continue
        try:
            fields = MetadataLine.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON: {exc.msg} (column {exc.colno})"
            raise AtlasError(problem, str(path), number) from None
        except RecursionError:
            raise AtlasError("not a metadata record: JSON nested too deep", str(path), number) from None
        except ValidationError as exc:
            raise AtlasError(_first_problem(exc), str(path), number) from None
        key = normalise_title(fields.title)
        if key in first_line:
            raise AtlasError(
                f"title {quote(fields.title)} was already given on line {first_line[key]}", str(path), number
            )
        first_line[key] = number
        records.append(
            Record(
                source="metadata-file",
                ref=fields.source or f"{path.name}:{number}",
                title=fields.title,
                confidence=fields.confidence,
                authors=tuple(fields.authors),
                arxiv_id=fields.arxiv_id,
                published=fields.published,
                venue=fields.venue,
            )
        )
    return records


def _first_problem(exc: ValidationError) -> str:
    """One line for the first thing pydantic refused, naming the key."""
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "line"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "required key is missing"
    elif first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "model_type":
        where, message = "line", "not a JSON object"
    others = len(errors) - 1
    more = f" (and {others} more problem{'s' if others > 1 else ''})" if others else ""
    return f"{where}: {message}{more}"


class MetadataFile:
    """A :class:`Source` answering from a metadata file, matched by normalised title."""

    name = "metadata-file"
    requests = 0

    def __init__(self, path: Path | str, root: Path | str | None = None):
        self.path = Path(path)
        self.records = read_metadata_file(self.path, root)
        self._by_title = {normalise_title(r.title): r for r in self.records}

    def lookup(self, paper: Paper) -> Record | None:
        return self._by_title.get(normalise_title(paper.title))
