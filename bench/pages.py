"""What a reader's browser pays: first-visit transfer of every kind of page (gzip, as GitHub
Pages serves), what a search query adds, how soon results show, and Lighthouse's scores.

    python bench/pages.py [--sizes 362,10000] [--workdir DIR] [--no-lighthouse]

362 (or any size equal to the committed catalogue's) builds the committed papers.yaml;
other sizes build a synthetic catalogue of that many papers (bench/synthetic.py). Each
site is built with ``python -m generator build`` (MkDocs, then Pagefind) and served on
127.0.0.1 by a small server that gzips as GitHub Pages does. Figures, never test
assertions: the table goes to stdout and to bench/pages.md.

- *first visit*: the page's HTML and every same-site file it loads before the reader does
  anything (stylesheets, scripts, eager images), gzip-compressed, with an empty cache,
  measured in Chromium (Playwright, Debian's chromium) from the bytes on the wire;
- *search*: the bytes the search dialog fetches for one query typed key by key, and the
  time from the last key to the first result on screen;
- *Lighthouse* 12.2.3 (npm, Debian's chromium), mobile preset: performance, accessibility,
  best practices and SEO of the home page and of the largest topic page.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
TARGET_FIRST_VISIT = 250_000
TARGET_SEARCH_BYTES = 150_000
TARGET_SEARCH_MS = 300
TARGET_PERFORMANCE = 0.95
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".xml", ".bib", ".ris", ".txt", ".yaml", ".mjs"}


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Files of the site, gzip-compressed when the browser accepts it (as GitHub Pages)."""

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return super().do_GET()
        body = path.read_bytes()
        gz = "gzip" in self.headers.get("Accept-Encoding", "") and path.suffix in COMPRESSED
        if gz:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")
        self.end_headers()
        self.wfile.write(body)


def serve(directory: Path) -> tuple[str, socketserver.TCPServer]:
    handler = lambda *a, **k: GzipHandler(*a, directory=str(directory), **k)  # noqa: E731
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


def build(size: int, workdir: Path) -> tuple[Path, str]:
    """The project for ``size`` papers, built; returns its directory and its largest topic page."""
    from generator import store
    from generator.site import build as site_build

    real = store.load(ROOT / "papers.yaml")
    project = workdir / f"size-{size}"
    if project.exists():
        shutil.rmtree(project)
    if size == len(real.papers):
        from bench.tasks import _copy_project

        _copy_project(ROOT, project)
        shutil.copy2(ROOT / "papers.yaml", project / "papers.yaml")
    else:
        from bench.tasks import prepare

        prepare(ROOT, real, size, project, seed=0, reference=False)
    start = time.monotonic()
    site_build(project / "papers.yaml")
    print(f"[{size:,}] built in {time.monotonic() - start:.1f} s", file=sys.stderr)
    topics = [p for p in (project / "site" / "topics").glob("*/index.html")]
    largest = max(topics, key=lambda p: p.stat().st_size)
    return project, largest.parent.relative_to(project / "site").as_posix() + "/"


def first_visits(url: str, paths: list[str]) -> dict[str, int]:
    """Bytes on the wire (gzip) of each page's first visit, empty cache, until the network is idle."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for path in paths:
            context = browser.new_context(viewport={"width": 412, "height": 823})
            page = context.new_page()
            client = context.new_cdp_session(page)
            client.send("Network.enable")
            total = [0]
            client.on("Network.loadingFinished", lambda event: total.__setitem__(0, total[0] + event["encodedDataLength"]))
            page.goto(url + path, wait_until="networkidle")
            found[path] = total[0]
            context.close()
        browser.close()
    return found


#: The search has shown its answer: a result titled ``arg`` / the first result is paper ``arg``.
TITLE_SHOWN = "t => [...document.querySelectorAll('dialog.atlas-search .atlas-result-title a')].some(a => a.textContent.trim() === t)"
FIRST_IS = "id => (document.querySelector('dialog.atlas-search .atlas-result-title a') || {}).pathname?.endsWith('/papers/' + id + '/')"


def search_cost(url: str, typed: str, shown: str, arg: str) -> tuple[int, float]:
    """Bytes the header's search fetches for ``typed``, typed key by key, from the moment
    the dialog opens (its script, Pagefind's runtime, metadata and index chunks, the
    results' fragments), and ms from the last key until ``shown`` (a JS predicate of
    ``arg``) holds."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(url, wait_until="networkidle")
        fetched: list[int] = []
        page.on("requestfinished", lambda request: fetched.append(request.sizes()["responseBodySize"]))
        page.keyboard.press("/")
        field = page.locator("dialog.atlas-search input")
        field.wait_for()
        field.press_sequentially(typed[:-1], delay=40)
        page.wait_for_timeout(500)
        started = time.perf_counter()
        field.press_sequentially(typed[-1])
        page.wait_for_function(shown, arg=arg)
        elapsed = (time.perf_counter() - started) * 1000
        page.wait_for_timeout(1000)
        browser.close()
    return sum(fetched), elapsed


