"""Errors that reach a user as one line: ``file:line: problem``."""

from __future__ import annotations


class AtlasError(Exception):
    """A refusal the user can act on. ``str()`` is the one line the CLI prints."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message

