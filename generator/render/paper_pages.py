"""A page per paper, ``papers/<id>/``: its permalink, what search indexes, what citation
managers read.

Each is a small standalone HTML document (``templates/paper.html.j2``) that every builder
copies as it is: no theme and no builder work per paper, so the build stays fast at any
catalogue size. It carries the Highwire ``citation_*`` tags (Zotero, Google Scholar),
OpenGraph tags, the Pagefind body, filters and sort keys (one search result per paper,
the explorer's facets), the BibTeX entry with its downloads, and the related papers.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping
from urllib.parse import quote

from ..model import Catalogue
from .citations import paper_citations
from .html import render as fill
from .pages import links_of, linkified
from .plan import SiteLinks, date_text, has_code, paper_path, relative

_VENUE_NOTE = re.compile(r"\s*\(.*\)\s*$")


#: Characters a ``data:`` URL carries as they are; everything else is percent-encoded:
#: ``%`` and ``#`` (they would end or change the URL), whitespace other than the space
#: (a URL parser drops line breaks), backslashes and every non-ASCII character.
_URL_SAFE = " !$&'()*+,-./:;=?@[]_~{}|\"^`"


def data_url(text: str, media_type: str) -> str:
    """``text`` as a ``data:`` URL: a download that needs no file of its own, so a paper
    costs the builders one file (its page), not four. The template escapes it as usual."""
    return f"data:{media_type};charset=utf-8," + quote(text, safe=_URL_SAFE)


def venue_name(venue: str) -> str:
    """The venue as a facet value: without a trailing remark in parentheses."""
    return _VENUE_NOTE.sub("", venue).strip() or venue


def paper_files(
    catalogue: Catalogue,
    entries: Mapping[str, str],
    where: Mapping[str, Mapping[str, str]],
    related: Mapping[str, list[str]],
    links: SiteLinks,
) -> Iterator[tuple[str, str]]:
    """(docs-relative path, text) of every paper's page; its downloads (BibTeX, RIS,
    CSL-JSON) are ``data:`` links in the page.
    ``where``: topic slug -> paper id -> the topic page that shows it (``Plan.where``)."""
    titles = {t.slug: t.title for t in catalogue.topics}
    by_id = {p.id: p for p in catalogue.papers}
    site = links.site_url.rstrip("/") + "/" if links.site_url else None
    for paper in catalogue.papers:
        here = paper_path(paper.id)
        locations = {slug: where[slug][paper.id] + "#" + paper.id for slug in paper.topics}
        shown = [by_id[other] for other in related.get(paper.id, [])]
        ris, csl = paper_citations(catalogue, paper)
        key = paper.bibtex_key
        yield here + "index.html", fill(
            "paper.html.j2",
            p=paper,
            root=relative("", here),
            canonical=site + here if site else None,
            titles=titles,
            locations=locations,
            venue=venue_name(paper.venue) if paper.venue else "",
            code=has_code(paper),
            when=date_text(paper.date) if paper.date else "",
            abstract=linkified(paper.abstract),
            links=links_of(paper, links),
            bibtex=entries[paper.id],
            downloads=[
                ("BibTeX", f"{key}.bib", data_url(entries[paper.id].rstrip("\n") + "\n", "application/x-bibtex")),
                ("RIS", f"{key}.ris", data_url(ris, "application/x-research-info-systems")),
                ("CSL-JSON", f"{key}.json", data_url(csl, "application/vnd.citationstyles.csl+json")),
            ],
            related=[{"id": r.id, "title": r.title, "tldr": r.tldr} for r in shown],
            edit=links.catalogue_edit_url,
        )


def redirect_pages(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """A page at each retired paper's old address, ``papers/<old id>/``, that sends the
    reader to the paper standing for it (or says the paper was retired, and why)."""
    current = {p.id for p in catalogue.papers}
    for retired in sorted(catalogue.retired, key=lambda r: r.id):
        if retired.id in current:
            continue
        target = f"../{retired.replaced_by}/" if retired.replaced_by in current else None
        yield paper_path(retired.id) + "index.html", fill("retired.html.j2", retired=retired, target=target, root=relative("", paper_path(retired.id)))
