"""The weekly discovery queue: new arXiv papers for each topic, for a curator to review.

``discover`` searches arXiv, newest first, for each topic's phrases (the taxonomy's own
``phrases:``), drops papers already in the catalogue, already queued or already rejected,
and adds at most ``limit`` candidates to ``candidates.yaml``. Nothing there is published:
``accept`` moves a candidate into papers.yaml (as ``add`` would add it), ``reject`` keeps it
out of every later queue. A taxonomy without phrases, or a limit of 0, makes no request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import yaml
from pydantic import ValidationError

from .add import new_paper
from .errors import AtlasError, quote
from .files import check_regular, locked, read_regular, write_if_changed
from .model import Candidate, CandidateQueue, Catalogue, Rejected, Topic
from .store import load, save
from .enrich.sources.arxiv import API_URL, ArxivEntry, parse_atom
from .enrich.sources.http import PoliteClient
from .ingest.taxonomy import parse_phrase
from .text import lookalike_key

#: The queue is read whole; a file larger than this is refused.
MAX_BYTES = 5_000_000
#: Phrases of one topic that go into its one search (arXiv's query length is limited).
PHRASES_PER_SEARCH = 6
HEADER = """\
# Papers the weekly discovery found on arXiv, waiting for a curator. Nothing here is published.
#   python -m generator accept ARXIV_ID ...            moves candidates into papers.yaml
#   python -m generator reject ARXIV_ID ... [--reason]  keeps them out of every later queue
"""


@dataclass
class DiscoveryReport:
    added: list[Candidate] = field(default_factory=list)
    searches: int = 0
    written: bool = False


def search_query(topic: Topic) -> str | None:
    """The arXiv ``search_query`` for a topic's phrases, or None when it has none."""
    terms = []
    for raw in topic.phrases[:PHRASES_PER_SEARCH]:
        phrase = parse_phrase(raw)
        text = " ".join(phrase.text.replace('"', " ").split())
        terms.append(f'{"ti" if phrase.title_only else "all"}:"{text}"')
    return " OR ".join(terms) or None


