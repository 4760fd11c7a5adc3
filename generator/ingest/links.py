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


#: Hosts of project pages and code: a mention without ``https://`` of a site under one of
#: them is a link (``robovlms.github.io``, ``github.com/x/y``). The code hosts, Hugging Face
#: and Google Sites serve many projects under one name, so there a mention needs a path.
#: Any other host is a link only when its name says so (``www.example.org``): a word
#: with dots (``node.js``, ``Fig.3``, ``README.md``) is never one.
_PROJECT_HOSTS = ("github.io", "gitlab.io", "readthedocs.io", "netlify.app", "vercel.app", "pages.dev")
_PATH_HOSTS = _CODE_HOSTS + ("huggingface.co", "sites.google.com")
# A host name (labels of letters, digits and inner hyphens) and its path, not glued to a
# word, an address (``@``), a path or a scheme before it.
_BARE = re.compile(
    r"(?<![\w@/.:%+-])((?:www\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w-])(/[^\s<>\"'{}\\|^`\[\]]*)?",
    re.IGNORECASE,
)


def _bare_link(host: str, path: str) -> str | None:
    """The https URL of a scheme-less mention, or None if it is no link (a word with dots)."""
    host = host.lower()
    site = host.removeprefix("www.")
    on = lambda suffixes: any(site == s or site.endswith("." + s) for s in suffixes)  # noqa: E731
    if on(_PROJECT_HOSTS) and site not in _PROJECT_HOSTS:  # a project's own site: robovlms.github.io
        return f"https://{host}{path}"
    if on(_PATH_HOSTS) and len(path.strip("/")) > 0:  # a repository or page: github.com/x/y
        return f"https://{host}{path}"
    if host.startswith("www.") and host.count(".") >= 2:  # www.example.org: a web address by its name
        return f"https://{host}{path}"
    return None


def find_links(text: str) -> list[tuple[int, int, str]]:
    """:func:`find_urls`, and the project and code sites ``text`` names without a scheme
    (``robovlms.github.io`` -> ``https://robovlms.github.io``), in order of appearance."""
    found = find_urls(text)
    taken = [(start, end) for start, end, _ in found]
    for match in _BARE.finditer(text):
        if any(start < match.end() and match.start() < end for start, end in taken):
            continue  # inside an http(s) URL
        mention = _clean(match.group(0))
        host = match.group(1)
        url = _bare_link(host, mention[len(host) :])
        if url:
            found.append((match.start(), match.start() + len(mention), url))
    return sorted(found)


#: Hugging Face's own hosts; anything else that looks like Hugging Face is a mirror.
_HUGGING_FACE = ("huggingface.co", "hf.co", "hf.space")
#: Unofficial mirrors of Hugging Face known by name (more are found by :func:`mirror_host`'s rule).
KNOWN_MIRRORS = frozenset({"hf-mirror.com", "hf.mirrork.net", "hf.byter.me"})


def mirror_host(url: str) -> str | None:
    """The host of ``url`` if it is an unofficial Hugging Face mirror, else None.

    A mirror is a host that is not Hugging Face's own (``huggingface.co``, ``hf.co``,
    ``*.hf.space``) but names it: a known mirror, a host whose first label is ``hf`` or
    starts ``hf-`` (``hf.byter.me``, ``hf-mirror.com``), or one with ``huggingface`` or
    ``hfmirror`` in its name. Listings copied from such a site carry its links."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    if not host or any(host == h or host.endswith("." + h) for h in _HUGGING_FACE):
        return None
    first = host.split(".")[0]
    if host in KNOWN_MIRRORS or first == "hf" or first.startswith("hf-") or "huggingface" in host or "hfmirror" in host:
        return host
    return None


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
    """The abstract's URLs (:func:`find_links`) as named links: ``code``, ``code-2``, ``project``, ...

    A URL that appears twice is kept once; names follow the order of appearance. A URL
    the schema would refuse (a control or format character in it, too long) is left out,
    and so is every URL after the first :data:`~generator.model.LINKS_MAX`: an odd URL in
    an abstract never costs the paper its entry.
    """
    links: dict[str, str] = {}
    seen: set[str] = set()
    for _, _, url in find_links(abstract):
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
