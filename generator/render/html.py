"""The one place where catalogue text becomes HTML: Jinja2 templates with autoescape on.

Every value a template prints goes through :func:`text` (the environment's ``finalize``),
unless it is already :class:`markupsafe.Markup`, which only this package makes. Catalogue
text is written into block-level raw HTML in the Markdown pages, which Python-Markdown
passes through untouched, so ``*stars*``, ``$x^2$``, ``{{ config }}``, ``<script>`` and
backslashes stay characters: never emphasis, math, template syntax or markup. Escaping for
HTML has one well-known rule; escaping for Markdown would have to know every extension.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup, escape

#: Control characters have no visible form; STX/ETX would even look like Python-Markdown's
#: own placeholders. Shown as U+FFFD. (Tab, newline and carriage return are whitespace.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: object) -> Markup:
    """A value as HTML text or attribute value that displays exactly as written.

    Newlines become ``&#10;`` so a raw HTML block never contains a blank line (which would
    end it early); CSS ``white-space: pre-line`` shows them as line breaks.
    """
    if isinstance(value, Markup):
        return value
    if isinstance(value, int):
        return Markup(value)
    value = "" if value is None else str(value)
    if value.isprintable():  # the common case: no control character, no line break
        return escape(value)  # markupsafe's C escaping: & < > " '
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return Markup(str(escape(_CONTROL.sub("\ufffd", value))).replace("\n", "&#10;"))


def href(url: str) -> str:
    """``url`` if it is an absolute http(s) URL; anything else is refused loudly (a
    ``javascript:`` link must never reach a page). The template escapes it."""
    if not url.startswith(("https://", "http://")) and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return url


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        finalize=text,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


#: The templates in ``render/templates/``.
templates = _environment()


def render(name: str, **values: object) -> str:
    """The template ``name`` filled with ``values``."""
    return templates.get_template(name).render(**values)
