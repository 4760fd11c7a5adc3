"""Catalogue -> the site's Markdown pages: home, topics overview, one page per topic.

Why raw HTML: every piece of catalogue text (titles, abstracts, TL;DRs, names, topic
titles) is written into a block-level raw HTML element, escaped with ``html.escape``.
Python-Markdown passes such blocks through untouched, so ``*stars*``, ``_under_``,
``$x^2$``, ``{{ config }}``, ``<script>`` and backslashes stay characters: never
emphasis, math, template syntax or markup. Escaping for Markdown instead would have to
know every active extension; escaping for HTML has one well-known rule. The only
Markdown we let the renderer interpret is text written here (prose, year headings).

Why the paper headings are raw ``<h3 id="<paper id>">``: the id is the paper's
permalink and the text stays verbatim. They do not appear in the page's table of
contents (the year headings do, which is the useful level with up to 200 papers);
Material's search still indexes them, as it reads the rendered HTML.

Pages are plain files on disk (no MkDocs plugin or hook renders them), so any builder
that reads ``mkdocs.yml`` and Markdown with raw HTML can build the site.

Big topics are split into pages of at most :data:`PAGE_PAPERS` papers and about
:data:`PAGE_BYTES` of HTML: ``topics/<slug>/`` holds the newest, ``topics/<slug>/page-2/``
the next, and so on. A split topic also gets ``anchors.json`` (paper id -> page number),
which ``docs/assets/atlas.js`` reads to send ``#<id>`` links to the page that has them.

At 100,000 papers the pages hold about half a gigabyte of HTML, so :class:`Layout` makes
them one at a time: it renders every paper's entry once (its size decides the page
breaks), paginates every topic, and then yields page after page for the caller to write;
:func:`render` collects them all, for tests and small catalogues. Most of the time goes
into each paper's entry, which is kept lean: escaping skips its slow path for text
without control characters or line breaks, and the links made here (arXiv, searches) are
written already escaped, with the title URL-quoted once, not once per search.
"""

from __future__ import annotations

import functools
import html
import json
import posixpath
import re
from dataclasses import dataclass
from operator import attrgetter
from typing import Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote_plus, urlencode, urlsplit

import yaml

from .chart import chart_size, papers_per_year
from ..ingest.links import find_urls
from ..model import TAGS, Catalogue, Paper, Topic

#: At most this many papers on one page of a topic.
PAGE_PAPERS = 200
#: Start a new page before the papers' HTML passes this size; with the theme's frame
#: (navigation, header, footer) every page stays well under 1 MB.
PAGE_BYTES = 640_000
#: Author lists longer than this are shortened to "A, B, C, … and Z".
AUTHORS_SHOWN = 5

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: Control characters have no visible form; STX/ETX would even look like Python-Markdown's
#: own placeholders. Shown as U+FFFD. (Tab, newline and carriage return are whitespace.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_LINK_LABELS = {
    "code": "Code",
    "project": "Project page",
    "data": "Data",
    "model": "Model",
    "demo": "Demo",
    "huggingface": "Hugging Face",
    "paper": "Paper",
    "pdf": "PDF",
    "video": "Video",
    "blog": "Blog post",
}


@dataclass(frozen=True)
class SiteLinks:
    """Addresses the pages point to outside the catalogue (all optional)."""

    site_url: str | None = None
    repo_url: str | None = None
    #: Where a reader edits papers.yaml (e.g. ``<repo>/edit/main/papers.yaml``).
    catalogue_edit_url: str | None = None


@dataclass
class Rendered:
    """The generated pages and where each paper lives."""

    #: docs-relative path -> file text
    files: dict[str, str]
    #: paper id -> site-relative URL of its main entry, e.g. ``topics/vla/page-2/#rt-2``
    locations: dict[str, str]


#: The query string of the "wrong entry" issue form, quoted once; ``{id}`` is the paper's id.
_REPORT_QUERY = urlencode({"template": "wrong-entry.yml", "paper": "ID", "title": "Wrong entry: ID"}).replace("ID", "{id}")


