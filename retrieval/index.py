"""BM25 (Okapi) over pre-tokenized documents, served from a term-major sparse matrix.

Blind to tokenization, like rank_bm25: it takes lists of tokens.  The weights are
rank_bm25's BM25Okapi exactly (same idf with the epsilon floor, same k1/b), but
they are computed once at build time and stored per term, so a query touches only
the postings of its own terms instead of scanning every document in Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np


class BM25Index:
    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25):
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.n_docs = len(corpus)
        lengths = np.fromiter((len(doc) for doc in corpus), dtype=np.float64, count=self.n_docs)
        self.doc_len = lengths
        self.avgdl = float(lengths.mean()) if self.n_docs else 0.0
        vocab: dict[str, int] = {}
        total = int(lengths.sum())
        # every occurrence as a term id, in document order; then (term, doc) pairs counted in numpy
        occurrences = np.fromiter(
            (vocab.setdefault(term, len(vocab)) for doc in corpus for term in doc), dtype=np.int64, count=total
        )
        owners = np.repeat(np.arange(self.n_docs, dtype=np.int64), lengths.astype(np.int64))
        pairs, tf = np.unique(occurrences * max(self.n_docs, 1) + owners, return_counts=True)
        del occurrences, owners
        term_ids = pairs // max(self.n_docs, 1)  # sorted by term, then by document
        doc_ids = (pairs % max(self.n_docs, 1)).astype(np.int32)
        self.vocab = vocab
        counts = np.bincount(term_ids, minlength=len(vocab))
        df = counts.astype(np.float64)
        self.doc_freq = df
        self.idf = self._idf(df)
        tf_arr = tf.astype(np.float64)
        if self.avgdl > 0:
            norm = self.k1 * (1 - self.b + self.b * lengths / self.avgdl)
        else:
            norm = np.full(self.n_docs, self.k1 * (1 - self.b))
        self.postings_doc = doc_ids
        self.postings_weight = self.idf[term_ids] * tf_arr * (self.k1 + 1) / (tf_arr + norm[doc_ids])
        self.indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)

    def _idf(self, df: np.ndarray) -> np.ndarray:
        """rank_bm25.BM25Okapi's idf: log((N - n + .5) / (n + .5)), negatives floored at eps × mean idf."""
        if not len(df):
            return df
        idf = np.log(self.n_docs - df + 0.5) - np.log(df + 0.5)
        average = float(idf.sum()) / len(idf)
        idf[idf < 0] = self.epsilon * average
        return idf

    @property
    def max_idf(self) -> float:
        """The weight of the rarest term (1.0 for an empty index)."""
        return float(self.idf.max()) if len(self.idf) else 1.0

    def term_id(self, term: str) -> int | None:
        return self.vocab.get(term)

    def knows(self, term: str) -> bool:
        return term in self.vocab

    def df_of(self, term: str) -> int:
        """How many documents use ``term``."""
        term_id = self.vocab.get(term)
        return int(self.doc_freq[term_id]) if term_id is not None else 0

    def idf_of(self, term: str) -> float:
        term_id = self.vocab.get(term)
        return float(self.idf[term_id]) if term_id is not None else 0.0

    def scores(self, query: Sequence[str] | Mapping[str, float]) -> np.ndarray:
        """BM25 score of every document; a mapping gives each query term a weight (default: its count)."""
        weighted = query if isinstance(query, Mapping) else Counter(query)
        out = np.zeros(self.n_docs, dtype=np.float64)
        for term, weight in weighted.items():
            term_id = self.vocab.get(term)
            if term_id is None or weight == 0:
                continue
            start, end = self.indptr[term_id], self.indptr[term_id + 1]
            out[self.postings_doc[start:end]] += weight * self.postings_weight[start:end]
        return out

    def top(self, scores: np.ndarray, k: int) -> list[int]:
        """Indices of the k best scores, best first (ties: lower index first)."""
        if k <= 0 or not len(scores):
            return []
        k = min(k, len(scores))
        candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        return sorted(candidates.tolist(), key=lambda i: (-scores[i], i))


