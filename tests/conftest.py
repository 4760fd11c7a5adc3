"""Shared fixtures: the real site, built and served on 127.0.0.1 once per test session.

The site is built from a copy of the project (mkdocs.yml, generator/, the hand-written
pages in docs/ and the committed papers.yaml), so a test run never writes into docs/ or
site/ of the working tree. It is built for the address it is served at (site_url): Material's
instant navigation follows only links its sitemap lists, and it reads their port and path
from site_url. So each pytest-xdist worker builds and serves its own copy (a second or two).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from generator import site
from generator.render import plan
from generator.model import Catalogue
from generator.store import load

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuiltSite:
    """A built site, the catalogue it was built from, and where it is served."""

    directory: Path
    catalogue: Catalogue
    url: str  # http://127.0.0.1:<port>/, with the trailing slash


def copy_project(dest: Path) -> Path:
    """What a site build reads: mkdocs.yml, the theme overrides, the hand-written docs and
    papers.yaml (the generator is the installed package; nothing of it is in the site)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copy2(ROOT / "papers.yaml", dest / "papers.yaml")
    shutil.copytree(ROOT / "overrides", dest / "overrides")
    for path in (ROOT / "docs").rglob("*"):
        relative = path.relative_to(ROOT / "docs").as_posix()
        if path.is_file() and not site.is_generated(relative):
            (dest / "docs" / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest / "docs" / relative)
    return dest


@contextlib.contextmanager
def _serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the base URL.

    The server is a child process (``python -m http.server``), not a thread, so that it
    shares nothing with the test process.
    """
    command = [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", str(directory)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        started = server.stdout.readline()  # "Serving HTTP on 127.0.0.1 port 41234 (http://...) ..."
        port = re.search(r" port (\d+) ", started)
        if port is None:
            raise RuntimeError(f"http.server did not start: {started!r}")
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout is not None:
            server.stdout.close()


@contextlib.contextmanager
def _built_and_served(tmp_path_factory: pytest.TempPathFactory, name: str, page_papers: int) -> Iterator[BuiltSite]:
    project = copy_project(tmp_path_factory.mktemp(name))
    with _serve(project / "site") as url:
        with pytest.MonkeyPatch.context() as patch:  # undone before any test runs
            patch.setenv("SITE_URL", url)
            patch.setattr(plan, "PAGE_PAPERS", page_papers)
            patch.setattr(plan, "PAGE_BYTES", max(plan.PAGE_BYTES, page_papers * 4_000))
            site.build(project / "papers.yaml")
        yield BuiltSite(project / "site", load(project / "papers.yaml"), url)


@pytest.fixture(scope="session")
def real_site(tmp_path_factory) -> Iterator[BuiltSite]:
    """The committed catalogue, built strictly like `python -m generator build`, served;
    with every topic on one page, so that the filter tests see a whole topic (split_site
    checks split topics)."""
    with _built_and_served(tmp_path_factory, "real-site", 1_000) as built:
        yield built


@pytest.fixture(scope="session")
def split_site(tmp_path_factory) -> Iterator[BuiltSite]:
    """The committed catalogue with pages of at most 10 papers, so that topics are split."""
    with _built_and_served(tmp_path_factory, "split-site", 10) as built:
        yield built


@pytest.fixture(scope="module")
def no_network():
    """Fail any test that would open a socket: recorded answers only."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to touch the network")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        yield


class FakeClock:
    """A monotonic clock that only moves when something sleeps (no real sleeps in tests)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