# --- small helpers ---------------------------------------------------------------------


def text(value: str) -> str:
    """Catalogue text as HTML text or attribute value that displays exactly as written.

    Newlines become ``&#10;`` so a raw HTML block never contains a blank line (which
    would end it early); CSS ``white-space: pre-line`` shows them as line breaks.
    """
    if value.isprintable():  # the common case: no control character, no line break
        return html.escape(value, quote=True)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(_CONTROL.sub("\ufffd", value), quote=True).replace("\n", "&#10;")


def href(url: str) -> str:
    """An escaped href for an absolute http(s) URL; anything else is refused loudly."""
    # The prefix test is the common case's shortcut: such a URL's scheme is http(s).
    if not url.startswith(("https://", "http://")) and urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    return html.escape(url, quote=True)


@functools.lru_cache(maxsize=65_536)
def relative(target: str, here: str) -> str:
    """The URL of site path ``target`` as seen from the page at site path ``here``.

    Site paths have no leading slash; directory pages end in ``/`` (``""`` is the home).
    Cached: the same few page pairs come up for thousands of papers.
    """
    rel = posixpath.relpath("/" + target, "/" + here)
    if target.endswith("/") or not target:
        rel = "./" if rel == "." else rel + "/"
    return rel


def front_matter(meta: Mapping[str, object]) -> str:
    """A YAML front matter block. Titles and descriptions in it must be HTML-escaped
    already: MkDocs themes put them into the page without escaping."""
    body = yaml.safe_dump(dict(meta), sort_keys=False, allow_unicode=True, width=float("inf"))
    return f"---\n{body}---\n\n"


def has_code(paper: Paper) -> bool:
    return bool(paper.links) and any(name == "code" or name.startswith("code-") for name in paper.links)


def _newest_first(papers: Iterable[Paper]) -> list[Paper]:
    # Dates sort as text (YYYY-MM sorts just before that month's days); undated last.
    dated = sorted((p for p in papers if p.date), key=attrgetter("date", "id"), reverse=True)
    return dated + sorted((p for p in papers if not p.date), key=attrgetter("id"))


def _date_text(date: str) -> str:
    year, month = int(date[:4]), int(date[5:7])
    if len(date) == 7:
        return f"{MONTHS[month - 1]} {year}"
    return f"{int(date[8:10])} {MONTHS[month - 1]} {year}"


def _authors_text(paper: Paper, all_names: str) -> str:
    """'A, B and C', 'A, B, C, … and Z' (full list in a tooltip), or 'N authors'.

    ``all_names`` is ``text(", ".join(paper.authors))``. (Escaping a joined list equals
    joining the escaped names: the separators hold nothing to escape.)
    """
    names = paper.authors
    if not names:
        return f"{paper.authors_count} authors" if paper.authors_count else ""
    if len(names) > AUTHORS_SHOWN:
        shown = text(", ".join(names[:3])) + ", … and " + text(names[-1])
        return f'<span class="paper-authors" title="{all_names}">{shown}</span>'
    if paper.authors_count and paper.authors_count > len(names):
        shown = all_names + f", … ({paper.authors_count} authors)"
    elif len(names) == 1:
        shown = all_names
    else:
        shown = text(", ".join(names[:-1])) + " and " + text(names[-1])
    return f'<span class="paper-authors">{shown}</span>'


def _linkified(value: str) -> str:
    """Abstract text with every http(s) URL it mentions as a link."""
    if "://" not in value:  # no URL: the common case, without the search
        return text(value)
    out, last = [], 0
    for start, end, url in find_urls(value):
        out.append(text(value[last:start]))
        out.append(f'<a href="{href(url)}" rel="nofollow noopener">{text(value[start:end])}</a>')
        last = end
    out.append(text(value[last:]))
    return "".join(out)


