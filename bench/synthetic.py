"""The benchmark's inputs: synthetic catalogues and listings made from the real papers,
and the same papers as a "plain" reference site (see run.py for the whole benchmark)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from slugify import slugify

from generator.enrich.enrich import enrich_catalogue
from generator.enrich.sources.metadata_file import MetadataFile
from generator.errors import AtlasError
from generator.ingest.keys import KeyAllocator
from generator.model import Catalogue, Paper
from generator.store import load
from generator.text import fingerprint

#: Papers per synthetic listing file (a real search page has tens; the parser's limit is 20 MB).
LISTING_PAPERS = 500
#: Share of papers listed a second time in another listing (the importer merges them).
RELISTED = 0.03

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LISTING_HEADER = (
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\n"
    "byAK and the research community\n\n{captured}\n\n"
)


# --- the real papers -----------------------------------------------------------------------


def real_catalogue(catalogue_path: Path | str) -> Catalogue:
    """The valid catalogue at ``catalogue_path``, its empty authors, arXiv ids, dates and
    venues filled from ``data/papers-metadata.jsonl`` beside it when that file exists (as
    ``python -m generator enrich`` would), so the synthetic papers have every kind of text."""
    catalogue_path = Path(catalogue_path)
    catalogue = load(catalogue_path)
    if not catalogue.papers:
        raise AtlasError("the benchmark needs real papers to copy from; the catalogue has none", str(catalogue_path))
    metadata = catalogue_path.resolve().parent / "data" / "papers-metadata.jsonl"
    if metadata.is_file():
            catalogue = enrich_catalogue(catalogue, [MetadataFile(metadata)]).catalogue
    return catalogue


# --- synthetic catalogues and listings -----------------------------------------------------


@dataclass
class Synthetic:
    """A synthetic catalogue and the listings that show the same papers."""

    catalogue: Catalogue
    #: listing file name -> text in the Hugging Face dump format
    listings: dict[str, str]

    @property
    def listed_entries(self) -> int:
        """How many entries the listings hold (papers listed twice count twice)."""
        return sum(len(p.sources) for p in self.catalogue.papers)


def _recombined_title(rng: random.Random, first: str, second: str) -> str:
    """The start of one real title and the end of another."""
    head, tail = first.split(), second.split()
    cut_head = rng.randint(1, max(1, len(head) - 1))
    cut_tail = rng.randint(1, len(tail) - 1) if len(tail) > 1 else 0
    return " ".join(head[:cut_head] + tail[cut_tail:])


def _date(rng: random.Random, years: Sequence[int], month_only: bool) -> str:
    year, month = rng.choice(years), rng.randint(1, 12)
    return f"{year}-{month:02d}" if month_only else f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def synthesize(
    real: Catalogue, size: int, seed: int = 0, listing_papers: int = LISTING_PAPERS, relisted: float = RELISTED
) -> Synthetic:
    """``size`` synthetic papers made from ``real`` (see the module docstring), and their listings:
    ``listing_papers`` per listing, plus a share ``relisted`` of papers shown in a second one.

    Deterministic: the same arguments give equal catalogues and identical listing texts.
    Ids, BibTeX keys and normalised titles are unique; the catalogue passes validation.
    """
    if size < 1:
        raise AtlasError(f"a synthetic catalogue needs at least one paper, not {size}")
    rng = random.Random(f"action-atlas-bench/{seed}/{size}")
    papers_in = sorted(real.papers, key=lambda p: p.id)
    dated = [p for p in papers_in if p.date]
    years = sorted(int(p.date[:4]) for p in dated) or [2024]  # type: ignore[index]
    undated_share = 1 - len(dated) / len(papers_in)
    month_share = sum(1 for p in dated if len(p.date or "") == 7) / max(1, len(dated))
    arxiv_share = sum(1 for p in papers_in if p.arxiv_id) / len(papers_in)
    listing_count = -(-size // listing_papers)

    keys = KeyAllocator()
    papers: list[Paper] = []
    for serial in range(1, size + 1):
        text_donor, meta_donor = rng.choice(papers_in), rng.choice(papers_in)
        recombined = _recombined_title(rng, rng.choice(papers_in).title, rng.choice(papers_in).title)
        title = f"{recombined} ({serial})"
        date = None if rng.random() < undated_share else _date(rng, years, rng.random() < month_share)
        arxiv_id = None
        if date and rng.random() < arxiv_share:
            arxiv_id = f"{date[2:4]}{date[5:7]}.{serial % 100_000:05d}"
        listing = (serial - 1) * listing_count // size
        sources = [_listing_name(listing)]
        if listing_count > 1 and rng.random() < relisted:
            again = rng.randrange(listing_count - 1)
            sources.append(_listing_name(again if again < listing else again + 1))
        values: dict[str, Any] = {
            "title": title,
            "authors": list(meta_donor.authors),
            "authors_count": meta_donor.authors_count,
            "organization": meta_donor.organization,
            "date": date,
            "venue": meta_donor.venue,
            "arxiv_id": arxiv_id,
            "upvotes": meta_donor.upvotes,
            "topics": list(text_donor.topics),
            "tags": list(text_donor.tags),
            "tldr": text_donor.tldr,
            "links": dict(text_donor.links),
            "abstract": text_donor.abstract,
        }
        values = {name: value for name, value in values.items() if value not in (None, [], {})}
        generated = {name: fingerprint(value) for name, value in values.items()}
        provenance = {
            name: meta_donor.provenance[name]
            for name in ("authors", "venue")
            if name in values and name in meta_donor.provenance
        }
        key = keys.new_key(title, values.get("authors", ()), date)
        ident = f"{slugify(recombined, max_length=70, word_boundary=True) or 'paper'}-{serial}"
        papers.append(
            Paper.model_validate(
                values
                | {
                    "id": ident,
                    "bibtex_key": key,
                    "sources": sorted(sources),
                    "provenance": provenance,
                    "generated": generated,
                }
            )
        )
    catalogue = Catalogue(topics=real.topics, bibtex=real.bibtex, papers=papers)
    return Synthetic(catalogue, synthetic_listings(papers, rng))


def _listing_name(index: int) -> str:
    return f"bench_{index:05d}.txt"


def synthetic_listings(papers: Sequence[Paper], rng: random.Random) -> dict[str, str]:
    """Listing texts showing ``papers``: each paper in every listing its ``sources`` name."""
    by_listing: dict[str, list[Paper]] = {}
    for paper in papers:
        for name in paper.sources:
            by_listing.setdefault(name, []).append(paper)
    # Every fifth listing has the compact shape: no blank lines between lines.
    return {
        name: listing_text(shown, rng, compact=index % 5 == 3)
        for index, (name, shown) in enumerate(sorted(by_listing.items()))
    }


def listing_text(papers: Iterable[Paper], rng: random.Random, compact: bool = False) -> str:
    """A Hugging Face search page as its text dump: boilerplate, capture date, then per paper
    its title, abstract and ``• N authors`` (or organisation), ``·``, ``Mon D, YYYY [upvotes]``."""
    blocks = []
    for paper in papers:
        lines = [paper.title, " ".join(paper.abstract.split())]
        authors = paper.authors_count or len(paper.authors)
        if authors:
            lines.append(f"  • {authors} author{'' if authors == 1 else 's'}")
        elif paper.organization:
            lines.append(paper.organization)
        if paper.date:
            day = int(paper.date[8:10]) if len(paper.date) == 10 else 1
            shown = f"{MONTHS[int(paper.date[5:7]) - 1]} {day}, {paper.date[:4]}"
            if paper.upvotes is not None:
                shown += f" {paper.upvotes}"
            if authors or paper.organization:
                lines.append("·")
            lines.append(shown)
        blocks.append(lines)
    captured = f"{rng.choice(MONTHS)} {rng.randint(1, 28)}"
    if compact:  # the first title glued to "Subscribe", as some captures have it
        body = "\n".join(line for block in blocks for line in block)
        return "Get trending papers in your email inbox!\nSubscribe" + body + "\n"
    entries = ("\n\n".join(block[:2]) + "\n\n" + "\n".join(block[2:]) for block in blocks)
    return LISTING_HEADER.format(captured=captured) + "\n\n".join(entries) + "\n"


# --- the reference site --------------------------------------------------------------------

REFERENCE_MKDOCS = """\
# The reference: the same papers built the plain way, by the same MkDocs and Material.
site_name: Action Atlas (reference build)
site_url: https://example.org/reference/
theme:
  name: material
  font: false
  features:
    - navigation.sections
    - content.code.copy
