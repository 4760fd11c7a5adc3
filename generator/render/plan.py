"""Where everything goes: site paths, the order of papers, and the pages of each topic.

Big topics are split into pages of at most :data:`PAGE_PAPERS` papers and about
:data:`PAGE_BYTES` of text: ``topics/<slug>/`` holds the newest, ``topics/<slug>/page-2/``
the next, and so on. Every paper also has its own page, ``papers/<id>/``, its permalink.
"""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass
from operator import attrgetter
from typing import Iterable, Mapping, Sequence

from ..model import Catalogue, Paper, Topic

#: At most this many papers on one page of a topic.
PAGE_PAPERS = 25
#: Start a new page before the papers' text passes this size (a topic page's first view
#: stays cheap on a phone).
PAGE_BYTES = 80_000

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class SiteLinks:
    """Addresses the pages point to outside the catalogue (all optional)."""

    site_url: str | None = None
    repo_url: str | None = None
    #: Where a reader edits papers.yaml (e.g. ``<repo>/edit/main/papers.yaml``).
    catalogue_edit_url: str | None = None


@functools.lru_cache(maxsize=65_536)
def relative(target: str, here: str) -> str:
    """The URL of site path ``target`` as seen from the page at site path ``here``.

    Site paths have no leading slash; directory pages end in ``/`` (``""`` is the home).
    """
    rel = posixpath.relpath("/" + target, "/" + here)
    if target.endswith("/") or not target:
        rel = "./" if rel == "." else rel + "/"
    return rel


def topic_path(slug: str, page: int = 1) -> str:
    """Site path of page ``page`` of a topic."""
    return f"topics/{slug}/" if page == 1 else f"topics/{slug}/page-{page}/"


def paper_path(paper_id: str) -> str:
    """Site path of a paper's own page."""
    return f"papers/{paper_id}/"


def has_code(paper: Paper) -> bool:
    return bool(paper.links) and any(name == "code" or name.startswith("code-") for name in paper.links)


def newest_first(papers: Iterable[Paper]) -> list[Paper]:
    # Dates sort as text (YYYY-MM sorts just before that month's days); undated last.
    dated = sorted((p for p in papers if p.date), key=attrgetter("date", "id"), reverse=True)
    return dated + sorted((p for p in papers if not p.date), key=attrgetter("id"))


def date_text(date: str) -> str:
    """``2024-03`` -> ``Mar 2024``, ``2024-03-14`` -> ``14 Mar 2024``."""
    year, month = int(date[:4]), int(date[5:7])
    if len(date) == 7:
        return f"{MONTHS[month - 1]} {year}"
    return f"{int(date[8:10])} {MONTHS[month - 1]} {year}"


def span_of_years(papers: Sequence[Paper]) -> str:
    """"2019 to 2024" (or one year, or nothing) for papers listed newest first, undated last."""
    if not papers or not papers[0].date:
        return ""
    last = len(papers) - 1
    while not papers[last].date:
        last -= 1
    newest, oldest = int(papers[0].date[:4]), int(papers[last].date[:4])
    return str(oldest) if oldest == newest else f"{oldest} to {newest}"


def entry_size(paper: Paper, bibtex: str) -> int:
    """About how many bytes a paper's entry takes on a topic page (what pagination counts)."""
    return len(paper.title) + len(paper.tldr) + len(paper.abstract) + len(bibtex) + 60 * len(paper.authors[:6]) + 1200


@dataclass
class TopicPlan:
    topic: Topic
    papers: list[Paper]  # newest first, main and secondary members
    pages: list[list[Paper]]

    def path(self, page: int) -> str:
        return topic_path(self.topic.slug, page)

    # What every page of the topic says of the whole topic, counted once per topic.
    @functools.cached_property
    def top(self) -> Paper | None:
        """The most upvoted paper (ties: the larger id), if any has upvotes."""
        voted = [p for p in self.papers if p.upvotes]
        return max(voted, key=attrgetter("upvotes", "id")) if voted else None

    @functools.cached_property
    def undated(self) -> int:
        return sum(1 for p in self.papers if not p.date)

    @functools.cached_property
    def coded(self) -> int:
        return sum(1 for p in self.papers if has_code(p))


def paginate(papers: Sequence[Paper], sizes: Mapping[str, int]) -> list[list[Paper]]:
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


class Plan:
    """Every topic's pages and where every paper is shown, made once per build."""

    def __init__(self, catalogue: Catalogue, bibtex: Mapping[str, str]):
        self.catalogue = catalogue
        sizes = {p.id: entry_size(p, bibtex[p.id]) for p in catalogue.papers}
        members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
        for paper in newest_first(catalogue.papers):
            for slug in paper.topics:
                members[slug].append(paper)
        self.topics = [TopicPlan(t, members[t.slug], paginate(members[t.slug], sizes)) for t in catalogue.topics]
        #: topic slug -> paper id -> path of the topic page that shows the paper
        self.where: dict[str, dict[str, str]] = {}
        for plan in self.topics:
            on_page = self.where[plan.topic.slug] = {}
            for number, page in enumerate(plan.pages, start=1):
                on_page.update(dict.fromkeys([p.id for p in page], plan.path(number)))
        self.titles = {t.slug: t.title for t in catalogue.topics}
        #: paper id -> site-relative URL of its main entry, e.g. ``topics/vla/page-2/#rt-2``
        self.locations = {p.id: self.where[p.topics[0]][p.id] + "#" + p.id for p in catalogue.papers}

    def anchor(self, slug: str, paper_id: str, here: str) -> str:
        """The link to a paper's entry on topic ``slug``, from the page ``here``."""
        page = self.where[slug][paper_id]
        return f"#{paper_id}" if page == here else f"{relative(page, here)}#{paper_id}"
