"""Errors that reach a user as one line: ``file:line: problem``.

Whatever a message holds (a value from a hostile listing, a 3 MB id, a file name with a
carriage return in it), ``str()`` of an AtlasError is one clean, bounded line: control
characters (CR, LF, ESC, NUL, ...), line and paragraph separators and the invisible
format characters are escaped (``\\r``, ``\\x1b``, ``\\u202e``), and a message longer than
:data:`MAX_MESSAGE` characters is shortened in its middle. Messages name values with
:func:`quote`, which cuts a long value at :data:`MAX_VALUE` characters with ``…``.
"""

from __future__ import annotations

import re
import unicodedata

#: A value named in a message is cut to this many characters (then ``…``).
MAX_VALUE = 80
#: A whole message is cut in its middle beyond this many characters.
MAX_MESSAGE = 600

#: Characters that could end the line, move the cursor, start a terminal escape, or hide or
#: reorder text: C0 and C1 controls, DEL, line and paragraph separators, and the format
#: characters (zero-width joiners, bidirectional overrides, the byte order mark).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in "\r\n\t":
        return {"\r": "\\r", "\n": "\\n", "\t": "\\t"}[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` as one safe line: unsafe characters escaped (see :data:`_UNSAFE`, and any
    other format character), at most ``limit`` characters, cut in the middle with ``…``."""
    if len(text) > limit:
        keep = limit - 1
        text = text[: keep - keep // 4] + "…" + text[len(text) - keep // 4 :]
    text = _UNSAFE.sub(_escaped, text)
    if not text.isprintable():  # a format character the pattern does not list (rare)
        text = "".join(
            c if c.isprintable() or c == " " or unicodedata.category(c) not in ("Cf", "Co", "Cn", "Cs") else f"\\u{ord(c):04x}"
            for c in text
        )
    return text


def quote(value: object, limit: int = MAX_VALUE) -> str:
    """A value as a message names it: ``repr()``, cut after ``limit`` characters with ``…``
    (so a 3 MB id is an 80-character quote, not a 3 MB line)."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[: limit + 2] + "…"


class AtlasError(Exception):
    """A refusal the user can act on. ``str()`` is the one line the CLI prints."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    @property
    def text(self) -> str:
        """The message as one clean line (see the module's docstring)."""
        return clean(self.message)

    @property
    def where(self) -> str:
        """``file:line`` (or ``file``, or nothing), clean."""
        where = clean(self.path, 300) if self.path else ""
        if where and self.line:
            where += f":{self.line}"
        return where

    def __str__(self) -> str:
        where = self.where
        return f"{where}: {self.text}" if where else self.text
