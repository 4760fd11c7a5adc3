"""Publish the catalogue schema (model.py) as a JSON Schema file for editors."""

from __future__ import annotations

import json
from pathlib import Path

from .files import check_regular, write_if_changed
from .model import Catalogue


def schema_text() -> str:
    """The JSON Schema of papers.yaml, as deterministic text."""
    schema = Catalogue.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "papers.yaml: the Action Atlas catalogue"
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_schema(path: Path, root: Path | None = None) -> bool:
    """Write the schema file when its content changed; returns True when written. With
    ``root`` (the repository), no directory on the way may be a symbolic link."""
    if root is not None:
        check_regular(path.parent, root, directory=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_if_changed(path, schema_text(), root=root)