def read_queue(path: Path) -> CandidateQueue:
    """candidates.yaml, validated (an absent file is an empty queue)."""
    # A regular file only: a link (even a dangling one), a pipe or a device is refused.
    if check_regular(path, path.parent) is None:
        return CandidateQueue()
    text = read_regular(path, path.parent, limit=MAX_BYTES, name="queue")
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
        data = yaml.safe_load(text) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise AtlasError(f"YAML syntax: {exc.problem or exc.context}", str(path), mark.line + 1 if mark else None) from None
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        raise AtlasError(f"not a readable YAML file ({type(exc).__name__})", str(path)) from None
    try:
        return CandidateQueue.model_validate(data or {})
    except ValidationError as exc:
        problem = exc.errors()[0]
        loc = problem["loc"]
        raise AtlasError(f"{'.'.join(map(str, loc))}: {problem['msg']}", str(path), _line(node, loc)) from None


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    """The line of the YAML node at a pydantic error location (the nearest one found)."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def write_queue(queue: CandidateQueue, path: Path) -> bool:
    """Write candidates.yaml deterministically and atomically; False when nothing changed."""
    data = queue.model_dump(exclude_none=True, exclude_defaults=False)
    text = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return write_if_changed(path, text.encode("utf-8"))


def _candidate(entry: ArxivEntry, today: dt.date, found_by: str) -> Candidate | None:
    if not entry.summary:
        return None
    try:
        return Candidate(
            arxiv_id=entry.arxiv_id,
            title=entry.title,
            authors=list(entry.authors),
            date=entry.published,
            arxiv_category=entry.primary_category,
            venue=entry.journal_ref if entry.journal_ref and len(entry.journal_ref) <= 300 else None,
            abstract=entry.summary,
            found=today.isoformat(),
            found_by=found_by[:300],
        )
    except ValidationError:
        return None  # an entry the schema refuses is no candidate


def discover(
    catalogue: Catalogue, queue: CandidateQueue, client: PoliteClient, *, limit: int, per_topic: int, today: dt.date
) -> tuple[CandidateQueue, DiscoveryReport]:
    """``queue`` with at most ``limit`` new candidates from arXiv (the inputs are unchanged)."""
    report = DiscoveryReport()
    known_ids = {p.arxiv_id for p in catalogue.papers if p.arxiv_id}
    known_ids |= {c.arxiv_id for c in queue.candidates} | {r.arxiv_id for r in queue.rejected}
    known_titles = {lookalike_key(p.title) for p in catalogue.papers}
    known_titles |= {lookalike_key(c.title) for c in [*queue.candidates, *queue.rejected]}
    added: list[Candidate] = []
    for topic in catalogue.topics:
        query = search_query(topic)
        if query is None or len(added) >= limit:
            continue
        params = {"search_query": query, "sortBy": "submittedDate", "sortOrder": "descending", "max_results": str(per_topic)}
        answer = client.get(API_URL, params)
        report.searches += 1
        entries = parse_atom(answer.text) if answer.status == 200 else []
        for entry in entries:
            title_key = lookalike_key(entry.title)
            if entry.arxiv_id in known_ids or title_key in known_titles or len(added) >= limit:
                continue
            candidate = _candidate(entry, today, topic.slug)
            if candidate is None:
                continue
            known_ids.add(entry.arxiv_id)
            known_titles.add(title_key)
            added.append(candidate)
    report.added = added
    ordered = sorted([*queue.candidates, *added], key=lambda c: (c.found, c.arxiv_id))
    return queue.model_copy(update={"candidates": ordered}), report


def _take(queue: CandidateQueue, arxiv_ids: Sequence[str], path: Path) -> list[Candidate]:
    by_id = {c.arxiv_id: c for c in queue.candidates}
    unknown = [a for a in arxiv_ids if a not in by_id]
    if unknown:
        raise AtlasError(f"no candidate {quote(unknown[0], 40)} in the queue", str(path))
    return [by_id[a] for a in dict.fromkeys(arxiv_ids)]


def accept(catalogue_path: Path, queue_path: Path, arxiv_ids: Sequence[str]) -> list[str]:
    """Move candidates into papers.yaml; the ids of the papers they became, in order."""
    with locked(catalogue_path):
        queue = read_queue(queue_path)
        chosen = _take(queue, arxiv_ids, queue_path)
        catalogue = load(catalogue_path)
        # Retired ids and keys are never handed out again.
        ids = {p.id for p in catalogue.papers} | {r.id for r in catalogue.retired}
        keys = {p.bibtex_key for p in catalogue.papers} | {r.bibtex_key for r in catalogue.retired}
        present = {p.arxiv_id: p.id for p in catalogue.papers if p.arxiv_id}
        papers, became = list(catalogue.papers), []
        for candidate in chosen:
            if candidate.arxiv_id in present:  # accepted before, and the queue not yet rewritten
                became.append(present[candidate.arxiv_id])
                continue
            entry = ArxivEntry(
                arxiv_id=candidate.arxiv_id,
                title=candidate.title,
                authors=tuple(candidate.authors),
                published=candidate.date,
                primary_category=candidate.arxiv_category,
                journal_ref=candidate.venue,
                summary=candidate.abstract,
            )
            paper = new_paper(entry, catalogue, ids, keys)
            ids.add(paper.id)
            keys.add(paper.bibtex_key)
            papers.append(paper)
            became.append(paper.id)
        save(catalogue.model_copy(update={"papers": sorted(papers, key=lambda p: p.id)}), catalogue_path)
        taken = {c.arxiv_id for c in chosen}
        write_queue(queue.model_copy(update={"candidates": [c for c in queue.candidates if c.arxiv_id not in taken]}), queue_path)
    return became


def reject(queue_path: Path, arxiv_ids: Sequence[str], reason: str | None = None) -> None:
    """Move candidates to the rejected list, so no later discovery proposes them again."""
    queue = read_queue(queue_path)
    chosen = _take(queue, arxiv_ids, queue_path)
    taken = {c.arxiv_id for c in chosen}
    rejected = [*queue.rejected, *(Rejected(arxiv_id=c.arxiv_id, title=c.title, reason=reason) for c in chosen)]
    write_queue(
        CandidateQueue(
            candidates=[c for c in queue.candidates if c.arxiv_id not in taken],
            rejected=sorted(rejected, key=lambda r: r.arxiv_id),
        ),
        queue_path,
    )
