"""Catalogue -> the site's Markdown pages: home, topics overview, one page per topic.

The HTML comes from the templates in ``render/templates/`` (:mod:`.html`: autoescape on,
every value escaped in one place). This module gathers what the templates show; it
writes no markup of its own.

Why the paper headings are raw ``<h3 id="<paper id>">``: the id is the paper's permalink
and the text stays verbatim. They do not appear in the page's table of contents (the year
headings do, which is the useful level with up to 200 papers).

Pages are plain files on disk, so any builder that reads ``mkdocs.yml`` and Markdown with
raw HTML builds the site. A split topic also gets ``anchors.json`` (paper id -> page
number), which ``docs/assets/atlas.js`` reads to send ``#<id>`` links to the right page.
"""

from __future__ import annotations

import json
from typing import Iterator, Mapping, Sequence
from urllib.parse import quote_plus, urlencode

import yaml
from markupsafe import Markup

from ..ingest.links import find_links
from ..model import TAGS, Catalogue, Paper
from .chart import chart_size, papers_per_year
from .html import href, text
from .html import render as fill
from .plan import (
    PAGE_BYTES,
    PAGE_PAPERS,
    Plan,
    SiteLinks,
    TopicPlan,
    date_text,
    has_code,
    paper_path,
    relative,
    span_of_years,
    topic_path,
)

__all__ = ["Layout", "SiteLinks", "PAGE_BYTES", "PAGE_PAPERS", "has_code", "relative", "text", "href", "topic_path", "render"]

#: Author lists longer than this are shortened to "A, B, C, … and Z".
AUTHORS_SHOWN = 5

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

#: The query string of the "wrong entry" issue form; ``{id}`` is the paper's id.
_REPORT_QUERY = urlencode({"template": "wrong-entry.yml", "paper": "ID", "title": "Wrong entry: ID"}).replace("ID", "{id}")


def front_matter(meta: Mapping[str, object]) -> Markup:
    """The body of a YAML front matter block. Titles and descriptions in it are HTML-escaped
    already (:func:`text`): themes put them into the page without escaping."""
    clean = {k: (str(v) if isinstance(v, Markup) else v) for k, v in meta.items() if v is not None}
    return Markup(yaml.safe_dump(clean, sort_keys=False, allow_unicode=True, width=float("inf")).rstrip("\n"))


# --- what an entry shows ----------------------------------------------------------------


def meta_items(paper: Paper) -> list[tuple[str, object]]:
    """(kind, value) pairs of the line under a paper's title: date, authors, organisation,
    venue, upvotes."""
    items: list[tuple[str, object]] = []
    if paper.date:
        items.append(("date", date_text(paper.date)))
    names = paper.authors
    if names:
        tooltip = ""
        if len(names) > AUTHORS_SHOWN:
            shown = ", ".join(names[:3]) + ", … and " + names[-1]
            tooltip = ", ".join(names)
        elif paper.authors_count and paper.authors_count > len(names):
            shown = ", ".join(names) + f", … ({paper.authors_count} authors)"
        elif len(names) == 1:
            shown = names[0]
        else:
            shown = ", ".join(names[:-1]) + " and " + names[-1]
        items.append(("authors", {"shown": shown, "tooltip": tooltip}))
    elif paper.authors_count:
        items.append(("count", f"{paper.authors_count} authors"))
    else:
        items.append(("count", "authors unknown"))
    if paper.organization:
        items.append(("org", paper.organization))
    if paper.venue:
        items.append(("venue", paper.venue))
    if paper.upvotes is not None:
        items.append(("upvotes", f"{paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"))
    return items


def linkified(value: str) -> list[tuple[str, str | None]]:
    """Abstract text as (text, URL or None) pieces: every http(s) URL it mentions a link."""
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for start, end, url in find_links(value):
        pieces += [(value[last:start], None), (value[start:end], href(url))]
        last = end
    pieces.append((value[last:], None))
    return pieces


