"""The reader's experience, in a real browser: Debian's Chromium driven by Playwright against
the real site (the committed papers.yaml, built strictly) served on 127.0.0.1.

Search, the abstract and BibTeX toggles, the copy button, the downloads, every page free of
script errors, failed requests and requests to other servers, no sideways scrolling on a
phone, axe-core's accessibility rules, and the filters and sorting of topic pages. One
browser for the module; screenshots go to tests/artifacts/screenshots/ (CI uploads them).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

import bibtexparser
import feedparser
import pytest
import yaml
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from conftest import ROOT, BuiltSite
from generator.render.bibtex import entry_text
from generator.model import Paper, Topic
from generator.render.pages import has_code

CHROMIUM = Path("/usr/bin/chromium")
# As root and on a closed network: no sandbox, and none of Chromium's own connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}

# The papers of a topic page as the reader sees them, in the order shown.
VISIBLE_PAPERS = """() => [...document.querySelectorAll("article.paper")]
    .filter(a => a.checkVisibility())
    .map(a => ({id: a.dataset.id, year: a.dataset.year, code: a.dataset.code,
                tags: a.dataset.tags.split(" ").filter(Boolean),
                upvotes: a.dataset.upvotes === "" ? -1 : Number(a.dataset.upvotes)}))"""
ALL_PAPERS = VISIBLE_PAPERS.replace('.filter(a => a.checkVisibility())', "")
VISIBLE_YEAR_HEADINGS = """() => [...document.querySelectorAll("h2[id^='year_']")]
    .filter(h => h.checkVisibility()).map(h => h.id.slice(5))"""
VISIBLE_TOC_YEARS = """() => [...document.querySelectorAll(".md-sidebar--secondary a.md-nav__link")]
    .filter(a => a.checkVisibility()).map(a => a.hash.slice(6))"""


# --- the browser and what it saw ---------------------------------------------------------


@dataclass
class Journal:
    """What went wrong while pages loaded: script errors, failed requests, outside requests."""

    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        def route(route) -> None:
            url = route.request.url
            if urlsplit(url).hostname == "127.0.0.1":
                route.continue_()
            else:
                self.problems.append(f"request to another server (blocked): {url}")
                route.abort()

        context.route("**/*", route)
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfailed", self._failed)
        context.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))
        context.on("weberror", lambda e: self.problems.append(f"JavaScript error: {e.error}"))
        context.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))

    def _failed(self, request) -> None:
        # ERR_ABORTED: the browser dropped the request because the page went away.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} ({request.failure})")


@dataclass
class Reader:
    """A browser context on the served site: one tab, more on demand, and its journal."""

    page: Page
    journal: Journal
    site: BuiltSite

    def open(self, path: str, wait_until: str = "load") -> Page:
        self.page.goto(self.site.url + path, wait_until=wait_until)
        return self.page

    def open_all(self, paths: list[str], wait_until: str = "load") -> list[Page]:
        """Every path in a tab of its own, loading side by side rather than in turn."""
        tabs = []
        for path in paths:
            tab = self.page.context.new_page()
            tab.goto(self.site.url + path, wait_until="commit")
            tabs.append(tab)
        for tab in tabs:
            tab.wait_for_load_state(wait_until)
        return tabs

    def open_topic(self, slug: str, query: str = "") -> Page:
        """A topic page with its filters set up by atlas.js."""
        page = self.open(f"topics/{slug}/{query}")
        expect(page.locator("form.atlas-filters")).to_be_visible()
        return page


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/setup` (installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_reader(browser: Browser, site: BuiltSite, **options) -> Reader:
    context = browser.new_context(**options)
    journal = Journal()
    journal.watch(context)
    return Reader(context.new_page(), journal, site)


@pytest.fixture(scope="module")
def every_page(browser, real_site) -> Iterator[tuple[dict[str, Page], Journal]]:
    """Every page of the site open in a desktop tab (loaded until the network is idle), and
    what the browser saw while they loaded."""
    reader = new_reader(browser, real_site, viewport=DESKTOP)
    paths = site_pages(real_site)
    tabs = dict(zip(paths, reader.open_all(paths, wait_until="networkidle")))
    yield tabs, reader.journal
    reader.page.context.close()


@pytest.fixture(scope="module")
def reader(browser, real_site) -> Iterator[Reader]:
    """A desktop tab that may use the clipboard; tests share it and each opens its page."""
    reader = new_reader(browser, real_site, viewport=DESKTOP)
    reader.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=real_site.url.rstrip("/"))
    yield reader
    reader.page.context.close()


def site_pages(site: BuiltSite) -> list[str]:
    """Every page of the site, as a path relative to its root ("" is the home page). Not
    404.html: a server shows it at any address, so its links are absolute, to site_url."""
    found = []
    for html_file in site.directory.rglob("index.html"):
        relative = html_file.parent.relative_to(site.directory).as_posix()
        found.append("" if relative == "." else relative + "/")
    # The paper pages share one template: three of them stand for all.
    papers = sorted(path for path in found if path.startswith("papers/"))
    return sorted(path for path in found if not path.startswith("papers/")) + papers[:3]


def topics_with(site: BuiltSite, wanted: Callable[[list[Paper]], bool]) -> list[Topic]:
    return [t for t in site.catalogue.topics if wanted(site.catalogue.papers_in(t.slug))]


def topic_with(site: BuiltSite, wanted: Callable[[list[Paper]], bool], what: str) -> Topic:
    """The first topic whose papers show ``what``; the real catalogue has one."""
    found = topics_with(site, wanted)
    if not found:
        pytest.fail(f"no topic of papers.yaml has {what}: the test needs one")
    return found[0]


def some_with_code(papers: list[Paper]) -> bool:
    return 0 < sum(map(has_code, papers)) < len(papers)


def several_years(papers: list[Paper]) -> bool:
    return len({p.date[:4] for p in papers if p.date}) >= 2


def some_tagged(papers: list[Paper]) -> bool:
    return any(p.tags for p in papers) and not all(p.tags for p in papers)


def varied_upvotes(papers: list[Paper]) -> bool:
    return len({p.upvotes for p in papers if p.upvotes is not None}) >= 2


def showcase(site: BuiltSite) -> Topic:
    """The topic whose page shows off every filter (the screenshots' topic)."""
    return topic_with(
        site,
        lambda ps: some_with_code(ps) and several_years(ps) and some_tagged(ps) and varied_upvotes(ps),
        "papers with and without code, several years, tags and upvotes",
    )


def words(value: str) -> str:
    return " ".join(value.split())


def query(page: Page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(page.url).query))


