"""The weekly link check, against a local server that answers as real hosts do (no network)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from generator import store
from generator.linkcheck import Outcome, catalogue_links, check_links, dead_since, read_state, report_markdown
from generator.model import Catalogue

ROOT = Path(__file__).resolve().parents[1]
SERVER = Path(__file__).parent / "fixtures" / "linkserver.py"
FAST = dict(deadline=2.0, retries=1, backoff=0.05, per_host_interval=0.0)


class Server:
    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("linkserver") / "requests.log"
    process = subprocess.Popen([sys.executable, "-u", str(SERVER), str(log)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    try:
        yield Server(process, port, log)
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def one(server: Server, path: str, **options) -> Outcome:
    [outcome] = check_links([server.url(path)], **{**FAST, **options})
    return outcome


def test_a_live_link_is_alive(server):
    outcome = one(server, "/ok")
    assert outcome.alive and outcome.status == 200


def test_a_404_is_dead_with_its_status(server):
    outcome = one(server, "/gone")
    assert not outcome.alive and outcome.status == 404 and "404" in outcome.problem


def test_a_chain_of_301s_is_followed_to_its_end(server):
    assert one(server, "/hop/4").alive  # four hops, then 200


def test_a_redirect_loop_is_dead_not_endless(server):
    start = time.monotonic()
    outcome = one(server, "/loop")
    assert not outcome.alive and "redirects" in outcome.problem
    assert time.monotonic() - start < 5


def test_a_redirect_to_a_script_url_is_never_followed(server):
    outcome = one(server, "/to-script")
    assert not outcome.alive and "URL" in outcome.problem
    assert not requests_logged(server, "alert")


def test_a_server_that_refuses_head_is_asked_with_get(server):
    assert one(server, "/no-head").alive


def test_a_dripping_server_cannot_hold_a_request_past_its_deadline(server):
    # The server takes about 5 s to send its status line, one byte at a time; every byte
    # would reset a per-read timeout.
    start = time.monotonic()
    outcome = one(server, "/drip", deadline=1.0, retries=0)
    assert time.monotonic() - start < 3
    assert not outcome.alive and outcome.status is None and "1 s" in outcome.problem


def test_a_silent_server_times_out_and_is_retried(server):
    start = time.monotonic()
    outcome = one(server, "/silent", deadline=0.5, retries=1)
    elapsed = time.monotonic() - start
    assert not outcome.alive and "no answer" in outcome.problem
    assert 1.0 <= elapsed < 4  # two attempts of 0.5 s each


def test_a_flaky_server_is_retried_until_it_answers(server):
    assert one(server, "/flaky", retries=2).alive


def test_nothing_listening_is_dead():
    with socket_port() as port:
        pass  # the port is free again: nothing listens there
    [outcome] = check_links([f"http://127.0.0.1:{port}/"], **FAST)
    assert not outcome.alive and outcome.status is None


def test_requests_to_one_host_are_spaced_and_each_url_asked_once(server):
    paths = ["/ok/spaced-a", "/ok/spaced-b", "/ok/spaced-c", "/ok/spaced-a"]
    outcomes = check_links([server.url(p) for p in paths], **{**FAST, "per_host_interval": 0.4})
    assert [o.url for o in outcomes] == [server.url(p) for p in paths[:3]]
    times = sorted(float(t) for t in requests_logged(server, "/ok/spaced-"))
    assert len(times) == 3
    assert all(later - earlier >= 0.35 for earlier, later in zip(times, times[1:]))


def test_a_dead_link_keeps_the_date_it_was_first_seen_dead(server):
    where = {server.url("/gone"): ["paper-a (code)"], server.url("/ok"): ["paper-b (project)"]}
    outcomes = check_links(where, **FAST)
    first = report_markdown(outcomes, where, dead_since(outcomes, {}, dt.date(2026, 11, 1)))
    assert "| 2026-11-01 |" in first and "paper-a (code)" in first and "paper-b" not in first
    # A week later: the state read back from last week's report keeps the first date.
    later = dead_since(outcomes, read_state(first), dt.date(2026, 11, 8))
    assert later == {server.url("/gone"): "2026-11-01"}


def test_the_report_keeps_hostile_text_inert():
    url = "https://example.org/a|b"
    outcomes = [Outcome(url, 404, "HTTP 404 <script>alert(1)</script>\n| x")]
    text = report_markdown(outcomes, {url: ["p (code) --> <!--"]}, {url: "2026-11-01"})
    table = [line for line in text.splitlines() if line.startswith("| <")]
    assert len(table) == 1 and "<script>" not in text and "\\|" in table[0]
    assert read_state(text) == {url: "2026-11-01"}  # "-->" in a value cannot end the state comment early


def test_a_damaged_state_is_no_state():
    assert read_state("no state here") == {}
    assert read_state("<!-- link-check-state: {not json} -->") == {}
    assert read_state('<!-- link-check-state: {"u": 3} -->') == {}


def test_catalogue_links_lists_each_url_once_with_its_papers():
    committed = store.load(ROOT / "papers.yaml")
    where = catalogue_links(committed)
    assert list(where) == sorted(where)
    for paper in committed.papers:
        for name, url in paper.links.items():
            assert f"{paper.id} ({name})" in where[url]


def test_check_links_command_writes_a_report_only_while_a_link_is_dead(server, tmp_path):
    committed = store.load(ROOT / "papers.yaml")
    first, second = committed.papers[:2]
    papers = [
        first.model_copy(update={"links": {"code": server.url("/gone")}}),
        second.model_copy(update={"links": {"project": server.url("/ok")}}),
    ]
    store.save(Catalogue(topics=committed.topics, papers=papers), tmp_path / "papers.yaml")
    report = tmp_path / "dead-links.md"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "generator", "check-links", "--deadline", "5", *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    done = run("--report", str(report))
    assert done.returncode == 0, done.stderr
    assert re.search(r"^2 links checked, 1 dead$", done.stdout, re.MULTILINE)
    assert f"{first.id} (code)" in report.read_text(encoding="utf-8")

    papers[0] = first.model_copy(update={"links": {"code": server.url("/ok/fixed")}})
    store.save(Catalogue(topics=committed.topics, papers=papers), tmp_path / "papers.yaml")
    done = run("--report", str(report), "--previous", str(report))
    assert done.returncode == 0, done.stderr
    assert "2 links checked, 0 dead" in done.stdout
    assert not report.exists()


# --- helpers -----------------------------------------------------------------------------


def requests_logged(server: Server, prefix: str) -> list[str]:
    """Times of the requests the server logged whose path starts with ``prefix``."""
    found = []
    for line in server.log.read_text(encoding="utf-8").splitlines():
        method, path, at = line.split()
        if path.startswith(prefix):
            found.append(at)
    return found


class socket_port:
    """A port that was free a moment ago (bound, then released)."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
