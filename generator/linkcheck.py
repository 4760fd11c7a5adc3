"""The link check: is every code and project link of the catalogue still alive?

Each distinct URL is asked once: HEAD first, then GET (without reading the body) when a
server refuses HEAD. Redirects are followed (at most :data:`MAX_REDIRECTS`); a request has
an overall deadline, so a server that drips its answer cannot hold the check; timeouts,
refused connections, 429 and 5xx answers are retried with back-off; requests to one host go
one at a time, spaced by ``per_host_interval``, while different hosts are asked side by side.

The report keeps, for each dead link, the date it was first seen dead, in a state block
that the weekly workflow carries from one run to the next inside the issue it opens
(:func:`read_state`, :func:`report_markdown`); no file in the repository changes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import urlsplit

import httpx

from .model import Catalogue

MAX_REDIRECTS = 5
#: Answers that mean "ask again later", not "dead".
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
#: Answers to HEAD after which a GET is tried: servers that do not implement HEAD properly.
HEAD_REFUSED = frozenset({400, 403, 404, 405, 406, 501})
USER_AGENT = "action-atlas-link-check (+https://github.com/action-atlas/action-atlas)"
_STATE = re.compile(r"<!-- link-check-state: (\{.*?\}) -->", re.DOTALL)


@dataclass(frozen=True)
class Outcome:
    """What one URL answered: ``status`` (the last HTTP status, if any) and ``problem``
    (None when the link is alive)."""

    url: str
    status: int | None
    problem: str | None

    @property
    def alive(self) -> bool:
        return self.problem is None


def catalogue_links(catalogue: Catalogue) -> dict[str, list[str]]:
    """Every link URL of the catalogue -> the ``paper-id (link name)`` entries that carry it, sorted."""
    where: dict[str, list[str]] = defaultdict(list)
    for paper in catalogue.papers:
        for name, url in paper.links.items():
            where[url].append(f"{paper.id} ({name})")
    return {url: sorted(where[url]) for url in sorted(where)}


class _Hosts:
    """One request at a time per host, at least ``interval`` seconds apart."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.last: dict[str, float] = {}

    async def turn(self, host: str) -> asyncio.Lock:
        lock = self.locks[host]
        await lock.acquire()
        wait = self.last.get(host, -self.interval) + self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return lock

    def done(self, host: str, lock: asyncio.Lock) -> None:
        self.last[host] = time.monotonic()
        lock.release()


async def _ask(client: httpx.AsyncClient, hosts: _Hosts, url: str, deadline: float) -> tuple[int | None, str | None]:
    """One attempt: HEAD, then GET if HEAD is refused; redirects followed by hand, so each
    hop waits its host's turn. (status, problem); problem None means alive."""
    method = "HEAD"
    current = url
    hops = 0
    while True:
        host = urlsplit(current).hostname or ""
        lock = await hosts.turn(host)
        try:
            request = client.build_request(method, current)
            response = await asyncio.wait_for(client.send(request, stream=True), deadline)
            await response.aclose()  # the body is never read
        except asyncio.TimeoutError:
            return None, f"no answer within {deadline:g} s"
        except httpx.InvalidURL:  # httpx reads a redirect's Location even when not following it
            return None, "redirects to a malformed or non-http(s) URL"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:200] or type(exc).__name__
        finally:
            hosts.done(host, lock)
        status = response.status_code
        if response.is_redirect and "location" in response.headers:
            hops += 1
            if hops > MAX_REDIRECTS:
                return status, f"more than {MAX_REDIRECTS} redirects"
            location = response.headers["location"]
            scheme = urlsplit(location).scheme.lower()
            if scheme not in ("", "http", "https"):
                return status, f"redirects to a {scheme[:20]}: URL"
            try:
                current = str(response.url.join(location))
            except httpx.InvalidURL:
                return status, "redirects to a malformed URL"
            continue
        if method == "HEAD" and status in HEAD_REFUSED:
            method, current, hops = "GET", url, 0
            continue
        if status < 400:
            return status, None
        return status, f"HTTP {status}"