def links_of(paper: Paper, links: SiteLinks) -> list[tuple[str, str]]:
    """(label, URL) pairs: the catalogue's own links (code, project, ...), then arXiv and
    Hugging Face (direct with an arXiv id, else title searches), then scholar searches,
    then the issue form; each address once."""
    found: list[tuple[str, str]] = []
    for name, url in paper.links.items():
        base, _, number = name.partition("-")
        label = _LINK_LABELS.get(base, base.replace("_", " ").capitalize())
        found.append((f"{label} {number}" if number else label, href(url)))
    title = quote_plus(paper.title)
    if paper.arxiv_id:
        found += [
            ("arXiv", f"https://arxiv.org/abs/{paper.arxiv_id}"),
            ("PDF", f"https://arxiv.org/pdf/{paper.arxiv_id}"),
            ("Hugging Face", f"https://huggingface.co/papers/{paper.arxiv_id}"),
        ]
    else:
        found += [
            ("Search arXiv", f"https://arxiv.org/search/?query={title}&searchtype=title"),
            ("Search Hugging Face", f"https://huggingface.co/papers?q={title}"),
        ]
    found += [
        ("Semantic Scholar", f"https://www.semanticscholar.org/search?q={title}"),
        ("Google Scholar", f"https://scholar.google.com/scholar?q=%22{title}%22"),  # the title in quotes
    ]
    if links.repo_url:
        found.append(("Report a mistake", f"{links.repo_url.rstrip('/')}/issues/new?" + _REPORT_QUERY.format(id=paper.id)))
    unique, seen = [], set()
    for label, url in found:
        if url.rstrip("/") not in seen:
            seen.add(url.rstrip("/"))
            unique.append((label, url))
    return unique


def coins(paper: Paper) -> str:
    """The paper as a COinS ContextObject (the ``title`` of a ``span.Z3988``), so that
    Zotero's connector offers the papers of a topic page as a list to import."""
    fields = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "preprint" if not paper.venue else "proceeding"),
        ("rft.atitle", paper.title),
    ]
    fields += [("rft.au", name) for name in paper.authors]
    if paper.date:
        fields.append(("rft.date", paper.date))
    if paper.venue:
        fields.append(("rft.jtitle", paper.venue))
    if paper.arxiv_id:
        fields.append(("rft_id", f"info:arxiv/{paper.arxiv_id}"))
        fields.append(("rft_id", f"https://arxiv.org/abs/{paper.arxiv_id}"))
    return urlencode(fields)


def entry_links(paper: Paper, links: SiteLinks) -> list[tuple[str, str]]:
    """The links of a paper's entry on a topic page: its own (code, project, ...) and arXiv;
    the searches, Hugging Face and the issue form are on the paper's page (fewer elements
    per entry make a long topic page quick on a phone)."""
    keep = {"arXiv", "PDF", "Search arXiv"}
    own = len(paper.links)
    return [(label, url) for n, (label, url) in enumerate(links_of(paper, links)) if n < own or label in keep]


# --- pages --------------------------------------------------------------------------------


