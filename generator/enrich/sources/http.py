"""A polite HTTP client for the metadata services: rate limit, bounded retries, a deadline per
request, cache, and credentials only for their own host.

One client per service. Every answer worth keeping (200, and 404 meaning "no such paper") is
stored on disk under the hash of its URL, so a repeat run asks the network nothing. Time is
injected (``clock``, ``sleep``) so tests run on a fake clock, and the transport is injected so
tests serve recorded files instead of touching the network.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from generator.enrich.sources import Unavailable
from generator.errors import AtlasError
from generator.files import check_regular, read_regular, write_if_changed

USER_AGENT = "action-atlas/0.1 (curated research survey; metadata enrichment)"

#: Answers that are final and worth caching: the paper, or the service's "not found".
FINAL_STATUSES = frozenset({200, 404})
#: Answers that mean "try again later".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def default_cache_dir() -> Path:
    """``$ACTION_ATLAS_CACHE``, else ``$XDG_CACHE_HOME/action-atlas/http``, else ``~/.cache/...``."""
    if os.environ.get("ACTION_ATLAS_CACHE"):
        return Path(os.environ["ACTION_ATLAS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "action-atlas" / "http"


@dataclass(frozen=True)
class Answer:
    """A final answer of a service: its URL, HTTP status and body text."""

    url: str
    status: int
    text: str


#: Redirects followed at most, per request.
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class PoliteClient:
    """GET with one request per ``min_interval`` seconds, retries with back-off, a deadline
    per request, and a disk cache.

    Each attempt has ``timeout`` seconds in all, from the first byte sent to the last one
    read, redirects included: a server that drips its answer a byte at a time cannot hold
    it longer. Redirects are followed by hand (at most :data:`MAX_REDIRECTS`, to http(s)
    only); ``credentials`` (headers such as ``x-api-key``) go only with requests over https
    to ``credential_host``, never to another host nor over plain http.
    """

    def __init__(
        self,
        name: str,
        *,
        min_interval: float,
        cache_dir: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        credential_host: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 2.0,
        max_backoff: float = 60.0,
        max_bytes: int = 5_000_000,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.name = name
        self.min_interval = min_interval
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_bytes = max_bytes
        self._clock = clock
        self._sleep = sleep
        self._last_request: float | None = None
        self._credentials = dict(credentials or {})
        self._credential_host = credential_host
        # One event loop per client: asyncio.wait_for gives each request its deadline.
        self._loop = asyncio.new_event_loop()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=False,
        )
        #: Requests sent over the transport (each retry counts), and answers read from the cache.
        self.requests = 0
        self.cache_hits = 0

    def __enter__(self) -> "PoliteClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._http.aclose())
            self._loop.close()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> Answer:
        """The final answer for ``url`` (status 200 or 404), from the cache when it holds one.

        Raises AtlasError on any other status, or when retries are exhausted;
        :class:`~generator.enrich.sources.Unavailable` when the answer is too big.
        """
        full_url = str(httpx.URL(url, params=dict(params or {})))
        cached = self._read_cache(full_url)
        if cached is not None:
            self.cache_hits += 1
            return cached
        answer = self._fetch(full_url)
        self._write_cache(answer)
        return answer

    def _fetch(self, url: str) -> Answer:
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            self._wait_turn()
            self.requests += 1
            retry_after = 0.0
            try:
                status, text, headers = self._send(url)
            except (httpx.TimeoutException, TimeoutError):
                problem = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__})"
            else:
                if status in FINAL_STATUSES:
                    return Answer(url, status, text)
                if status not in RETRY_STATUSES:
                    raise AtlasError(f"{self.name}: {url} answered HTTP {status}")
                problem = f"HTTP {status}"
                retry_after = _seconds(headers.get("Retry-After"))
            if attempt == attempts:
                raise AtlasError(f"{self.name}: gave up on {url} after {attempts} attempts: {problem}")
            delay = max(retry_after, self.backoff * 2 ** (attempt - 1))
            self._sleep(min(delay, self.max_backoff))
        raise AssertionError("unreachable")

    def _wait_turn(self) -> None:
        """Sleep until ``min_interval`` has passed since the previous request started."""
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _send(self, url: str) -> tuple[int, str, httpx.Headers]:
        """One attempt, within its deadline: see :meth:`_exchange`."""
        return self._loop.run_until_complete(asyncio.wait_for(self._exchange(url), self.timeout))

    def _headers_for(self, url: httpx.URL) -> dict[str, str]:
        """The credentials, for an https URL of their own host only."""
        if self._credentials and url.scheme == "https" and url.host == self._credential_host and url.port in (None, 443):
            return dict(self._credentials)
        return {}

    async def _exchange(self, url: str) -> tuple[int, str, httpx.Headers]:
        """GET ``url`` (following redirects by hand), reading at most ``max_bytes``."""
        current = httpx.URL(url)
        for _ in range(MAX_REDIRECTS + 1):
            request = self._http.build_request("GET", current, headers=self._headers_for(current))
            try:
                response = await self._http.send(request, stream=True)
            except httpx.InvalidURL:  # httpx reads a redirect's Location even when not following it
                raise Unavailable(f"{self.name}: {url} redirects to a malformed or non-http(s) URL") from None
            try:
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    try:
                        target = current.join(location)
                    except httpx.InvalidURL:
                        raise Unavailable(f"{self.name}: {url} redirects to a malformed URL") from None
                    if target.scheme not in ("http", "https"):
                        raise Unavailable(f"{self.name}: {url} redirects to a {target.scheme[:20]}: URL")
                    current = target
                    continue
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise Unavailable(f"{self.name}: {url} sent more than {self.max_bytes} bytes")
                text = body.decode(response.encoding or "utf-8", errors="replace")
                return response.status_code, text, response.headers
            finally:
                await response.aclose()
        raise Unavailable(f"{self.name}: {url} redirects more than {MAX_REDIRECTS} times")

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _read_cache(self, url: str) -> Answer | None:
        """The cached answer, or None: a missing or damaged entry (not JSON, not UTF-8, a
        field missing or of the wrong type) is a miss, which the next write replaces."""
        path = self._cache_path(url)
        if path is None or self.cache_dir is None or check_regular(path, self.cache_dir) is None:
            return None
        try:
            stored = json.loads(read_regular(path, self.cache_dir, limit=4 * self.max_bytes + 4096, name="cache entry"))
            status, text = stored["status"], stored["text"]
            if stored["url"] != url or type(status) is not int or status not in FINAL_STATUSES or not isinstance(text, str):
                return None
        except (AtlasError, ValueError, KeyError, TypeError, RecursionError):
            return None
        return Answer(url, status, text)

    def _write_cache(self, answer: Answer) -> None:
        path = self._cache_path(answer.url)
        if path is None or self.cache_dir is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"url": answer.url, "status": answer.status, "text": answer.text}
        # Atomic, so an interrupted run never leaves half an entry behind; not fsynced:
        # an entry lost in a power cut is only fetched again.
        write_if_changed(path, json.dumps(data, ensure_ascii=False), durable=False, root=self.cache_dir)


def _seconds(retry_after: str | None) -> float:
    """A ``Retry-After`` header in seconds (the HTTP-date form is ignored: back-off applies)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else 0.0
    except ValueError:
        return 0.0