def _paper_links(paper: Paper, links: SiteLinks) -> list[tuple[str, str]]:
    """(label, href) pairs, both escaped for HTML: the catalogue's own links (code,
    project, ...), then arXiv and Hugging Face (direct with an arXiv id, else title
    searches), then scholar searches.

    The addresses made here need no check and almost no escaping: arXiv ids are letters,
    digits, ``.``, ``-`` and ``/`` (the schema's pattern) and ``quote_plus`` (what
    ``urlencode`` applies to each value) leaves only letters, digits, ``_.-~+%``, so only
    the ``&`` between query fields is escaped. The title is quoted once for all searches.
    """
    found: list[tuple[str, str, str]] = []  # (label, URL, href)
    for name, url in paper.links.items():
        base, _, number = name.partition("-")
        label = _LINK_LABELS.get(base, base.replace("_", " ").capitalize())
        found.append((text(f"{label} {number}" if number else label), url, href(url)))
    title = quote_plus(paper.title)
    ours = []
    if paper.arxiv_id:
        ours += [
            ("arXiv", f"https://arxiv.org/abs/{paper.arxiv_id}"),
            ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}"),
            ("Hugging Face", f"https://huggingface.co/papers/{paper.arxiv_id}"),
        ]
    else:
        ours += [
            ("Search arXiv", f"https://arxiv.org/search/?query={title}&searchtype=title"),
            ("Search Hugging Face", f"https://huggingface.co/papers?q={title}"),
        ]
    ours += [
        ("Semantic Scholar", f"https://www.semanticscholar.org/search?q={title}"),
        ("Google Scholar", f"https://scholar.google.com/scholar?q=%22{title}%22"),  # the title in quotes
    ]
    found += [(label, url, url.replace("&", "&amp;")) for label, url in ours]
    if links.repo_url:
        # The issue form with its fields filled in; a paper id (a slug) needs no quoting.
        url = f"{links.repo_url.rstrip('/')}/issues/new?" + _REPORT_QUERY.format(id=paper.id)
        found.append(("Report a mistake", url, href(url)))
    if not paper.links:  # ours are all different
        return [(label, escaped) for label, _, escaped in found]
    # A catalogue link may already be one of ours (e.g. the Hugging Face page): show it once.
    unique, seen = [], set()
    for label, url, escaped in found:
        if url.rstrip("/") not in seen:
            seen.add(url.rstrip("/"))
            unique.append((label, escaped))
    return unique


# --- one paper -------------------------------------------------------------------------


@dataclass(slots=True)  # one object per paper (no __dict__): less for the garbage collector to walk
class _PaperHtml:
    """The parts of a paper's entry that do not depend on which page it is shown on.

    The big parts are kept as UTF-8, as the pages are written: a page is then a join of
    bytes, never a conversion (one "…" makes a whole str twice as wide).
    """

    open_attrs: str
    #: the article's and the heading's opening tags on the paper's main topic
    opening: bytes
    #: the heading's text and end tag
    title: bytes
    before_topics: bytes
    after_topics: bytes
    #: characters of title, before and after + room for what depends on the page (the
    #: tags, links to other topics, the article tag): what :func:`_paginate` counts
    size: int


def _opening(paper_id: str, open_attrs: str, main: bool) -> bytes:
    hidden = "" if main else ' data-search-exclude="secondary"'
    return f'<article class="paper" {open_attrs}{hidden}>\n<h3 id="{paper_id}"{hidden}>'.encode()