def lighthouse(url: str) -> dict[str, float]:
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `npm ci` (bash .ci/setup does)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        env = {**os.environ, "CHROME_PATH": CHROMIUM}
        command = [
            str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking",
            "--only-categories=performance,accessibility,best-practices,seo",
        ]
        subprocess.run(command, env=env, check=True, capture_output=True)
        report = json.loads(out.read_text())
    return {name: report["categories"][key]["score"] for key, name in
            [("performance", "performance"), ("accessibility", "accessibility"), ("best-practices", "best practices"), ("seo", "SEO")]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="362,10000")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "pages.md")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="atlas-pages-"))
    from generator import store

    lines = [
        "| papers | page | first visit, gzip B | target | search query B | results after last key, ms | performance | accessibility | best practices | SEO |",
        "| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in (int(s) for s in args.sizes.split(",")):
        project, largest = build(size, workdir)
        site = project / "site"
        catalogue = store.load(project / "papers.yaml")
        paper = max(catalogue.papers, key=lambda p: len(p.abstract))
        paths = ["", largest, "topics/", "explore/", "whats-new/", f"papers/{paper.id}/"]
        url, server = serve(site)
        try:
            visits = first_visits(url, paths)
            # The paper's own title, as a reader pastes it (the worst case: every word's index
            # chunk), and an arXiv id (one word).
            titled = max(catalogue.papers, key=lambda p: len(p.title) if len(p.title) < 90 else 0)
            searched = search_cost(url, titled.title, TITLE_SHOWN, titled.title)
            with_id = next((p for p in catalogue.papers if p.arxiv_id), None)
            by_id = search_cost(url, with_id.arxiv_id, FIRST_IS, with_id.id) if with_id else None
            scores = {} if args.no_lighthouse else {path: lighthouse(url + path) for path in ("", largest)}
        finally:
            server.shutdown()
        for index, path in enumerate(paths):
            verdict = "met" if visits[path] <= TARGET_FIRST_VISIT else "**missed**"
            if index == 0:
                search = f"title: {searched[0]:,} | {searched[1]:.0f}"
            elif index == 1 and by_id:
                search = f"arXiv id: {by_id[0]:,} | {by_id[1]:.0f}"
            else:
                search = " | "
            s = scores.get(path)
            lh = " | ".join(f"{s[k]:.2f}" for k in ("performance", "accessibility", "best practices", "SEO")) if s else " | | | "
            lines.append(f"| {size:,} | {path or 'home'} | {visits[path]:,} | {verdict} (<= 250 KB) | {search} | {lh} |")
        print(f"[{size:,}] done", file=sys.stderr)
    table = "\n".join(lines) + "\n"
    text = (
        f"`python bench/pages.py` on {time.strftime('%Y-%m-%d')}: targets first visit <= {TARGET_FIRST_VISIT:,} B, "
        f"search <= {TARGET_SEARCH_BYTES:,} B and {TARGET_SEARCH_MS} ms, Lighthouse performance >= {TARGET_PERFORMANCE} "
        "(accessibility, best practices, SEO 1.0). The search queries, typed key by key into the header's search: the longest title under 90 characters (home row) and an arXiv id (topic row).\n\n" + table
    )
    print(text)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
