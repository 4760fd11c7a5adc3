"""RIS and CSL-JSON: the survey's references for Zotero, Mendeley, EndNote and CSL processors.

The same facts as the BibTeX (:mod:`generator.render.bibtex`), from the same venue table
and name rules, as plain text (what the BibTeX prints as a formula is written in
characters, ``M^{3}`` as ``M³``; everything else as written):

* the kind of work from the venue: a conference or workshop paper (RIS ``CPAPER``, CSL
  ``paper-conference``) in its proceedings, a journal article (``JOUR``,
  ``article-journal``) with volume, issue and pages, else a preprint with its arXiv id
  (``UNPD``, ``article`` published by arXiv) or a generic work (``GEN``, ``document``)
  with the venue as written;
* authors as family and given names, a group author as one literal name;
* the year of the venue, else the paper's date (with its month and day when the year is
  the date's); the key of the BibTeX entry as the record's id, the arXiv page as its URL.

:func:`citation_files` gives the files a build writes: ``bib/references.ris`` and
``bib/references.json`` for the whole survey, ``bib/<topic>.ris`` and ``bib/<topic>.json``
per topic. Output is deterministic: records in catalogue order, fields in a fixed order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from ..model import BibtexLexicon, Catalogue, Paper
from .bibtex import Lexicon, best_url, entry_year, lexicon_of, short_label
from .latex import clean, plain_text
from .venues import Publication, publication

#: RIS and CSL types by the kind of venue (None: not in the venue table).
_RIS_TYPES = {"conference": "CPAPER", "workshop": "CPAPER", "journal": "JOUR"}
_CSL_TYPES = {"conference": "paper-conference", "workshop": "paper-conference", "journal": "article-journal"}


def _text(value: str) -> str:
    """One line of plain text: whitespace and control characters cleaned, formulas in characters."""
    return plain_text(value)


@lru_cache(maxsize=1 << 16)  # people write many papers: each name is worked out once
def _name(author: str, words: Lexicon) -> tuple[str, str, str, bool]:
    name = words.name(author)
    return clean(name.family), clean(name.given), clean(name.suffix), name.group or not name.parsed


def _names(paper: Paper, lexicon: BibtexLexicon | None) -> list[tuple[str, str, str, bool]]:
    """(family, given, suffix, whole) of every author: ``whole`` for a group, or a name kept as written."""
    words = lexicon_of(lexicon)
    return [name for name in (_name(author, words) for author in paper.authors) if name[0]]


def _date_parts(paper: Paper, year: str | None) -> list[int]:
    if not year:
        return []
    if paper.date and paper.date[:4] == year:
        return [int(part) for part in paper.date.split("-")]
    return [int(year)]


# --- RIS -----------------------------------------------------------------------------------------


def ris_record(paper: Paper, lexicon: BibtexLexicon | None = None) -> str:
    """One paper as an RIS record, ending in ``ER  -`` and a newline."""
    published = publication(paper.venue)
    year = entry_year(paper, published)
    kind = _RIS_TYPES.get(published.kind) if published else None
    lines = [("TY", kind or ("UNPD" if paper.arxiv_id else "GEN")), ("TI", _text(paper.title))]
    for family, given, suffix, group in _names(paper, lexicon):
        lines.append(("AU", family if group or not given else ", ".join(p for p in (family, given, suffix) if p)))
    if paper.authors_count and paper.authors_count > len(paper.authors) and paper.authors:
        lines.append(("N1", f"{paper.authors_count} authors in all"))
    parts = _date_parts(paper, year)
    if parts:
        lines.append(("PY", str(parts[0])))
        lines.append(("DA", "/".join(f"{p:02d}" if i else str(p) for i, p in enumerate(parts)) + "/" * (4 - len(parts))))
    lines += _ris_venue(paper, published)
    if published and published.note:
        lines.append(("N1", _text(published.note)))
    if paper.arxiv_id:
        lines.append(("AN", f"arXiv:{paper.arxiv_id}"))
        lines.append(("L1", f"https://arxiv.org/pdf/{paper.arxiv_id}"))
    url = best_url(paper)
    if url:
        lines.append(("UR", url))
    lines.append(("ID", paper.bibtex_key))
    return "".join(f"{tag}  - {value}\n" for tag, value in lines if value) + "ER  - \n"


def _ris_venue(paper: Paper, published: Publication | None) -> list[tuple[str, str]]:
    if published is None:
        return [("PB", "arXiv")] if paper.arxiv_id and not paper.venue else [("T2", _text(paper.venue or ""))]
    if published.kind == "journal":
        pages = (published.pages or "").split("--")
        return [("JO", published.container), ("VL", published.volume or ""), ("IS", published.number or ""),
                ("SP", pages[0]), ("EP", pages[1] if len(pages) > 1 else "")]
    return [("T2", published.container)]


def ris(papers: Iterable[Paper], lexicon: BibtexLexicon | None = None) -> str:
    """An RIS file of ``papers``: their records, one blank line apart."""
    return "\n".join(ris_record(paper, lexicon) for paper in papers)


# --- CSL-JSON ------------------------------------------------------------------------------------


def csl_item(paper: Paper, lexicon: BibtexLexicon | None = None) -> dict[str, Any]:
    """One paper as a CSL-JSON item (CSL 1.0.2), its keys in a fixed order."""
    published = publication(paper.venue)
    year = entry_year(paper, published)
    kind = _CSL_TYPES.get(published.kind) if published else None
    item: dict[str, Any] = {
        "id": paper.bibtex_key,  # the BibTeX key: the same citation key in every format
        "type": kind or ("article" if paper.arxiv_id else "document"),
        "title": _text(paper.title),
    }
    authors = []
    for family, given, suffix, group in _names(paper, lexicon):
        if group or not given:
            authors.append({"literal": family})
        else:
            authors.append({"family": family, "given": given} | ({"suffix": suffix} if suffix else {}))
    if authors:
        item["author"] = authors
    else:  # what styles cite a work without authors by, instead of its whole title
        item["title-short"] = _text(short_label(paper))
    parts = _date_parts(paper, year)
    if parts:
        item["issued"] = {"date-parts": [parts]}
    if published is None:
        if paper.venue:
            item["container-title"] = _text(paper.venue)
        elif paper.arxiv_id:
            item["publisher"] = "arXiv"
    else:
        item["container-title"] = published.container
        numbers = (("volume", published.volume), ("issue", published.number), ("page", (published.pages or "").replace("--", "-")))
        item.update({name: value for name, value in numbers if value})
        if published.note:
            item["note"] = _text(published.note)
    if paper.arxiv_id:
        item["number"] = f"arXiv:{paper.arxiv_id}"
    url = best_url(paper)
    if url:
        item["URL"] = url
    return item


#: One item a line: diffs show the papers that changed, and the C encoder writes it.
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def _item_text(item: dict[str, Any]) -> str:
    """An item as it sits in a CSL-JSON array: on one line."""
    return _JSON.encode(item)


def _array(items: Iterable[str]) -> str:
    body = ",\n".join(items)
    return "[\n" + body + "\n]\n" if body else "[]\n"


def csl_json(papers: Iterable[Paper], lexicon: BibtexLexicon | None = None) -> str:
    """A CSL-JSON file of ``papers``: an array of their items."""
    return _array(_item_text(csl_item(paper, lexicon)) for paper in papers)


# --- one paper, a topic, the survey ------------------------------------------------------------------


def paper_citations(catalogue: Catalogue, paper: Paper) -> tuple[str, str]:
    """A paper's RIS file and CSL-JSON file (for its page's downloads)."""
    return ris([paper], catalogue.bibtex), csl_json([paper], catalogue.bibtex)


def topic_citations(catalogue: Catalogue, slug: str) -> tuple[str, str]:
    """The RIS file and CSL-JSON file of a topic's papers (``Catalogue.papers_in``)."""
    papers = catalogue.papers_in(slug)
    return ris(papers, catalogue.bibtex), csl_json(papers, catalogue.bibtex)