def _paper_html(paper: Paper, bibtex: str, links: SiteLinks) -> _PaperHtml:
    year = paper.date[:4] if paper.date else ""
    open_attrs = (
        f'data-id="{paper.id}" data-date="{paper.date or ""}" data-year="{year}" '
        f'data-upvotes="{"" if paper.upvotes is None else paper.upvotes}" '
        f'data-code="{1 if has_code(paper) else 0}" data-tags="{text(" ".join(paper.tags))}"'
    )
    title = f'{text(paper.title)}<a class="headerlink" href="#{paper.id}" title="Permanent link">¶</a>'

    meta = []
    if paper.date:
        meta.append(f'<time datetime="{paper.date}">{_date_text(paper.date)}</time>')
    all_names = text(", ".join(paper.authors))
    authors = _authors_text(paper, all_names)
    if authors:
        meta.append(authors)
    if paper.organization:
        meta.append(f'<span class="paper-org">{text(paper.organization)}</span>')
    if paper.venue:
        meta.append(f'<span class="paper-venue">{text(paper.venue)}</span>')
    if paper.upvotes is not None:
        meta.append(f'<span class="paper-upvotes">{paper.upvotes} upvote{"" if paper.upvotes == 1 else "s"}</span>')
    parts = []
    if meta:
        parts.append('<p class="paper-meta">' + " · ".join(meta) + "</p>")
    parts.append(f'<p class="paper-tldr">{text(paper.tldr)}</p>')
    items = "".join([f'<li><a href="{url}" rel="noopener">{label}</a></li>' for label, url in _paper_links(paper, links)])
    parts.append(f'<ul class="paper-links" data-search-exclude="links">{items}</ul>')
    before = "\n".join(parts) + "\n"

    abstract = f'<p class="paper-abstract-text">{_linkified(paper.abstract)}</p>'
    if len(paper.authors) > AUTHORS_SHOWN:
        abstract += f'<p class="paper-authors-full">Authors: {all_names}</p>'
    after = (
        f'<details class="paper-abstract" data-search-exclude="abstract"><summary>Abstract</summary>{abstract}</details>\n'
        f'<details class="paper-bibtex" data-search-exclude="bibtex"><summary>BibTeX</summary>'
        f"<pre><code>{text(bibtex)}</code></pre></details>\n"
    )
    size = len(title) + len(before) + len(after) + 400
    opening = _opening(paper.id, open_attrs, main=True)
    return _PaperHtml(open_attrs, opening, (title + "</h3>\n").encode(), before.encode(), after.encode(), size)


# --- topic pages -----------------------------------------------------------------------


@dataclass
class _TopicPlan:
    topic: Topic
    papers: list[Paper]  # newest first, main and secondary members
    pages: list[list[Paper]]

    def path(self, page: int) -> str:
        return topic_path(self.topic.slug, page)


def topic_path(slug: str, page: int = 1) -> str:
    """Site path of page ``page`` of a topic."""
    return f"topics/{slug}/" if page == 1 else f"topics/{slug}/page-{page}/"


def _paginate(papers: Sequence[Paper], sizes: Mapping[str, int]) -> list[list[Paper]]:
    pages: list[list[Paper]] = [[]]
    used = 0
    for paper in papers:
        size = sizes[paper.id]
        if pages[-1] and (len(pages[-1]) >= PAGE_PAPERS or used + size > PAGE_BYTES):
            pages.append([])
            used = 0
        pages[-1].append(paper)
        used += size
    return pages


def _pager(plan: _TopicPlan, current: int) -> str:
    """Links between the pages of a split topic (nothing for a one-page topic)."""
    count = len(plan.pages)
    if count == 1:
        return ""
    here = plan.path(current)
    shown = sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)})
    items, previous = [], 0
    if current > 1:
        items.append(f'<a href="{relative(plan.path(current - 1), here)}" rel="prev">← Newer</a>')
    for number in shown:
        if number > previous + 1:
            items.append('<span class="atlas-pager-gap">…</span>')
        if number == current:
            items.append(f'<span aria-current="page">{number}</span>')
        else:
            items.append(f'<a href="{relative(plan.path(number), here)}">{number}</a>')
        previous = number
    if current < count:
        items.append(f'<a href="{relative(plan.path(current + 1), here)}" rel="next">Older →</a>')
    return f'<nav class="atlas-pager" aria-label="Pages of this topic">{" ".join(items)}</nav>\n\n'


def _span_of_years(papers: Sequence[Paper]) -> str:
    """"2019 to 2024" (or one year, or nothing) for papers listed newest first, undated
    last, as every topic and page lists them: the first paper is the newest, the last
    dated one the oldest."""
    if not papers or not papers[0].date:
        return ""
    last = len(papers) - 1
    while not papers[last].date:
        last -= 1
    newest, oldest = int(papers[0].date[:4]), int(papers[last].date[:4])
    return str(oldest) if oldest == newest else f"{oldest} to {newest}"


