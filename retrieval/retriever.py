"""Retrievers: one small interface, a score for every passage.

* :class:`BM25Retriever` — lexical: BM25 over passage bodies, with section-heading and
  previous-passage context for the terms a passage lacks;
* :class:`DenseRetriever` — semantic: cosine similarity of sentence embeddings (one part
  of the embedding rows: the "rank" part orders passages, the "judge" part is read by the
  decision to answer);
* :class:`FusedRetriever` — both, each normalised to [0, 1] and added with weights.
  Normalised-score fusion keeps a question in the articles' own words at the top
  (BM25 is sure of it); reciprocal-rank fusion would let the semantic side push it down.

Each is usable alone; search asks a retriever for its ``signals`` (raw scores by name
plus the ``fused`` one) so that the decision to answer can weigh them separately.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from retrieval.sparse import SparseScores, add_up, member

if TYPE_CHECKING:
    from retrieval.library import Library
    from retrieval.query import Query

PREVIOUS_SHARE = 0.35  # share of the previous passage's score a passage inherits
HEADING_WEIGHT = 0.5  # a match in the section heading counts half as much as one in the passage

LEXICAL_LOW = 0.2  # the lexical side's share when the articles know none of the question's words
LEXICAL_HIGH = 0.7  # … when they know them all
SEMANTIC_SPREAD = 0.25  # cosine above the median that makes a passage stand out fully (hybrid: the encoder's own)


class Retriever(Protocol):
    name: str

    def scores(self, query: Query) -> np.ndarray | SparseScores:
        """A score for every passage of the library (higher is better, 0: nothing in common)."""
        ...


class BM25Retriever:
    name = "bm25"

    def __init__(self, library: Library) -> None:
        self.library = library

    def scores(self, query: Query) -> SparseScores:
        """BM25 with context: for each question term a passage lacks, the term's score in its
        section heading (weighted) and a share of it in the passage just before, same section.
        Only passages holding a question term (or next to one) are touched."""
        library = self.library
        n = len(library.passages)
        same = library.same_section
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        for term, weight in query.weights.items():
            if not library.knows(term) or not weight:
                continue
            docs, body = library.index.sparse({term: weight})  # docs in increasing order
            parts.append((docs, body))
            following = docs + 1
            inherit = following < n
            inherit[inherit] &= same[following[inherit]] > 0
            inherit[:-1] &= docs[1:] != following[:-1]  # the next passage holds the term itself (docs are distinct)
            parts.append((following[inherit], PREVIOUS_SHARE * body[inherit] * same[following[inherit]]))
            if library.heading_index is not None:
                heads, heading = library.heading_index.sparse({term: weight})
                lacking = ~member(docs, heads)
                parts.append((heads[lacking], HEADING_WEIGHT * heading[lacking]))
        ids, values = add_up(parts, library.index.scratch())
        return SparseScores(ids, values, n)


class DenseRetriever:
    """Cosine similarity between the question's embedding and every passage's (in columns ``part``)."""

    def __init__(
        self,
        vectors: np.ndarray,
        embed_query: Callable[[str], np.ndarray],
        same_section: np.ndarray | None = None,
        part: slice = slice(None),
        name: str = "dense",
        form: str = "natural",
    ) -> None:
        self.vectors = vectors[:, part] if part != slice(None) else vectors
        self.same_section = same_section
        self._embed = embed_query  # the embedder remembers recent questions (a follow-up asks twice)
        self._part = part
        self.name = name
        self.form = form  # the question's form the encoder reads best: "natural" or "content" (Query.content)

    def query_vector(self, text: str) -> np.ndarray:
        return self._embed(text)[self._part]

    def scores(self, query: Query) -> np.ndarray:
        text = (query.content if self.form == "content" else "") or query.semantic
        if not len(self.vectors) or not text:
            return np.zeros(len(self.vectors))
        own = (self.vectors @ self.query_vector(text)).astype(np.float64)
        if self.same_section is None or len(own) < 2:
            return own
        # a passage that spells out what the one before it names inherits part of that one's closeness
        lift = np.zeros_like(own)
        lift[1:] = np.clip(own[:-1] - own[1:], 0.0, None) * self.same_section[1:]
        return own + PREVIOUS_SHARE * lift


def normalised(scores: np.ndarray, floor: str = "zero", spread: float = 0.0) -> np.ndarray:
    """Scores mapped to [0, 1]: the best is 1; ``floor`` is 0 ("zero") or the median ("median",
    for similarities, where an unrelated passage still scores well above 0).  With ``spread``,
    a best score less than that far above the floor maps below 1: no passage stands out."""
    if not len(scores):
        return scores
    base = float(np.median(scores)) if floor == "median" else 0.0
    top = float(scores.max())
    if top <= base:
        return np.zeros_like(scores)
    return np.clip((scores - base) / max(top - base, spread), 0.0, None)


class FusedRetriever:
    """Lexical and semantic scores, each normalised to [0, 1], added with weights.

    The lexical side's share follows how much of the question the articles' vocabulary
    knows: a question in the articles' own words is ranked mostly by BM25, one in the
    user's own words (words the corpus never uses) mostly by meaning."""

    name = "fused"

    def __init__(
        self,
        lexical: Retriever,
        semantic: Retriever,
        share: Callable[[Query], float] | None = None,
        *,
        spread: float = SEMANTIC_SPREAD,
        judge: Retriever | None = None,
    ) -> None:
        self.lexical, self.semantic, self.judge = lexical, semantic, judge
        self.share = share or lexical_share
        self.spread = spread

    def signals(self, query: Query) -> dict[str, np.ndarray]:
        """The lexical and semantic scores, the fused ranking, and the judge's similarities (when
        a second model judges answers)."""
        lexical, semantic = np.asarray(self.lexical.scores(query)), np.asarray(self.semantic.scores(query))
        share = self.share(query)
        fused = share * normalised(lexical) + (1 - share) * normalised(semantic, "median", self.spread)
        found = {self.lexical.name: lexical, self.semantic.name: semantic, "fused": fused}
        if self.judge is not None:
            found[self.judge.name] = np.asarray(self.judge.scores(query))
        return found

    def scores(self, query: Query) -> np.ndarray:
        return self.signals(query)["fused"]


