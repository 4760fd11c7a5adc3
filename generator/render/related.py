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
#: Words in more than this share of the papers are left out: they say little about which
#: papers are alike, and comparing through them costs the most.
MAX_SHARE = 0.15
#: Above this many papers, related papers are not computed (minutes, for a size the survey
#: is far from; see bench/README.md).
MOST_PAPERS = 20_000
#: Cells of the similarity matrix held at once (rows x papers, 4 bytes each): about 80 MB.
CELLS = 20_000_000


def related(catalogue: Catalogue, shown: int = SHOWN) -> Mapping[str, list[str]]:
    """paper id -> the ids of its ``shown`` nearest papers, most related first.

    Every pair is compared, so the time grows with the square of the catalogue (about 5 s
    at 10,000 papers on two cores); above :data:`MOST_PAPERS` no paper lists related ones.
    """
    papers = catalogue.papers
    if len(papers) < 2 or len(papers) > MOST_PAPERS:
        return {p.id: [] for p in papers}
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{p.title} {p.title} {p.abstract}" for p in papers]
    vectors = TfidfVectorizer(stop_words="english", sublinear_tf=True, max_df=MAX_SHARE, dtype=np.float32).fit_transform(texts)
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
    block = max(16, CELLS // len(papers))
    for start in range(0, len(papers), block):
        stop = min(start + block, len(papers))
        score = (vectors[start:stop] @ vectors.T).toarray()
        score += TOPIC_WEIGHT * (topics[start:stop] @ topics.T) + TAG_WEIGHT * (labels[start:stop] @ labels.T)
        score = np.round(score, 5)  # the same order on every machine, whatever the BLAS
        rows = np.arange(stop - start)
        score[rows, rows + start] = -np.inf  # not itself
        k = min(shown, len(papers) - 1)
        best = np.argpartition(-score, k - 1, axis=1)[:, :k]
        values = np.take_along_axis(score, best, axis=1)
        order = np.lexsort((rank_of[best], -values), axis=1)  # highest score, then the smaller id
        best, values = np.take_along_axis(best, order, axis=1), np.take_along_axis(values, order, axis=1)
        for offset in rows:
            result[papers[start + offset].id] = [papers[i].id for i, v in zip(best[offset], values[offset]) if v > 0]
    return result