def _overview(plan: _TopicPlan, here: str, where: Mapping[str, Mapping[str, str]]) -> str:
    """One paragraph of facts about the topic, computed from the catalogue."""
    papers = plan.papers
    count = len(papers)
    sentences = [f"{count} paper{'' if count == 1 else 's'}"]
    span = _span_of_years(papers)
    undated = sum(1 for p in papers if not p.date)
    if span:
        sentences[0] += f" from {span}"
    if undated:
        sentences[0] += f" ({undated} undated)"
    coded = sum(1 for p in papers if has_code(p))
    sentences.append(f"{coded} with code")
    voted = [p for p in papers if p.upvotes]
    if voted:
        top = max(voted, key=attrgetter("upvotes", "id"))
        link = _anchor(where[plan.topic.slug][top.id], top.id, here)
        sentences.append(f'most upvoted: <a href="{link}">{text(top.title)}</a> ({top.upvotes} upvotes)')
    bib = relative(f"bib/{plan.topic.slug}.bib", here)
    return (
        f'<p class="atlas-overview">{"; ".join(sentences)}. '
        f'<a href="{bib}" download>BibTeX of this topic</a>.</p>\n\n'
    )


def _anchor(page_path: str, paper_id: str, here: str) -> str:
    return f"#{paper_id}" if page_path == here else f"{relative(page_path, here)}#{paper_id}"


def _topics_line(
    paper: Paper,
    slug: str,
    here: str,
    titles: Mapping[str, str],
    where: Mapping[str, Mapping[str, str]],
    tags_url: str,
) -> str:
    """Tag chips and links to the paper's other topics; ``tags_url`` is the tags page
    as seen from ``here``."""
    if not paper.tags and len(paper.topics) == 1:  # the common case: nothing to show
        return ""
    chips = [f'<a class="atlas-tag" href="{tags_url}#tag:{tag}">{tag}</a>' for tag in paper.tags]
    others = [
        f'<a href="{_anchor(where[other][paper.id], paper.id, here)}">{text(titles[other])}</a>'
        for other in paper.topics
        if other != slug
    ]
    parts = []
    if chips:
        parts.append('<span class="atlas-tags">' + " ".join(chips) + "</span>")
    if paper.topics[0] != slug:  # others keeps the paper's topic order: the main one comes first
        parts.append(f'<span class="paper-topics">Main entry: {others.pop(0)}</span>')
    if others:
        parts.append('<span class="paper-topics">Also in: ' + ", ".join(others) + "</span>")
    return f'<p class="paper-tags">{" · ".join(parts)}</p>\n' if parts else ""


def _filters(papers: Sequence[Paper], split: bool) -> str:
    """The filter and sort controls of a topic page, for the papers on this page.

    The form is ``hidden``: ``docs/assets/atlas.js`` shows it and does the filtering, so
    without JavaScript the page simply lists every paper. The field names are the keys of
    the query string that keeps a filtered view (``?code=1&from=2024&sort=upvotes``).
    Ids have an underscore, which paper ids never have.
    """
    years = sorted({p.date[:4] for p in papers if p.date})
    tags = [tag for tag in TAGS if any(tag in p.tags for p in papers)]

    def select(name: str, label: str, options: Sequence[tuple[str, str]]) -> str:
        items = "".join(f'<option value="{value}">{shown}</option>' for value, shown in options)
        return (
            f'<span class="atlas-filter"><label for="atlas_{name}">{label}</label>'
            f'<select id="atlas_{name}" name="{name}">{items}</select></span>'
        )

    any_year = [("", "any year"), *((y, y) for y in years)]
    controls = [
        '<span class="atlas-filter"><input type="checkbox" id="atlas_code" name="code" value="1">'
        '<label for="atlas_code">With code</label></span>',
        select("from", "From", any_year),
        select("to", "To", any_year),
    ]
    if tags:
        controls.append(select("tag", "Tag", [("", "any"), *((t, t) for t in tags)]))
    controls.append(select("sort", "Sort by", [("date", "newest first"), ("upvotes", "most upvoted")]))
    legend = "Filter and sort the papers" + (" on this page" if split else "")
    return (
        '<form class="atlas-filters" id="atlas_filters" data-search-exclude="filters" hidden>'
        f'<fieldset><legend>{legend}</legend>{"".join(controls)}</fieldset>'
        '<p class="atlas-count" role="status" aria-live="polite"></p></form>\n\n'
    )