async def _check_one(
    client: httpx.AsyncClient, hosts: _Hosts, url: str, deadline: float, retries: int, backoff: float
) -> Outcome:
    for attempt in range(retries + 1):
        status, problem = await _ask(client, hosts, url, deadline)
        retry = problem is not None and (status is None or status in RETRIED_STATUS)
        if not retry or attempt == retries:
            return Outcome(url, status, problem)
        await asyncio.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


async def _check_all(
    urls: list[str], *, deadline: float, retries: int, backoff: float, per_host_interval: float, parallel: int
) -> list[Outcome]:
    hosts = _Hosts(per_host_interval)
    slots = asyncio.Semaphore(parallel)
    headers = {"user-agent": USER_AGENT}
    # No credentials of any kind, and no redirects followed by httpx itself (see _ask).
    async with httpx.AsyncClient(headers=headers, timeout=deadline, follow_redirects=False, trust_env=False) as client:

        async def bounded(url: str) -> Outcome:
            async with slots:
                return await _check_one(client, hosts, url, deadline, retries, backoff)

        return list(await asyncio.gather(*(bounded(url) for url in urls)))


def check_links(
    urls: Iterable[str],
    *,
    deadline: float = 20.0,
    retries: int = 2,
    backoff: float = 2.0,
    per_host_interval: float = 1.0,
    parallel: int = 8,
) -> list[Outcome]:
    """Ask every URL (each once, in the given order) and say which are alive."""
    unique = list(dict.fromkeys(urls))
    return asyncio.run(
        _check_all(
            unique,
            deadline=deadline,
            retries=retries,
            backoff=backoff,
            per_host_interval=per_host_interval,
            parallel=parallel,
        )
    )


def read_state(previous_report: str) -> dict[str, str]:
    """The ``url -> first date seen dead`` state carried in a previous report (empty if none)."""
    found = _STATE.search(previous_report)
    if not found:
        return {}
    try:
        state = json.loads(found.group(1))
    except ValueError:
        return {}
    if not isinstance(state, dict):
        return {}
    return {url: since for url, since in state.items() if isinstance(url, str) and isinstance(since, str)}


def dead_since(outcomes: Iterable[Outcome], previous: Mapping[str, str], today: dt.date) -> dict[str, str]:
    """Dead URL -> the date it was first seen dead: kept from ``previous``, else today."""
    return {o.url: previous.get(o.url, today.isoformat()) for o in outcomes if not o.alive}


def _cell(text: str) -> str:
    """Text for a Markdown table cell: no pipes, no line breaks, no HTML."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def report_markdown(outcomes: list[Outcome], where: Mapping[str, list[str]], since: Mapping[str, str]) -> str:
    """The issue body: a table of the dead links (status, since when, which papers), and the state."""
    dead = [o for o in outcomes if not o.alive]
    lines = [
        f"The weekly link check found {len(dead)} dead link{'s' if len(dead) != 1 else ''} "
        f"of {len(outcomes)} in papers.yaml. Fix or remove them in papers.yaml; this issue is "
        "updated every week and closed when every link answers.",
        "",
        "| link | answer | dead since | papers |",
        "| --- | --- | --- | --- |",
    ]
    for outcome in sorted(dead, key=lambda o: (since[o.url], o.url)):
        lines.append(
            f"| <{_cell(outcome.url)}> | {_cell(outcome.problem or '')} | {since[outcome.url]} "
            f"| {_cell(', '.join(where.get(outcome.url, [])))} |"
        )
    state = json.dumps(dict(sorted(since.items())), ensure_ascii=True).replace("--", "\\u002d\\u002d")
    lines += ["", f"<!-- link-check-state: {state} -->", ""]
    return "\n".join(lines)