plugins:
  - search
markdown_extensions:
  - admonition
  - attr_list
  - pymdownx.details
  - pymdownx.highlight
  - pymdownx.superfences
  - toc:
      permalink: true
"""


def _indented(text: str) -> str:
    return "\n".join("    " + line if line else "" for line in text.splitlines())


def reference_pages(catalogue: Catalogue, bibtex: dict[str, str]) -> dict[str, str]:
    """The reference site's Markdown: a home page and one page per topic listing every paper
    of the topic, newest first, as ``### title``, a meta line, the TL;DR, a ``??? abstract``
    block and a ``??? quote`` block holding a ``bibtex`` code block."""
    index = "".join(f"- [{t.title}]({t.slug}.md)\n" for t in catalogue.topics)
    files = {"index.md": "# Action Atlas (reference build)\n\n" + index}
    members: dict[str, list[Paper]] = {t.slug: [] for t in catalogue.topics}
    for paper in catalogue.papers:
        for slug in paper.topics:
            members[slug].append(paper)
    for topic in catalogue.topics:
        out = [f"# {topic.title}\n\n{topic.description}\n\n"]
        for paper in sorted(members[topic.slug], key=lambda p: (p.date or "", p.id), reverse=True):
            meta = [paper.date or "undated", ", ".join(paper.authors) or "authors unknown"]
            if paper.venue:
                meta.append(paper.venue)
            abstract = " ".join(paper.abstract.split())
            fenced = f"```bibtex\n{bibtex[paper.id].rstrip()}\n```"
            out.append(
                f"### {paper.title}\n\n*{' · '.join(meta)}*\n\n**TL;DR** {paper.tldr}\n\n"
                f'??? abstract "Abstract"\n\n{_indented(abstract)}\n\n'
                f'??? quote "BibTeX"\n\n{_indented(fenced)}\n\n'
            )
        files[f"{topic.slug}.md"] = "".join(out)
    return files