def _topic_page(
    plan: _TopicPlan,
    number: int,
    papers_html: Mapping[str, _PaperHtml],
    titles: Mapping[str, str],
    where: Mapping[str, Mapping[str, str]],
) -> bytes:
    """Page ``number`` of a topic, as UTF-8."""
    topic, slug = plan.topic, plan.topic.slug
    here = plan.path(number)
    count = len(plan.pages)
    title = topic.title if number == 1 else f"{topic.title} (page {number} of {count})"
    meta: dict[str, object] = {"title": text(title), "description": text(topic.description)}
    if number == 1:
        tags = sorted({tag for paper in plan.papers for tag in paper.tags})
        if tags:
            meta["tags"] = tags
    head = [front_matter(meta), f"<h1>{text(topic.title)}</h1>\n\n"]
    if count > 1:
        anchors = relative(f"topics/{slug}/anchors.json", here)
        head.append(f'<div class="atlas-anchors" data-anchors="{anchors}" hidden></div>\n\n')
    if number == 1:
        head.append(f'<p class="atlas-description">{text(topic.description)}</p>\n\n')
        head.append(_overview(plan, here, where))
    else:
        span = _span_of_years(plan.pages[number - 1])
        head.append(f'<p class="atlas-overview">Page {number} of {count}' + (f", papers from {span}" if span else "") + ".</p>\n\n")
    head.append(_pager(plan, number))
    head.append(_filters(plan.pages[number - 1], split=count > 1))
    out = ["".join(head).encode()]
    year = None
    tags_url = relative("tags/", here)
    for paper in plan.pages[number - 1]:
        paper_year = paper.date[:4] if paper.date else "undated"
        if paper_year != year:
            year = paper_year
            label = "Undated" if year == "undated" else year
            # The id has an underscore, which paper ids (slugs) never have: no clash.
            out.append(f"## {label} {{#year_{year}}}\n\n".encode())
        parts = papers_html[paper.id]
        # A paper is indexed for search once, on its main topic.
        main = paper.topics[0] == slug
        out += (parts.opening if main else _opening(paper.id, parts.open_attrs, main), parts.title, parts.before_topics)
        line = _topics_line(paper, slug, here, titles, where, tags_url)
        if line:
            out.append(line.encode())
        out += (parts.after_topics, b"</article>\n\n")
    out.append(_pager(plan, number).encode())
    return b"".join(out)


# --- home and topics overview ----------------------------------------------------------


def _topic_cards(plans: Sequence[_TopicPlan], here: str) -> str:
    cards = []
    for plan in plans:
        slug = plan.topic.slug
        count = len(plan.papers)
        cards.append(
            f'<li><p class="atlas-card-title"><a href="{relative(topic_path(slug), here)}">{text(plan.topic.title)}</a></p>'
            f'<p class="atlas-card-description">{text(plan.topic.description)}</p>'
            f'<p class="atlas-card-count">{count} paper{"" if count == 1 else "s"} · '
            f'<a href="{relative(f"bib/{slug}.bib", here)}" download>BibTeX</a></p></li>'
        )
    return '<div class="grid cards atlas-cards"><ul>' + "".join(cards) + "</ul></div>\n\n"


HOME_INTRO = """\
A curated survey of research on **action in AI**: models and agents that decide what to
do and then do it, in the physical world (robot policies, vision-language-action models)
and in software (GUI, web and tool-using agents), together with the benchmarks, data sets
and surveys that measure them. Every paper has a one-line TL;DR, its links, the abstract
and a BibTeX entry; topic pages list the newest papers first.
"""