class Layout:
    """The site's pages, made one at a time from a :class:`~.plan.Plan`."""

    def __init__(self, catalogue: Catalogue, bibtex: Mapping[str, str], links: SiteLinks = SiteLinks()):
        self.catalogue, self.bibtex, self.links = catalogue, bibtex, links
        self.plan = Plan(catalogue, bibtex)
        self.locations = self.plan.locations
        self._links = {p.id: entry_links(p, links) for p in catalogue.papers}
        made: dict[str, str] = {}
        # A paper shown on several topic pages gets its COinS and the end of its entry
        # (abstract, BibTeX: most of its text) made once.
        self._coins = lambda p: made.get(p.id) or made.setdefault(p.id, coins(p))
        tails: dict[str, Markup] = {}
        self._tail = lambda p: tails.get(p.id) or tails.setdefault(p.id, self._make_tail(p))

    def _make_tail(self, paper: Paper) -> Markup:
        made = fill("entry-tail.html.j2", p=paper, abstract=linkified(paper.abstract), bibtex=self.bibtex[paper.id], authors_shown=AUTHORS_SHOWN)
        return Markup(made.rstrip("\n"))  # no blank line inside the entry's raw HTML block

    def _meta(self, **meta: object) -> Markup:
        return front_matter({**meta, "edit_url": self.links.catalogue_edit_url})

    def _topics_line(self, paper: Paper, slug: str, here: str) -> list[tuple[str, object]]:
        """Tag chips and links to the paper's other topics, as (kind, items)."""
        if not paper.tags and len(paper.topics) == 1:
            return []
        others = [(self.plan.titles[o], self.plan.anchor(o, paper.id, here)) for o in paper.topics if o != slug]
        line: list[tuple[str, object]] = []
        if paper.tags:
            line.append(("tags", paper.tags))
        if paper.topics[0] != slug:  # the main topic comes first
            line.append(("Main entry", [others.pop(0)]))
        if others:
            line.append(("Also in", others))
        return line

    def _pager(self, plan: TopicPlan, current: int) -> Markup:
        count = len(plan.pages)
        items: list[tuple[str, object, str]] = []
        if count > 1:
            here = plan.path(current)
            if current > 1:
                items.append(("prev", "← Newer", relative(plan.path(current - 1), here)))
            previous = 0
            for number in sorted({1, count, *range(max(1, current - 2), min(count, current + 2) + 1)}):
                if number > previous + 1:
                    items.append(("gap", "", ""))
                kind = "current" if number == current else "page"
                items.append((kind, number, relative(plan.path(number), here)))
                previous = number
            if current < count:
                items.append(("next", "Older →", relative(plan.path(current + 1), here)))
        return Markup(fill("pager.html.j2", items=items))

    @staticmethod
    def _filters(papers: Sequence[Paper]) -> list[dict[str, object]]:
        years = sorted({p.date[:4] for p in papers if p.date})
        tags = [tag for tag in TAGS if any(tag in p.tags for p in papers)]
        any_year = [("", "any year"), *((y, y) for y in years)]
        controls: list[dict[str, object]] = [
            {"name": "code", "label": "With code", "options": None},
            {"name": "from", "label": "From", "options": any_year},
            {"name": "to", "label": "To", "options": any_year},
        ]
        if tags:
            controls.append({"name": "tag", "label": "Tag", "options": [("", "any"), *((t, t) for t in tags)]})
        controls.append({"name": "sort", "label": "Sort by", "options": [("date", "newest first"), ("upvotes", "most upvoted")]})
        return controls

    def topic_page(self, plan: TopicPlan, number: int) -> str:
        topic, here, count = plan.topic, plan.path(number), len(plan.pages)
        title = topic.title if number == 1 else f"{topic.title} (page {number} of {count})"
        meta: dict[str, object] = {"title": text(title), "description": text(topic.description)}
        if number == 1:
            tags = sorted({tag for paper in plan.papers for tag in paper.tags})
            meta["tags"] = tags or None
        on_page = plan.pages[number - 1]
        by_year: list[tuple[dict[str, str], list[Paper]]] = []
        for paper in on_page:
            year = paper.date[:4] if paper.date else "undated"
            if not by_year or by_year[-1][0]["id"] != year:
                by_year.append(({"id": year, "label": "Undated" if year == "undated" else year}, []))
            by_year[-1][1].append(paper)
        papers = plan.papers
        top = plan.top
        return fill(
            "topic.md.j2",
            front_matter=self._meta(**meta),
            topic=topic,
            here=here,
            number=number,
            pages=count,
            anchors_url=relative(f"topics/{topic.slug}/anchors.json", here),
            count=len(papers),
            span=span_of_years(papers if number == 1 else on_page),
            undated=plan.undated,
            coded=plan.coded,
            top={"title": top.title, "upvotes": top.upvotes, "url": self.plan.anchor(topic.slug, top.id, here)} if top else None,
            bib_url=relative(f"bib/{topic.slug}.bib", here),
            pager=self._pager(plan, number),
            filters=self._filters(on_page),
            by_year=by_year,
            # what the entry macro calls
            has_code=has_code,
            meta_items=meta_items,
            links_of=lambda p: self._links[p.id],
            topics_line=self._topics_line,
            tags_url=lambda where: relative("tags/", where),
            linkified=linkified,
            coins=self._coins,
            tail=self._tail,
            paper_url=lambda p, where: relative(paper_path(p.id), where),
            bibtex=self.bibtex,
            authors_shown=AUTHORS_SHOWN,
        )

    def _cards(self, here: str) -> list[dict[str, object]]:
        return [
            {
                "url": relative(topic_path(plan.topic.slug), here),
                "title": plan.topic.title,
                "description": plan.topic.description,
                "count": len(plan.papers),
                "bib": relative(f"bib/{plan.topic.slug}.bib", here),
            }
            for plan in self.plan.topics
        ]

    def home(self) -> str:
        catalogue = self.catalogue
        papers = catalogue.papers
        years = sorted({int(p.date[:4]) for p in papers if p.date})
        stats: list[tuple[object, str]] = [
            (len(papers), "papers"),
            (len(catalogue.topics), "topics"),
            (sum(1 for p in papers if has_code(p)), "with code"),
        ]
        chart = None
        if years:
            span = str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
            stats.append((span, "years"))
            width, height = chart_size(catalogue)
            year_list, per_topic = papers_per_year(catalogue)
            shown = [t for t in catalogue.topics if t.slug in per_topic]
            rows = [
                (year, sum(per_topic[t.slug][i] for t in shown), [per_topic[t.slug][i] for t in shown])
                for i, year in reversed(list(enumerate(year_list)))
            ]
            chart = {
                "alt": f"Stacked bar chart of the number of papers per year from {span} for each topic.",
                "width": width,
                "height": height,
                "undated": sum(1 for p in papers if not p.date),
                "topics": [t.title for t in shown],
                "rows": rows,
            }
        return fill(
            "home.md.j2",
            front_matter=self._meta(),
            stats=stats,
            cards=self._cards(""),
            chart=chart,
            slugs=[t.slug for t in catalogue.topics],
            citation=self._citation(),
        )

    def _citation(self) -> str:
        catalogue, links = self.catalogue, self.links
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

    def topics_index(self) -> str:
        meta = self._meta(title="Topics", description="Every topic of the survey.")
        return fill("topics.md.j2", front_matter=meta, cards=self._cards("topics/"))

    def nav(self) -> str:
        """``topics/.nav.yml``: the topic section of the navigation, in the catalogue's order
        (awesome-nav in MkDocs, and Zensical; titles come from the pages' front matter)."""
        entries = ["index.md", *(f"{t.slug}/index.md" for t in self.catalogue.topics)]
        return "# Generated by `python -m generator build` from papers.yaml: the topics, in its order.\n" + yaml.safe_dump(
            {"nav": entries}, sort_keys=False
        )

    def files(self) -> Iterator[tuple[str, str]]:
        """(docs-relative path, text) of every page, ``anchors.json`` and the topics' nav."""
        yield "index.md", self.home()
        yield "topics/index.md", self.topics_index()
        yield "topics/.nav.yml", self.nav()
        for plan in self.plan.topics:
            slug = plan.topic.slug
            for number in range(1, len(plan.pages) + 1):
                name = "index.md" if number == 1 else f"page-{number}/index.md"
                yield f"topics/{slug}/{name}", self.topic_page(plan, number)
            if len(plan.pages) > 1:
                numbers = {p.id: n for n, page in enumerate(plan.pages, start=1) for p in page}
                yield f"topics/{slug}/anchors.json", json.dumps(numbers, sort_keys=True, separators=(",", ":")) + "\n"