def lexical_share(query: Query) -> float:
    """LEXICAL_LOW … LEXICAL_HIGH, by the share of the question's words the articles use."""
    words = [t for t in query.tokens if len(t) > 1] or query.tokens
    if not words:
        return LEXICAL_LOW
    unknown = set(query.unknown)
    known = sum(1 for t in words if t not in unknown) / len(words)
    return LEXICAL_LOW + (LEXICAL_HIGH - LEXICAL_LOW) * known


def signals_of(retriever: Retriever, query: Query) -> dict[str, np.ndarray]:
    """Raw scores by retriever name, and the ``fused`` score the ranking uses."""
    if isinstance(retriever, FusedRetriever):
        return retriever.signals(query)
    scores = retriever.scores(query)
    return {retriever.name: scores, "fused": scores}


def hybrid(library: Library) -> Retriever:
    """BM25 alone, or BM25 fused with the dense retriever when the library has passage vectors."""
    lexical = BM25Retriever(library)
    embedder = library.embedder
    if embedder is None or library.vectors is None:
        return lexical
    rank, judge = embedder.part("rank"), embedder.part("judge")
    form = embedder.encoder.question_form
    dense = DenseRetriever(library.vectors, embedder.query, library.same_section, rank, form=form)
    judging = None if judge == rank else DenseRetriever(
        library.vectors, embedder.query, library.same_section, judge, "judge", form=form)
    return FusedRetriever(lexical, dense, spread=embedder.encoder.spread, judge=judging)