HOW_TO_CONTRIBUTE = """\
Missing a paper, or found a mistake? The whole survey is generated from one file,
`papers.yaml`. Suggest a paper or report a wrong entry with the issue forms, or edit the
catalogue directly in a pull request: see the [contributing page](contributing.md).
"""


def _citation(catalogue: Catalogue, links: SiteLinks) -> str:
    years = [int(p.date[:4]) for p in catalogue.papers if p.date]
    lines = [
        "@misc{actionatlas,",
        "  title        = {Action Atlas: A Curated Survey of Action in {AI}},",
        "  author       = {{Action Atlas contributors}},",
    ]
    if years:
        lines.append(f"  year         = {{{max(years)}}},")
    if links.site_url:
        lines.append(f"  howpublished = {{\\url{{{links.site_url}}}}},")
    lines.append(f"  note         = {{{len(catalogue.papers)} papers in {len(catalogue.topics)} topics}}")
    lines.append("}")
    return "\n".join(lines)


def _year_table(catalogue: Catalogue) -> str:
    years, per_topic = papers_per_year(catalogue)
    if not years:
        return ""
    shown = [t for t in catalogue.topics if t.slug in per_topic]
    head = "".join(f'<th scope="col">{text(t.title)}</th>' for t in shown)
    rows = []
    for i, year in reversed(list(enumerate(years))):
        total = sum(per_topic[t.slug][i] for t in shown)
        cells = "".join(f"<td>{per_topic[t.slug][i]}</td>" for t in shown)
        rows.append(f'<tr><th scope="row">{year}</th><td>{total}</td>{cells}</tr>')
    return (
        '<details class="atlas-chart-table"><summary>The chart as a table</summary>'
        '<div class="atlas-scroll"><table><thead><tr><th scope="col">Year</th><th scope="col">All</th>'
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></details>\n\n"
    )


def _home(catalogue: Catalogue, plans: Sequence[_TopicPlan], links: SiteLinks) -> str:
    papers = catalogue.papers
    years = sorted({int(p.date[:4]) for p in papers if p.date})
    stats = [
        (len(papers), "papers"),
        (len(catalogue.topics), "topics"),
        (sum(1 for p in papers if has_code(p)), "with code"),
    ]
    stat_items = "".join(f'<li><span class="atlas-stat">{n}</span> {label}</li>' for n, label in stats)
    if years:
        span = str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
        stat_items += f'<li><span class="atlas-stat">{span}</span> years</li>'
    undated = sum(1 for p in papers if not p.date)
    alt = f"Stacked bar chart of the number of papers per year from {span} for each topic." if years else ""
    downloads = "\n".join(
        [
            "- [What's new](whats-new.md): the papers added most recently, and their [Atom feed](feed.xml)",
            "- [All references (BibTeX)](bib/references.bib)",
            "- [Every paper as JSON](papers.json): all catalogue fields, TL;DR, BibTeX and the URL of its entry",
            "- [The catalogue, papers.yaml](papers.yaml): the single source this site is built from",
        ]
    )
    out = [
        "# Action Atlas\n\n",
        HOME_INTRO,
        f'\n<ul class="atlas-stats">{stat_items}</ul>\n\n',
        "## Topics\n\n",
        _topic_cards(plans, ""),
        "## Papers per year\n\n",
    ]
    if years:
        width, height = chart_size(catalogue)
        out.append(
            f'<figure class="atlas-chart"><img src="assets/chart.svg" alt="{text(alt)}" width="{width}" height="{height}">'
            + (f"<figcaption>{undated} undated paper{'' if undated == 1 else 's'} not shown.</figcaption>" if undated else "")
            + "</figure>\n\n"
        )
        out.append(_year_table(catalogue))
    else:
        out.append("No paper has a date yet.\n\n")
    out += [
        "## Downloads\n\n",
        downloads + "\n",
        "- BibTeX per topic: "
        + ", ".join(f"[{slug}.bib](bib/{slug}.bib)" for slug in (p.topic.slug for p in plans))
        + "\n\n",
        "## How to cite\n\n",
        "If the survey helped your work, please cite it:\n\n",
        f'<pre class="atlas-citation"><code>{text(_citation(catalogue, links))}</code></pre>\n\n',
        "## How to contribute\n\n",
        HOW_TO_CONTRIBUTE,
    ]
    return "".join(out)


