"""Small helpers shared by tests (no fixtures: those are in conftest.py)."""

from __future__ import annotations

from generator.model import Catalogue
from generator.store.write import dump_chunks


def yaml_text(catalogue: Catalogue) -> str:
    """The text ``store.save`` writes for ``catalogue``."""
    return b"".join(dump_chunks(catalogue)).decode("utf-8")