def survey_citations(catalogue: Catalogue) -> tuple[str, str]:
    """The RIS file and CSL-JSON file of the whole survey."""
    return ris(catalogue.papers, catalogue.bibtex), csl_json(catalogue.papers, catalogue.bibtex)


def citation_files(catalogue: Catalogue) -> Iterator[tuple[str, str]]:
    """Every citation file of a build, as (docs-relative path, text): ``bib/references.ris``,
    ``bib/references.json``, then ``bib/<topic>.ris`` and ``bib/<topic>.json`` per topic.
    Each paper's record is made once, whatever the number of files it is in."""
    records = {p.id: ris_record(p, catalogue.bibtex) for p in catalogue.papers}
    items = {p.id: _item_text(csl_item(p, catalogue.bibtex)) for p in catalogue.papers}
    yield "bib/references.ris", "\n".join(records[p.id] for p in catalogue.papers)
    yield "bib/references.json", _array(items[p.id] for p in catalogue.papers)
    members: dict[str, list[str]] = {t.slug: [] for t in catalogue.topics}
    for paper in catalogue.papers:
        for slug in paper.topics:
            if slug in members:
                members[slug].append(paper.id)
    for topic in catalogue.topics:
        yield f"bib/{topic.slug}.ris", "\n".join(records[i] for i in members[topic.slug])
        yield f"bib/{topic.slug}.json", _array(items[i] for i in members[topic.slug])