def _topics_index(plans: Sequence[_TopicPlan]) -> str:
    return (
        front_matter({"title": "Topics", "description": "Every topic of the survey."})
        + "# Topics\n\nThe survey's topics, in the catalogue's order. A paper can belong to"
        " several; its entry on the first is the one search finds.\n\n"
        + _topic_cards(plans, "topics/")
    )


# --- everything ------------------------------------------------------------------------


class Layout:
    """Where every paper goes, made once; the pages themselves are made one at a time.

    Making the layout renders each paper's entry once (its size decides the page breaks,
    and the entry is the same on every page that shows it) and paginates every topic, so
    :attr:`locations` is known before any page is. :meth:`files` then yields the pages
    one by one: a caller that writes each before asking for the next never holds more
    than one page besides the papers' entries.
    """

    def __init__(self, catalogue: Catalogue, bibtex: Mapping[str, str], links: SiteLinks = SiteLinks()):
        self.catalogue, self.links = catalogue, links
        self._papers_html = {p.id: _paper_html(p, bibtex[p.id], links) for p in catalogue.papers}
        sizes = {pid: parts.size for pid, parts in self._papers_html.items()}
        # One sort for all topics: each topic's papers keep the catalogue's newest-first order.
        members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
        for paper in _newest_first(catalogue.papers):
            for slug in paper.topics:
                members[slug].append(paper)
        self._plans = [_TopicPlan(t, members[t.slug], _paginate(members[t.slug], sizes)) for t in catalogue.topics]

        # topic slug -> paper id -> path of the page that shows the paper in that topic
        self._where: dict[str, dict[str, str]] = {}
        for plan in self._plans:
            on_page = self._where[plan.topic.slug] = {}
            for number, page in enumerate(plan.pages, start=1):
                on_page.update(dict.fromkeys([p.id for p in page], plan.path(number)))
        self._titles = {t.slug: t.title for t in catalogue.topics}
        #: paper id -> site-relative URL of its main entry, e.g. ``topics/vla/page-2/#rt-2``
        self.locations = {p.id: self._where[p.topics[0]][p.id] + "#" + p.id for p in catalogue.papers}

    def files(self) -> Iterator[tuple[str, bytes]]:
        """(docs-relative path, UTF-8 content) of every page and ``anchors.json``, one at a time."""
        plans = self._plans
        yield "index.md", _home(self.catalogue, plans, self.links).encode()
        yield "topics/index.md", _topics_index(plans).encode()
        for plan in plans:
            slug = plan.topic.slug
            for number in range(1, len(plan.pages) + 1):
                name = "index.md" if number == 1 else f"page-{number}/index.md"
                yield f"topics/{slug}/{name}", _topic_page(plan, number, self._papers_html, self._titles, self._where)
            if len(plan.pages) > 1:
                pages = {p.id: n for n, page in enumerate(plan.pages, start=1) for p in page}
                yield f"topics/{slug}/anchors.json", (json.dumps(pages, sort_keys=True, separators=(",", ":")) + "\n").encode()


def render(catalogue: Catalogue, bibtex: Mapping[str, str], links: SiteLinks = SiteLinks()) -> Rendered:
    """All Markdown pages (and ``anchors.json`` maps) for the catalogue, at once.

    ``bibtex`` maps paper id -> its BibTeX entry text (shown verbatim in the page). For a
    big catalogue, :class:`Layout` makes the same files one at a time.
    """
    layout = Layout(catalogue, bibtex, links)
    return Rendered({path: content.decode("utf-8") for path, content in layout.files()}, layout.locations)
