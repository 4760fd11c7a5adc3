"""Find the URLs that abstracts mention and name them (code, project, data, ...)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..model import LINKS_MAX, is_valid_url

# A URL runs until white space, a quote, angle bracket or brace (listings glue
# LaTeX such as ``VRAG{https://...}`` or ``KinMo/}`` to URLs).
_URL = re.compile(r"https?://[^\s<>\"'{}\\|^`\[\]]+", re.I)
_TRAILING = ".,;:!?*"

_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")


def _clean(url: str) -> str:
    """Strip trailing punctuation and closing brackets that belong to the sentence."""
    while url:
        last = url[-1]
        if last in _TRAILING:
            url = url[:-1]
        elif last == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        else:
            break
    return url


def find_urls(text: str) -> list[tuple[int, int, str]]:
    """Every http(s) URL in ``text`` as (start, end, cleaned URL), in order of appearance."""
    found = []
    for match in _URL.finditer(text):
        url = _clean(match.group(0))
        parts = urlsplit(url)
        if not parts.netloc or "." not in parts.netloc:
            continue
        found.append((match.start(), match.start() + len(url), url))
    return found


def link_kind(url: str) -> str:
    """Name a link by what it points to: ``code``, ``data``, ``model``, ``demo`` or ``project``."""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    if host in _CODE_HOSTS:
        return "code"
    if host == "huggingface.co":
        first = parts.path.strip("/").split("/")[0]
        return {"datasets": "data", "spaces": "demo", "papers": "huggingface"}.get(first, "model")
    return "project"


def links_from_abstract(abstract: str) -> dict[str, str]:
    """The abstract's URLs as named links: ``code``, ``code-2``, ``project``, ...

    A URL that appears twice is kept once; names follow the order of appearance. A URL
    the schema would refuse (a control or format character in it, too long) is left out,
    and so is every URL after the first :data:`~generator.model.LINKS_MAX`: an odd URL in
    an abstract never costs the paper its entry.
    """
    links: dict[str, str] = {}
    seen: set[str] = set()
    for _, _, url in find_urls(abstract):
        key = url.rstrip("/").lower()
        if key in seen or not is_valid_url(url):
            continue
        if len(links) == LINKS_MAX:
            break
        seen.add(key)
        kind = link_kind(url)
        name, n = kind, 1
        while name in links:
            n += 1
            name = f"{kind}-{n}"
        links[name] = url
    return links
