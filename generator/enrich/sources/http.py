"""A polite HTTP client for the metadata services: rate limit, bounded retries, timeout, cache.

One client per service. Every answer worth keeping (200, and 404 meaning "no such paper") is
stored on disk under the hash of its URL, so a repeat run asks the network nothing. Time is
injected (``clock``, ``sleep``) so tests run on a fake clock, and the transport is injected so
tests serve recorded files instead of touching the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from generator.errors import AtlasError
from generator.files import write_if_changed

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


class PoliteClient:
    """GET with one request per ``min_interval`` seconds, retries with back-off, and a disk cache."""

    def __init__(
        self,
        name: str,
        *,
        min_interval: float,
        cache_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
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
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
        )
        #: Requests sent over the transport (each retry counts), and answers read from the cache.
        self.requests = 0
        self.cache_hits = 0

    def __enter__(self) -> "PoliteClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> Answer:
        """The final answer for ``url`` (status 200 or 404), from the cache when it holds one.

        Raises AtlasError on any other status, or when retries are exhausted.
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
            except httpx.TimeoutException:
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
        """One GET, reading at most ``max_bytes`` so a runaway answer cannot fill memory."""
        with self._http.stream("GET", url) as response:
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise AtlasError(f"{self.name}: {url} sent more than {self.max_bytes} bytes")
            text = body.decode(response.encoding or "utf-8", errors="replace")
            return response.status_code, text, response.headers

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()}.json"

    def _read_cache(self, url: str) -> Answer | None:
        path = self._cache_path(url)
        if path is None or not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is a miss; the next write replaces it
        if not isinstance(stored, dict) or stored.get("url") != url:
            return None
        return Answer(url, int(stored["status"]), str(stored["text"]))

    def _write_cache(self, answer: Answer) -> None:
        path = self._cache_path(answer.url)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"url": answer.url, "status": answer.status, "text": answer.text}
        # Atomic, so an interrupted run never leaves half an entry behind; not fsynced:
        # an entry lost in a power cut is only fetched again.
        write_if_changed(path, json.dumps(data, ensure_ascii=False), durable=False)


def _seconds(retry_after: str | None) -> float:
    """A ``Retry-After`` header in seconds (the HTTP-date form is ignored: back-off applies)."""
    try:
        return max(0.0, float(retry_after)) if retry_after else 0.0
    except ValueError:
        return 0.0
