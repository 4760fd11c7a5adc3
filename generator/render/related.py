"""Related papers: for each paper, the nearest others by TF-IDF over title and abstract,
plus shared topics and tags (scikit-learn; deterministic: no randomness, ties by id)."""

from __future__ import annotations

from typing import Mapping

from ..model import Catalogue

#: Related papers shown on a paper's page.
SHOWN = 5
#: What a shared topic and a shared tag add to the text similarity (cosine, 0 to 1).
TOPIC_WEIGHT = 0.08
TAG_WEIGHT = 0.04
#: Papers compared at once (rows of the similarity matrix held in memory).
BLOCK = 2_000


def related(catalogue: Catalogue, shown: int = SHOWN) -> Mapping[str, list[str]]:
    """paper id -> the ids of its ``shown`` nearest papers, most related first."""
    papers = catalogue.papers
    if len(papers) < 2:
        return {p.id: [] for p in papers}
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{p.title} {p.title} {p.abstract}" for p in papers]
    vectors = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float32).fit_transform(texts)
    slugs = sorted({s for p in papers for s in p.topics})
    tags = sorted({t for p in papers for t in p.tags})
    topic_index = {s: i for i, s in enumerate(slugs)}
    tag_index = {t: i for i, t in enumerate(tags)}
    topics = np.zeros((len(papers), len(slugs)), dtype=np.float32)
    labels = np.zeros((len(papers), max(1, len(tags))), dtype=np.float32)
    for row, paper in enumerate(papers):
        for slug in paper.topics:
            topics[row, topic_index[slug]] = 1
        for tag in paper.tags:
            labels[row, tag_index[tag]] = 1
    order = np.argsort(np.array([p.id for p in papers]))  # ties go to the smaller id
    rank_of = np.empty_like(order)
    rank_of[order] = np.arange(len(papers))
    result: dict[str, list[str]] = {}
    for start in range(0, len(papers), BLOCK):
        stop = min(start + BLOCK, len(papers))
        score = (vectors[start:stop] @ vectors.T).toarray()
        score += TOPIC_WEIGHT * (topics[start:stop] @ topics.T) + TAG_WEIGHT * (labels[start:stop] @ labels.T)
        score = np.round(score, 5)  # the same order on every machine, whatever the BLAS
        for offset, row in enumerate(score):
            me = start + offset
            row[me] = -np.inf
            # The shown-th best score, then every paper at least that good, in order:
            # highest score first, then the smaller id (exact, whatever the ties).
            k = min(shown, len(row) - 1)
            threshold = np.partition(row, len(row) - k)[len(row) - k]
            candidates = np.nonzero(row >= threshold)[0]
            best = candidates[np.lexsort((rank_of[candidates], -row[candidates]))][:shown]
            result[papers[me].id] = [papers[i].id for i in best if row[i] > 0]
    return result