def count_text(shown: int, total: int, suffix: str = "") -> str:
    return f"{shown} of {total} paper{'' if total == 1 else 's'} shown{suffix}"


# --- reading -----------------------------------------------------------------------------


def word_set(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def only_paper_with(catalogue, wanted: frozenset[str], paper: Paper) -> bool:
    """Whether ``paper`` is the one paper whose text holds every word of ``wanted``."""
    holders = [p for p in catalogue.papers if wanted <= word_set(" ".join([p.title, p.tldr, p.abstract, *p.authors]))]
    return [h.id for h in holders] == [paper.id]


def search_cases(catalogue) -> list[tuple[str, str, Paper]]:
    """(what, typed, paper): a pasted full title with ":" and "-", an author's family name,
    an arXiv id bare and with its prefix, and a phrase of a TL;DR, each finding one paper."""
    cases = []
    titled = next((p for p in catalogue.papers if ":" in p.title and "-" in p.title.split(":")[0]), None)
    if titled:
        cases.append(("full title", titled.title, titled))
    families = Counter(name.split()[-1] for p in catalogue.papers for name in p.authors if len(name.split()[-1]) > 4)
    author = next(
        (p for p in catalogue.papers for n in p.authors if families[n.split()[-1]] == 1 and only_paper_with(catalogue, word_set(n.split()[-1]), p)),
        None,
    )
    if author:
        family = next(n.split()[-1] for n in author.authors if families[n.split()[-1]] == 1)
        cases.append(("author", family, author))
    with_id = next((p for p in catalogue.papers if p.arxiv_id), None)
    if with_id:
        cases += [("arXiv id", with_id.arxiv_id, with_id), ("arXiv: id", f"arXiv:{with_id.arxiv_id}", with_id)]
    for paper in catalogue.papers:
        tldr_words = re.findall(r"[A-Za-z]{4,}", paper.tldr)
        phrase = next(
            (" ".join(tldr_words[k : k + 4]) for k in range(len(tldr_words) - 3)
             if only_paper_with(catalogue, word_set(" ".join(tldr_words[k : k + 4])), paper)),
            None,
        )
        if phrase:
            cases.append(("TL;DR phrase", phrase, paper))
            break
    return cases


def test_search_finds_a_pasted_title_an_author_an_arxiv_id_and_a_tldr_phrase(reader):
    cases = search_cases(reader.site.catalogue)
    assert {what for what, _, _ in cases} == {"full title", "author", "arXiv id", "arXiv: id", "TL;DR phrase"}
    for what, typed, paper in cases:
        page = reader.open("")
        page.keyboard.press("/")  # the keyboard shortcut opens the search
        field = page.locator("dialog.atlas-search input")
        expect(field).to_be_focused(timeout=10_000)
        field.press_sequentially(typed, delay=15)  # key by key, as a reader types
        first = page.locator("dialog.atlas-search .atlas-result-title a").first
        expect(first).to_have_attribute("href", re.compile(f"/papers/{re.escape(paper.id)}/$"), timeout=10_000)
        assert words(first.inner_text()) == words(paper.title), what
        page.keyboard.press("Escape")
    assert reader.journal.problems == []


def test_a_search_result_opens_the_papers_page(reader):
    paper = next(p for p in reader.site.catalogue.papers if p.arxiv_id)
    page = reader.open("")
    page.locator(".atlas-search-button").click()
    page.locator("dialog.atlas-search input").press_sequentially(paper.arxiv_id)
    page.locator("dialog.atlas-search .atlas-result-title a").first.click()
    expect(page.locator("h1")).to_have_text(paper.title)
    assert page.locator('meta[name="citation_title"]').get_attribute("content") == paper.title
    if paper.arxiv_id:
        assert page.locator('meta[name="citation_arxiv_id"]').get_attribute("content") == paper.arxiv_id


def test_abstract_toggle_opens_and_shows_the_abstract(reader):
    topic = reader.site.catalogue.topics[0]
    paper = next(p for p in reader.site.catalogue.papers_in(topic.slug) if p.abstract.strip())
    page = reader.open_topic(topic.slug)
    article = page.locator(f'article.paper[data-id="{paper.id}"]')
    abstract = article.locator(".paper-abstract-text")
    expect(abstract).to_be_hidden()
    article.locator("details.paper-abstract > summary").click()
    expect(abstract).to_be_visible()
    start = words(paper.abstract)[:200]
    assert words(abstract.inner_text())[: len(start)] == start


def test_bibtex_copy_button_copies_exactly_the_papers_entry(reader):
    topic = reader.site.catalogue.topics[0]
    # The hardest entry of the page to copy right: most non-ASCII characters, then longest.
    paper = max(
        reader.site.catalogue.papers_in(topic.slug),
        key=lambda p: (sum(ord(c) > 127 for c in entry_text(p)), len(entry_text(p))),
    )
    page = reader.open_topic(topic.slug)
    details = page.locator(f'article.paper[data-id="{paper.id}"] details.paper-bibtex')
    details.locator("summary").click()
    block = details.locator("pre")
    block.hover()
    block.locator('button[data-md-type="copy"]').click()
    # Material's copy button trims trailing whitespace (trimEnd): the entry's final newline.
    assert page.evaluate("navigator.clipboard.readText()") == entry_text(paper).removesuffix("\n")


def test_a_papers_page_downloads_its_entry_as_bibtex_ris_and_csl_json(reader):
    # The hardest entry to carry in a link: most non-ASCII characters, then longest.
    paper = max(reader.site.catalogue.papers, key=lambda p: (sum(ord(c) > 127 for c in entry_text(p)), len(entry_text(p))))
    page = reader.open(f"papers/{paper.id}/")
    got = {}
    for label in ("BibTeX", "RIS", "CSL-JSON"):
        with page.expect_download() as info:
            page.locator("p.downloads a", has_text=label).click()
        download = info.value
        got[download.suggested_filename] = Path(download.path()).read_text(encoding="utf-8")
    key = paper.bibtex_key
    assert sorted(got) == sorted([f"{key}.bib", f"{key}.json", f"{key}.ris"])
    assert got[f"{key}.bib"] == entry_text(paper)
    library = bibtexparser.parse_string(got[f"{key}.bib"])
    assert [e.key for e in library.entries] == [key] and not library.failed_blocks
    (item,) = json.loads(got[f"{key}.json"])
    assert item["title"] == paper.title
    assert paper.title in got[f"{key}.ris"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_papers_bibtex_is_read_whole_without_scrolling_its_box(browser, real_site, viewport):
    paper = max(real_site.catalogue.papers, key=lambda p: max(len(line) for line in entry_text(p).splitlines()))
    reader = new_reader(browser, real_site, viewport=viewport)
    try:
        box = reader.open(f"papers/{paper.id}/").locator("pre.bibtex")
        scroll, client = box.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll <= client  # the longest line wraps inside the box
        assert box.inner_text().split() == entry_text(paper).split()  # and every word of the entry is there
    finally:
        reader.page.context.close()


def test_downloads_linked_from_the_home_page_are_served_and_parse(reader):
    site = reader.site
    page = reader.open("")
    hrefs = page.eval_on_selector_all(
        "article.md-content__inner a[href]", "links => links.map(a => a.href)"
    )
    downloads = sorted(
        {h for h in hrefs if h.startswith(site.url) and urlsplit(h).path.endswith((".bib", ".json", ".yaml"))}
    )
    names = {urlsplit(h).path.removeprefix("/") for h in downloads}
    expected = {"bib/references.bib", "papers.json", "papers.yaml"} | {f"bib/{t.slug}.bib" for t in site.catalogue.topics}
    assert expected <= names
    for url in downloads:
        response = page.request.get(url)
        assert response.status == 200, url
        name = urlsplit(url).path.removeprefix("/")
        if name.endswith(".bib"):
            library = bibtexparser.parse_string(response.text())
            assert not library.failed_blocks, (url, [b.error for b in library.failed_blocks][:3])
            slug = name.removeprefix("bib/").removesuffix(".bib")
            papers = site.catalogue.papers if slug == "references" else site.catalogue.papers_in(slug)
            assert sorted(e.key for e in library.entries) == sorted(p.bibtex_key for p in papers), url
        elif name.endswith(".json"):
            assert len(json.loads(response.body())["papers"]) == len(site.catalogue.papers)
        else:
            assert response.body() == (site.directory.parent / "papers.yaml").read_bytes()
            assert len(yaml.safe_load(response.body())["papers"]) == len(site.catalogue.papers)


def feed_links(page: Page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        'head link[rel="alternate"][type="application/atom+xml"]', "links => links.map(l => ({href: l.href, title: l.title}))"
    )


def test_feed_readers_find_the_feed_on_every_kind_of_page(reader):
    site = reader.site
    topic = site.catalogue.topics[0]
    for path in ("", f"topics/{topic.slug}/", "whats-new/", "about/"):
        assert [l["href"] for l in feed_links(reader.open(path))] == [site.url + "feed.xml"], path
    # The survey's feed and the topic feeds linked from "What's new" are served and parse.
    page = reader.open("whats-new/")
    hrefs = page.eval_on_selector_all('article a[type="application/atom+xml"]', "links => links.map(a => a.href)")
    assert site.url + "feed.xml" in hrefs and site.url + f"feeds/{topic.slug}.xml" in hrefs
    for href in hrefs:
        response = reader.page.request.get(href)
        assert response.status == 200, href
        feed = feedparser.parse(response.body())
        assert feed.version == "atom10" and not feed.bozo, href
        for entry in feed.entries:
            assert entry.link.startswith(site.url), entry.link


def test_whats_new_is_linked_from_home_and_its_entries_find_their_papers(reader):
    site = reader.site
    page = reader.open("")
    page.get_by_role("link", name="What's new").first.click()
    expect(page.locator("article h1")).to_contain_text("What's new")
    hrefs = page.eval_on_selector_all("article .atlas-week a[href]", "links => links.map(a => a.href)")
    assert hrefs
    for href in hrefs[:5]:
        page_url, anchor = href.split("#", 1)
        target = reader.page.request.get(page_url)
        assert target.status == 200 and f'id="{anchor}"' in target.text(), href


# --- every page --------------------------------------------------------------------------


def test_every_page_loads_without_errors_or_requests_to_other_servers(every_page, real_site):
    tabs, journal = every_page
    assert {"", "tags/", "about/", "contributing/", "topics/"} <= set(tabs)
    assert {f"topics/{t.slug}/" for t in real_site.catalogue.topics} <= set(tabs)
    assert journal.problems == []
    # The route blocks other servers; this says so again from the other side.
    assert journal.requests and all(url.startswith(real_site.url) for url in journal.requests)


def test_no_search_index_is_fetched_until_the_reader_searches(browser, real_site):
    reader = new_reader(browser, real_site, viewport=DESKTOP)
    try:
        topic = real_site.catalogue.topics[0]
        paper = real_site.catalogue.papers[0]
        for path in ("", f"topics/{topic.slug}/", f"papers/{paper.id}/", "whats-new/"):
            reader.open(path, wait_until="networkidle")
        assert not any("/pagefind/" in url or url.endswith("search_index.json") for url in reader.journal.requests)
        reader.page.locator(".atlas-search-button").click()
        reader.page.locator("dialog.atlas-search input").press_sequentially(paper.title.split()[0])
        expect(reader.page.locator("dialog.atlas-search .atlas-result-title a").first).to_be_visible(timeout=10_000)
        assert any("/pagefind/" in url for url in reader.journal.requests)
        assert reader.journal.problems == []
    finally:
        reader.page.context.close()


def test_the_header_search_button_shows_its_icon_beside_its_label(browser, real_site):
    reader = new_reader(browser, real_site, viewport=DESKTOP)
    try:
        button = reader.open("").locator(".atlas-search-button")
        icon = button.locator("span[aria-hidden]").bounding_box()
        label = button.locator(".atlas-search-label").bounding_box()
        assert icon and label
        assert icon["x"] + icon["width"] <= label["x"]  # side by side, icon first
        assert icon["y"] < label["y"] + label["height"] and label["y"] < icon["y"] + icon["height"]  # on one line
    finally:
        reader.page.context.close()


def _rgba(css: str) -> tuple[float, float, float, float]:
    parts = [float(v) for v in re.findall(r"[\d.]+", css)]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)  # type: ignore[return-value]


def _contrast(foreground: str, background: str) -> float:
    """WCAG contrast of a (possibly translucent) colour over an opaque background."""
    fr, fg, fb, alpha = _rgba(foreground)
    back = _rgba(background)[:3]
    mixed = [alpha * f + (1 - alpha) * b for f, b in zip((fr, fg, fb), back)]

    def luminance(rgb) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(mixed), luminance(back)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FIELD_STYLE = """e => { const s = getComputedStyle(e); return {size: parseFloat(s.fontSize), width: parseFloat(s.borderTopWidth),
  style: s.borderTopStyle, border: s.borderTopColor, background: s.backgroundColor} }"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_search_text_is_page_sized_and_every_text_field_shows_its_edge(browser, real_site, scheme):
    reader = new_reader(browser, real_site, viewport=DESKTOP, color_scheme=scheme)
    try:
        page = reader.open("")
        text = page.eval_on_selector(".md-typeset", "e => parseFloat(getComputedStyle(e).fontSize)")
        page.keyboard.press("/")
        expect(page.locator("dialog.atlas-search input")).to_be_focused(timeout=10_000)
        fields = [page.eval_on_selector("dialog.atlas-search input", FIELD_STYLE)]
        # The dialog hangs from <body>: its label reads as large as the page's own text.
        assert page.eval_on_selector("dialog.atlas-search label", "e => parseFloat(getComputedStyle(e).fontSize)") >= text
        page = explorer(reader)
        fields += [page.eval_on_selector(f"#explore-{name}", FIELD_STYLE) for name in ("q", "author", "topic")]
        for style in fields:
            assert style["size"] >= text
            # WCAG 1.4.11: a field's edge has 3:1 against what is behind it.
            assert style["width"] >= 1 and style["style"] != "none", style
            assert _contrast(style["border"], style["background"]) >= 3, style
    finally:
        reader.page.context.close()


def test_no_page_scrolls_sideways_on_a_phone(browser, real_site):
    widths = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    reader = new_reader(browser, real_site, viewport=PHONE, is_mobile=True, has_touch=True)
    too_wide = []
    try:
        paths = site_pages(real_site)
        for path, page in zip(paths, reader.open_all(paths)):
            scroll, client = page.evaluate(widths)
            if scroll > client:
                too_wide.append((path or "home", scroll, client))
            page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
            scroll, client = page.evaluate(widths)
            if scroll > client:
                too_wide.append((path or "home", "details open", scroll, client))
    finally:
        reader.page.context.close()
    assert too_wide == []


def axe_violations(pages: list[Page]) -> list[list[str]]:
    """axe-core's serious and critical violations on each page, one line each. The pages
    are checked side by side: axe takes about a second on a topic page."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE.relative_to(ROOT)}): run `bash .ci/setup`")
    for page in pages:
        page.add_script_tag(path=str(AXE))
        page.evaluate("() => { window.atlasAxe = axe.run(document, {resultTypes: ['violations']}); }")
    found = []
    for page in pages:
        results = page.evaluate("() => window.atlasAxe")
        found.append(
            [
                f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
                for v in results["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        )
    return found


def test_axe_finds_no_serious_violation_on_home_and_topic_pages(every_page, real_site):
    tabs, _ = every_page
    paths = ["", *(f"topics/{t.slug}/" for t in real_site.catalogue.topics)]
    for path in paths[1:]:
        expect(tabs[path].locator("form.atlas-filters")).to_be_visible()  # axe checks the filters too
    found = {path or "home": v for path, v in zip(paths, axe_violations([tabs[p] for p in paths])) if v}
    assert found == {}


def test_axe_finds_no_serious_violation_in_the_dark_palette(browser, real_site):
    # Every topic page has the same stylesheet: one shows its colours.
    paths = ["", f"topics/{showcase(real_site).slug}/", "contributing/"]
    reader = new_reader(browser, real_site, viewport=DESKTOP, color_scheme="dark")
    try:
        found = {path or "home": v for path, v in zip(paths, axe_violations(reader.open_all(paths))) if v}
    finally:
        reader.page.context.close()
    assert found == {}


def assert_rendered(png: bytes, heading: dict[str, float] | None, name: str) -> None:
    """What a reader would notice in a screenshot: a page that is not blank, and a title in it.

    The background is the screenshot's most common colour; a rendered page has text, the
    header bar and cards in other colours over a good share of it, and the page's heading
    box holds glyphs (pixels far from the background), not an empty band.
    """
    image = Image.open(io.BytesIO(png)).convert("L")
    histogram = image.histogram()
    background = max(range(256), key=histogram.__getitem__)
    ink = image.point(lambda v: 255 if abs(v - background) > 48 else 0)
    share = ink.histogram()[255] / (image.width * image.height)
    assert share > 0.03, f"{name}: only {share:.1%} of the screenshot differs from its background"
    assert heading is not None, f"{name}: no heading on the page"
    box = tuple(round(v) for v in (heading["x"], heading["y"], heading["x"] + heading["width"], heading["y"] + heading["height"]))
    glyphs = ink.crop(box).histogram()[255] / max(1, (box[2] - box[0]) * (box[3] - box[1]))
    assert glyphs > 0.02, f"{name}: the heading's box {box} is empty ({glyphs:.1%} ink)"


def test_screenshots_of_home_and_a_topic_page(browser, real_site):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    topic = showcase(real_site)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        reader = new_reader(browser, real_site, viewport=viewport)
        try:
            for page_name, open_page in (("home", lambda: reader.open("")), ("topic", lambda: reader.open_topic(topic.slug))):
                page, shot = open_page(), f"{page_name}-{name}"
                png = page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"))
                assert_rendered(png, page.locator("article h1").first.bounding_box(), shot)
        finally:
            reader.page.context.close()


# --- filters and sorting -----------------------------------------------------------------


def test_with_code_filter_shows_only_papers_with_code_and_counts_them(reader):
    topic = topic_with(reader.site, some_with_code, "papers with and without code")
    papers = reader.site.catalogue.papers_in(topic.slug)
    page = reader.open_topic(topic.slug)
    count = page.locator(".atlas-count")
    expect(count).to_have_text(count_text(len(papers), len(papers)))
    assert len(page.evaluate(VISIBLE_PAPERS)) == len(papers)

    page.get_by_label("With code", exact=True).check()
    coded = sum(map(has_code, papers))
    expect(count).to_have_text(count_text(coded, len(papers)))
    shown = page.evaluate(VISIBLE_PAPERS)
    assert len(shown) == coded and all(p["code"] == "1" for p in shown)
    assert set(page.evaluate(VISIBLE_YEAR_HEADINGS)) == {p["year"] or "undated" for p in shown}
    assert query(page) == {"code": "1"}

    page.get_by_label("With code", exact=True).uncheck()
    expect(count).to_have_text(count_text(len(papers), len(papers)))
    assert query(page) == {}


def test_year_range_hides_papers_from_other_years(reader):
    topic = topic_with(reader.site, several_years, "papers from several years")
    page = reader.open_topic(topic.slug)
    papers = page.evaluate(ALL_PAPERS)
    years = sorted({p["year"] for p in papers if p["year"]})
    page.select_option("#atlas_from", years[-1])
    page.select_option("#atlas_to", years[-1])
    shown = page.evaluate(VISIBLE_PAPERS)
    newest = [p for p in papers if p["year"] == years[-1]]
    assert shown == newest
    assert page.evaluate(VISIBLE_YEAR_HEADINGS) == [years[-1]]
    expect(page.locator(".atlas-count")).to_have_text(count_text(len(newest), len(papers)))
    assert query(page) == {"from": years[-1], "to": years[-1]}

    page.select_option("#atlas_to", years[0])  # reversed: still the range between the two
    assert page.evaluate(VISIBLE_PAPERS) == [p for p in papers if p["year"]]
    page.select_option("#atlas_from", "")
    assert page.evaluate(VISIBLE_PAPERS) == [p for p in papers if p["year"] and p["year"] <= years[0]]


def test_tag_filter_shows_only_papers_with_that_tag(reader):
    topic = topic_with(reader.site, some_tagged, "tagged and untagged papers")
    tag = next(t for p in reader.site.catalogue.papers_in(topic.slug) for t in p.tags)
    page = reader.open_topic(topic.slug)
    papers = page.evaluate(ALL_PAPERS)
    page.get_by_label("Tag", exact=True).select_option(tag)
    tagged = [p for p in papers if tag in p["tags"]]
    assert page.evaluate(VISIBLE_PAPERS) == tagged
    expect(page.locator(".atlas-count")).to_have_text(count_text(len(tagged), len(papers)))
    assert query(page) == {"tag": tag}


def test_sorting_by_upvotes_orders_the_papers_and_date_restores_the_year_groups(reader):
    topic = topic_with(reader.site, varied_upvotes, "papers with different upvotes")
    page = reader.open_topic(topic.slug)
    papers = page.evaluate(ALL_PAPERS)
    headings = page.evaluate(VISIBLE_YEAR_HEADINGS)
    page.get_by_label("Sort by", exact=True).select_option("upvotes")
    shown = page.evaluate(VISIBLE_PAPERS)
    assert [p["upvotes"] for p in shown] == sorted((p["upvotes"] for p in papers), reverse=True)
    assert shown[0]["upvotes"] == max(p.upvotes or 0 for p in reader.site.catalogue.papers_in(topic.slug))
    assert page.evaluate(VISIBLE_YEAR_HEADINGS) == []  # one flat list: no year headings
    assert page.evaluate(VISIBLE_TOC_YEARS) == []  # nor their entries in the table of contents
    assert query(page) == {"sort": "upvotes"}

    page.get_by_label("Sort by", exact=True).select_option("date")
    assert page.evaluate(VISIBLE_PAPERS) == papers
    assert page.evaluate(VISIBLE_YEAR_HEADINGS) == headings == page.evaluate(VISIBLE_TOC_YEARS)
    # Every paper is back under its own year heading.
    assert page.evaluate("""() => [...document.querySelectorAll("article.paper")].every(a => {
        let h = a.previousElementSibling;
        while (h && h.tagName !== "H2") h = h.previousElementSibling;
        return h && h.id === "year_" + (a.dataset.year || "undated");
    })""")
    assert query(page) == {}


def test_a_shared_filtered_link_opens_filtered_and_sorted(reader):
    topic = topic_with(reader.site, lambda ps: some_with_code(ps) and varied_upvotes(ps), "code and upvotes")
    papers = reader.site.catalogue.papers_in(topic.slug)
    page = reader.open_topic(topic.slug, "?code=1&sort=upvotes")
    expect(page.get_by_label("With code", exact=True)).to_be_checked()
    expect(page.get_by_label("Sort by", exact=True)).to_have_value("upvotes")
    shown = page.evaluate(VISIBLE_PAPERS)
    coded = [p for p in papers if has_code(p)]
    assert len(shown) == len(coded) and all(p["code"] == "1" for p in shown)
    assert [p["upvotes"] for p in shown] == sorted([p["upvotes"] for p in shown], reverse=True)
    expect(page.locator(".atlas-count")).to_have_text(count_text(len(coded), len(papers)))
    assert query(page) == {"code": "1", "sort": "upvotes"}


def test_a_link_within_the_page_keeps_the_current_filters(reader):
    topic = showcase(reader.site)
    page = reader.open_topic(topic.slug, "?sort=upvotes")
    page.get_by_label("Sort by", exact=True).select_option("date")
    year = page.evaluate(VISIBLE_YEAR_HEADINGS)[-1]
    page.locator(".md-sidebar--secondary a.md-nav__link", has_text=year.capitalize()).click()
    page.wait_for_function(f"location.hash === '#year_{year}'")
    assert query(page) == {}
    expect(page.get_by_label("Sort by", exact=True)).to_have_value("date")


def test_filters_are_reached_with_tab_and_toggled_with_space(reader):
    topic = showcase(reader.site)
    page = reader.open_topic(topic.slug)
    page.locator(".atlas-overview a[download]").focus()  # the last link before the filters
    page.keyboard.press("Tab")
    expect(page.get_by_label("With code", exact=True)).to_be_focused()
    page.keyboard.press("Space")
    expect(page.get_by_label("With code", exact=True)).to_be_checked()
    assert query(page) == {"code": "1"}
    for control in ("From", "To", "Tag", "Sort by"):
        page.keyboard.press("Tab")
        expect(page.get_by_label(control, exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")  # a closed select takes the next option
    assert query(page) == {"code": "1", "sort": "upvotes"}


def test_the_controls_are_labelled_and_the_count_is_announced(reader):
    page = reader.open_topic(showcase(reader.site).slug)
    form = page.locator("form.atlas-filters")
    expect(form.locator("fieldset > legend")).to_have_text("Filter and sort the papers")
    for name in ("With code", "From", "To", "Tag", "Sort by"):
        expect(page.get_by_label(name, exact=True)).to_be_visible()
    expect(form.locator(".atlas-count")).to_have_attribute("aria-live", "polite")


def test_filters_work_after_instant_navigation(reader):
    topic = showcase(reader.site)
    page = reader.open("", wait_until="networkidle")  # Material has read its sitemap.xml
    page.evaluate("() => { window.atlasSamePage = true; }")
    page.locator(f'article.md-content__inner a[href$="topics/{topic.slug}/"]').first.click()
    page.wait_for_url(f"**/topics/{topic.slug}/")
    assert page.evaluate("() => window.atlasSamePage")  # Material swapped the page in place
    papers = reader.site.catalogue.papers_in(topic.slug)
    expect(page.locator(".atlas-count")).to_have_text(count_text(len(papers), len(papers)))
    page.get_by_label("With code", exact=True).check()
    expect(page.locator(".atlas-count")).to_have_text(count_text(sum(map(has_code, papers)), len(papers)))


def test_without_javascript_every_paper_is_shown_and_the_filters_are_not(browser, real_site):
    reader = new_reader(browser, real_site, java_script_enabled=False)
    try:
        topic = showcase(real_site)
        page = reader.open(f"topics/{topic.slug}/?code=1&sort=upvotes")
        expect(page.locator("form.atlas-filters")).to_be_hidden()
        papers = real_site.catalogue.papers_in(topic.slug)
        expect(page.locator("article.paper:visible")).to_have_count(len(papers))
    finally:
        reader.page.context.close()


def test_split_topic_filters_the_page_and_permalinks_find_their_page(browser, split_site):
    topic = next(t for t in split_site.catalogue.topics if (split_site.directory / "topics" / t.slug / "page-2").is_dir())
    anchors = json.loads((split_site.directory / "topics" / topic.slug / "anchors.json").read_text(encoding="utf-8"))
    on_page_2 = [pid for pid, number in anchors.items() if number == 2]
    reader = new_reader(browser, split_site, viewport=DESKTOP)
    try:
        page = reader.open(f"topics/{topic.slug}/page-2/")
        expect(page.locator("form.atlas-filters legend")).to_have_text("Filter and sort the papers on this page")
        count = len(on_page_2)
        expect(page.locator(".atlas-count")).to_have_text(count_text(count, count, " on this page"))
        page.get_by_label("With code", exact=True).check()
        assert query(page) == {"code": "1"}
        for link in page.locator(".atlas-pager a").all():
            assert query_of(link.get_attribute("href")) == {"code": "1"}
        # The next page opens with the same filters (through Material's instant navigation).
        page.evaluate("() => { window.atlasSamePage = true; }")
        page.locator(".atlas-pager a[rel=next]").first.click()
        page.wait_for_url(f"**/topics/{topic.slug}/page-3/?code=1")
        assert page.evaluate("() => window.atlasSamePage")
        expect(page.get_by_label("With code", exact=True)).to_be_checked()
        on_page_3 = [pid for pid, number in anchors.items() if number == 3]
        expect(page.locator(".atlas-count")).to_contain_text(f"of {len(on_page_3)} papers shown on this page")

        # The existing permalink redirect: the first page sends #<id> to the page that has it.
        page = reader.open(f"topics/{topic.slug}/#{on_page_2[0]}")
        page.wait_for_url(f"**/topics/{topic.slug}/page-2/#{on_page_2[0]}")
        expect(page.locator(f'h3[id="{on_page_2[0]}"]')).to_be_visible()
        assert reader.journal.problems == []
    finally:
        reader.page.context.close()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


# --- the explorer -------------------------------------------------------------------------

EXPLORED = """() => [...document.querySelectorAll('#explore-results > li a')].map(a => new URL(a.href).pathname)"""


def explorer(reader: Reader, query: str = "") -> Page:
    page = reader.open("explore/" + query)
    expect(page.locator("#atlas-explorer")).to_be_visible(timeout=10_000)
    expect(page.locator("#explore-count")).to_contain_text("found", timeout=10_000)
    return page


def shown_ids(page: Page) -> list[str]:
    return [path.rstrip("/").rsplit("/", 1)[-1] for path in page.evaluate(EXPLORED)]


def test_explorer_filters_by_topic_and_code_and_sorts_by_upvotes(reader):
    catalogue = reader.site.catalogue
    topic = showcase(reader.site)
    page = explorer(reader)
    page.locator("#atlas-explorer").get_by_label("Topic", exact=True).select_option(label=topic.title)
    page.locator("#atlas-explorer").get_by_label("With code", exact=True).check()
    page.locator("#atlas-explorer").get_by_label("Sort by", exact=True).select_option("upvotes")
    wanted = [p for p in catalogue.papers if topic.slug in p.topics and has_code(p)]
    expect(page.locator("#explore-count")).to_have_text(count_text_found(len(wanted)))
    ids = shown_ids(page)
    assert set(ids) == {p.id for p in wanted[:50]} or set(ids) <= {p.id for p in wanted}
    upvotes = [next(p.upvotes or 0 for p in wanted if p.id == i) for i in ids]
    assert upvotes == sorted(upvotes, reverse=True)
    params = query(page)
    assert params["code"] == "1" and params["sort"] == "upvotes" and params["topic"] == topic.title


def count_text_found(total: int) -> str:
    return f"{total} paper{'' if total == 1 else 's'} found"


def test_explorer_year_range_venue_and_author(reader):
    catalogue = reader.site.catalogue
    years = sorted({p.date[:4] for p in catalogue.papers if p.date})
    low, high = years[len(years) // 3], years[-2] if len(years) > 2 else years[-1]
    page = explorer(reader)
    page.locator("#atlas-explorer").get_by_label("From", exact=True).select_option(low)
    page.locator("#atlas-explorer").get_by_label("To", exact=True).select_option(high)
    wanted = [p for p in catalogue.papers if p.date and low <= p.date[:4] <= high]
    expect(page.locator("#explore-count")).to_have_text(count_text_found(len(wanted)))
    author = Counter(n for p in catalogue.papers for n in p.authors).most_common(1)[0][0]
    page = explorer(reader)
    page.locator("#atlas-explorer").get_by_label("Author", exact=True).fill(author)
    page.locator("#atlas-explorer").get_by_label("Author", exact=True).dispatch_event("input")
    with_author = [p for p in catalogue.papers if author in p.authors]
    expect(page.locator("#explore-count")).to_have_text(count_text_found(len(with_author)))
    assert set(shown_ids(page)) == {p.id for p in with_author}


def test_explorer_shows_every_paper_in_every_order_undated_ones_last(reader):
    papers = reader.site.catalogue.papers
    for sort in ("", "date", "upvotes"):
        page = explorer(reader, f"?sort={sort}" if sort else "")
        expect(page.locator("#explore-count")).to_have_text(count_text_found(len(papers)))
    page = explorer(reader, "?sort=date")
    more = page.locator("#explore-more")
    while more.is_visible():
        shown = len(shown_ids(page))
        more.click()
        page.wait_for_function(f"() => document.querySelectorAll('#explore-results > li').length > {shown}")
    ids = shown_ids(page)
    assert sorted(ids) == sorted(p.id for p in papers)
    date = {p.id: p.date or "" for p in papers}
    assert [date[i] for i in ids] == sorted((date[i] for i in ids), reverse=True)  # newest first, undated last


def test_explorer_results_show_the_upvotes_venue_and_code_they_are_sorted_and_filtered_by(reader):
    papers = reader.site.catalogue.papers
    most = max(p.upvotes or 0 for p in papers)
    page = explorer(reader, "?sort=upvotes")
    first = page.locator("#explore-results > li .atlas-result-meta").first
    if most:
        expect(first).to_contain_text(f"{most} upvote{'' if most == 1 else 's'}")
    paper = next((p for p in papers if p.venue and has_code(p) and p.arxiv_id), None)
    if paper is None:
        pytest.skip("no paper with a venue, code and an arXiv id")
    page = reader.open(f"papers/{paper.id}/")
    venue = page.locator('meta[data-pagefind-filter="venue[content]"]').get_attribute("content")
    page = explorer(reader, "?q=" + paper.arxiv_id)
    expect(page.locator("#explore-results > li a").first).to_have_attribute("href", re.compile(f"/papers/{re.escape(paper.id)}/$"))
    meta = page.locator("#explore-results > li .atlas-result-meta").first
    expect(meta).to_contain_text(venue or "")
    assert "code" in meta.inner_text().split(" · ")


def test_the_tags_page_opens_every_paper_with_a_tag_in_the_explorer(reader):
    papers = reader.site.catalogue.papers
    tags = sorted({tag for p in papers for tag in p.tags})
    assert tags
    for tag in tags:
        page = reader.open("tags/")
        page.locator(".md-content").get_by_role("link", name=tag, exact=True).click()
        expect(page.locator("#explore-tag")).to_have_value(tag, timeout=10_000)
        expect(page.locator("#explore-count")).to_have_text(count_text_found(sum(tag in p.tags for p in papers)))
    assert reader.journal.problems == []


def test_a_shared_explorer_link_reproduces_the_view(reader):
    topic = showcase(reader.site)
    page = explorer(reader)
    page.locator("#atlas-explorer").get_by_label("Topic", exact=True).select_option(label=topic.title)
    page.locator("#atlas-explorer").get_by_label("Sort by", exact=True).select_option("date")
    page.locator("#explore-q").press_sequentially("model")
    expect(page).to_have_url(re.compile(r"q=model"))
    expect(page.locator("#explore-count")).to_contain_text("found")
    page.wait_for_timeout(400)  # the debounced search settles
    before, url = shown_ids(page), page.url
    again = reader.page.context.new_page()
    again.goto(url)
    expect(again.locator("#explore-count")).to_contain_text("found", timeout=10_000)
    again.wait_for_timeout(400)
    assert shown_ids(again) == before and before
    assert again.locator("#explore-topic").input_value() == topic.title
    again.close()


def test_explorer_works_with_the_keyboard_and_has_no_serious_axe_violation(browser, real_site):
    reader = new_reader(browser, real_site, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = explorer(reader)
        page.locator("#explore-q").focus()
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.id") == "explore-topic"
        assert axe_violations([page]) == [[]]
        scroll, client = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert scroll <= client
        assert reader.journal.problems == []
    finally:
        reader.page.context.close()


def test_without_javascript_the_explorer_says_where_the_papers_are(browser, real_site):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(real_site.url + "explore/")
        expect(page.locator(".atlas-nojs")).to_be_visible()
        expect(page.locator(".atlas-nojs a", has_text="topic pages")).to_have_attribute("href", "../topics/")
        expect(page.locator("#atlas-explorer")).to_be_hidden()
    finally:
        context.close()
