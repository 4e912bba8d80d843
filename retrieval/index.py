"""BM25 (Okapi) over pre-tokenized documents: impact-scored postings, 8 bytes each.

Blind to tokenization, like rank_bm25: it takes lists of tokens.  The weights are
rank_bm25's BM25Okapi (same idf with the epsilon floor, same k1/b), computed once at
build time in float64 and stored per posting as float32 beside an int32 document id:
a query touches only the postings of its own terms, never an array as long as the
corpus.  Stored weights differ from rank_bm25's by float32 rounding (relative 6e-8),
so scores agree to a relative 1e-6 — far below any gap between two different passages.

Top-k (:meth:`BM25Index.search`) is MaxScore: the terms that can add the most are
scored first; once the k-th best score found beats what the remaining (common) terms
could add together, passages holding only those terms are skipped.

The build goes through the documents in chunks and fills the final arrays by a counting
sort, so it never holds more than the postings of one chunk besides the final arrays.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from retrieval.sparse import Scratch, SparseScores, add_up, best_of

CHUNK = 2048  # documents per build step (a local document id fits uint16)
Query = Sequence[str] | Mapping[str, float]
ARRAYS = ("postings_doc", "postings_weight", "indptr", "idf", "term_max", "doc_len")


class BM25Index:
    def __init__(self, corpus: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25):
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self._local = threading.local()
        self._build(corpus)

    # -- building -------------------------------------------------------------------------
    def _build(self, corpus: Sequence[Sequence[str]]) -> None:
        n = len(corpus)
        vocab: dict[str, int] = {}
        lengths = np.zeros(n, dtype=np.int32)
        # per chunk, until the final arrays are filled: its terms (each once, in order) with their
        # number of documents, then per posting the document within the chunk and the term count
        # (uint8; the rare larger counts kept aside) — about 3.5 bytes a posting
        chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, int]]] = []
        for start in range(0, n, CHUNK):
            docs = corpus[start:start + CHUNK]
            lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
            lengths[start:start + len(docs)] = lens
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for doc in docs for t in doc), np.int64, int(lens.sum()))
            owners = np.repeat(np.arange(len(docs), dtype=np.int64), lens)
            keys, tf = np.unique(ids * CHUNK + owners, return_counts=True)  # by term, then by document
            del ids, owners
            terms = keys // CHUNK
            run_terms, run_lengths = np.unique(terms, return_counts=True)
            large = {int(j): int(tf[j]) for j in np.flatnonzero(tf > 255)}
            chunks.append((run_terms.astype(np.int32), run_lengths.astype(np.uint16),
                           (keys % CHUNK).astype(np.uint16), np.minimum(tf, 255).astype(np.uint8), large))
        counts = np.zeros(len(vocab), dtype=np.int64)
        for run_terms, run_lengths, _, _, _ in chunks:
            counts[run_terms] += run_lengths  # a chunk names each term once
        self.vocab = vocab
        self.terms = list(vocab)
        self.n_docs = n
        self.doc_len = lengths
        self.avgdl = float(lengths.mean()) if n else 0.0
        self.idf = self._idf(counts.astype(np.float64))
        self.indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        total = int(self.indptr[-1])
        self.postings_doc = np.empty(total, dtype=np.int32)
        self.postings_weight = np.empty(total, dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * lengths / self.avgdl) if self.avgdl > 0 else np.full(n, self.k1 * (1 - self.b))
        fill = self.indptr[:-1].copy()
        for number in range(len(chunks)):
            run_terms, run_lengths, local, small_tf, large = chunks[number]
            chunks[number] = None  # type: ignore[call-overload]  # let this chunk go once it is placed
            runs = run_lengths.astype(np.int64)
            starts = np.concatenate(([0], np.cumsum(runs)[:-1]))
            where = np.repeat(fill[run_terms] - starts, runs) + np.arange(len(local))
            fill[run_terms] += runs
            terms = np.repeat(run_terms, runs)
            docs = local.astype(np.int32) + number * CHUNK
            tf = small_tf.astype(np.float64)
            if large:
                tf[list(large)] = list(large.values())
            self.postings_doc[where] = docs
            self.postings_weight[where] = self.idf[terms] * tf * (self.k1 + 1) / (tf + norm[docs])
        self.term_max = np.zeros(len(vocab), dtype=np.float32)
        if total:
            nonempty = counts > 0
            self.term_max[nonempty] = np.maximum.reduceat(self.postings_weight, self.indptr[:-1][nonempty])

    def _idf(self, df: np.ndarray) -> np.ndarray:
        """rank_bm25.BM25Okapi's idf: log((N - n + .5) / (n + .5)), negatives floored at eps × mean idf."""
        if not len(df):
            return df
        idf = np.log(self.n_docs - df + 0.5) - np.log(df + 0.5)
        average = float(idf.sum()) / len(idf)
        idf[idf < 0] = self.epsilon * average
        return idf

    # -- saving and loading (retrieval/persist.py) ------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """What :meth:`from_arrays` needs besides the terms and parameters."""
        return {name: getattr(self, name) for name in ARRAYS}

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, np.ndarray], terms: list[str], k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25
    ) -> BM25Index:
        """An index over saved (possibly memory-mapped) arrays; raises ValueError if they don't fit together."""
        index = cls.__new__(cls)
        index.k1, index.b, index.epsilon = k1, b, epsilon
        index._local = threading.local()
        for name in ARRAYS:
            setattr(index, name, arrays[name])
        index.terms = terms
        index.vocab = dict(zip(terms, range(len(terms))))
        index.n_docs = len(index.doc_len)
        index.avgdl = float(index.doc_len.mean()) if index.n_docs else 0.0
        total = len(index.postings_doc)
        if not (
            len(index.vocab) == len(terms) == len(index.idf) == len(index.term_max) == len(index.indptr) - 1
            and len(index.postings_weight) == total and (total == 0 or int(index.indptr[-1]) == total)
        ):
            raise ValueError("saved index arrays do not fit together")
        return index

    # -- the vocabulary ---------------------------------------------------------------------
    @property
    def doc_freq(self) -> np.ndarray:
        return np.diff(self.indptr)

    @property
    def nonnegative(self) -> bool:
        """Is every weight ≥ 0 (no idf floored below 0)? MaxScore relies on it."""
        known = getattr(self, "_nonnegative", None)
        if known is None:
            known = self._nonnegative = bool(not len(self.idf) or self.idf.min() >= 0)
        return known

    @property
    def positive(self) -> bool:
        """Is every stored weight > 0? MaxScore relies on it (and on it to tell a reached document)."""
        known = getattr(self, "_positive", None)
        if known is None:
            known = self._positive = bool(not len(self.postings_weight) or self.postings_weight.min() > 0)
        return known

    @property
    def max_idf(self) -> float:
        """The weight of the rarest term (1.0 for an empty index); computed once."""
        known = getattr(self, "_max_idf", None)
        if known is None:
            known = self._max_idf = float(self.idf.max()) if len(self.idf) else 1.0
        return known

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the vocabulary dict aside)."""
        return sum(int(a.nbytes) for a in self.arrays().values())

    def term_id(self, term: str) -> int | None:
        return self.vocab.get(term)

    def knows(self, term: str) -> bool:
        return term in self.vocab

    def df_of(self, term: str) -> int:
        """How many documents use ``term``."""
        term_id = self.vocab.get(term)
        return int(self.indptr[term_id + 1] - self.indptr[term_id]) if term_id is not None else 0

    def idf_of(self, term: str) -> float:
        term_id = self.vocab.get(term)
        return float(self.idf[term_id]) if term_id is not None else 0.0

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(documents in increasing order, their BM25 weight for ``term``); empty for an unknown term."""
        term_id = self.vocab.get(term)
        if term_id is None:
            return self.postings_doc[:0], self.postings_weight[:0]
        start, end = self.indptr[term_id], self.indptr[term_id + 1]
        return self.postings_doc[start:end], self.postings_weight[start:end]

    def terms_of(self, doc: int) -> list[str]:
        """The distinct terms of document ``doc`` (a scan of the postings: for tests and tools, not queries)."""
        where = np.flatnonzero(self.postings_doc == doc)
        return [self.terms[t] for t in np.searchsorted(self.indptr, where, side="right") - 1]

    # -- scoring ----------------------------------------------------------------------------
    def _weighted(self, query: Query) -> list[tuple[int, float]]:
        weighted = query if isinstance(query, Mapping) else Counter(query)
        out = []
        for term, weight in weighted.items():
            term_id = self.vocab.get(term)
            if term_id is not None and weight != 0:
                out.append((term_id, float(weight)))
        return out

    def _slice(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[term_id], self.indptr[term_id + 1]
        return self.postings_doc[start:end], self.postings_weight[start:end]

    def scratch(self) -> Scratch:
        """This thread's accumulator and seen-marks, as long as the corpus, allocated once and kept
        all-zero between queries (only the touched entries are reset)."""
        scratch = getattr(self._local, "arrays", None)
        if scratch is None:
            scratch = self._local.arrays = (np.zeros(self.n_docs), np.zeros(self.n_docs, dtype=bool))
        return scratch

    def _accumulate(self, terms: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(documents holding any of ``terms``, their summed weights)."""
        parts = []
        for term_id, weight in terms:
            docs, weights = self._slice(term_id)
            parts.append((docs, weight * weights.astype(np.float64)))
        return add_up(parts, self.scratch())

    def sparse(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """(documents holding a query term, their BM25 scores); a mapping weights each term (default: its count)."""
        return self._accumulate(self._weighted(query))

    def scores(self, query: Query) -> np.ndarray:
        """BM25 score of every document (0 where no query term occurs)."""
        ids, values = self.sparse(query)
        out = np.zeros(self.n_docs, dtype=np.float64)
        out[ids] = values
        return out

    def search(self, query: Query, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The k best (documents, scores), best first (ties: lower document first); only documents
        with a positive score."""
        terms = self._weighted(query)
        if k <= 0 or not terms:
            return np.zeros(0, dtype=np.int32), np.zeros(0)
        if min(w for _, w in terms) > 0 and self.positive:
            return self._maxscore(terms, k)
        ids, values = self._accumulate(terms)
        return best_of(ids, values, k)

    def _maxscore(self, terms: list[tuple[int, float]], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k scoring only the documents that can make it (every contribution must be ≥ 0).

        Terms by their highest possible contribution, largest first, are added one by one; the
        first m are "essential".  Their documents' partial scores give θ, the k-th best partial
        score: no document scores less than its partial score, so the true k-th best is ≥ θ.
        Once the other terms together can add less than θ, a document without an essential
        term can't make the top k, nor one whose partial score plus that bound stays under θ:
        only the rest are looked up in the other terms' postings (which are in document order).
        If no m < len(terms) allows that, all terms have been added: the exact top k of all."""
        bounds = [float(self.term_max[t]) * w for t, w in terms]
        order = sorted(range(len(terms)), key=lambda j: -bounds[j])
        terms = [terms[j] for j in order]
        bounds = [bounds[j] for j in order]
        acc, _ = self.scratch()
        touched: list[np.ndarray] = []
        try:
            for m in range(1, len(terms) + 1):
                term_id, weight = terms[m - 1]
                docs, weights = self._slice(term_id)
                before = acc[docs]
                fresh = docs[before == 0]  # every weight is > 0: a document not reached yet still sums to 0
                touched.append(fresh)
                acc[docs] = before + weights * np.float64(weight)  # float64 like the other paths
                rest_bound = sum(bounds[m:])
                if m < len(terms) and sum(bounds[:m]) <= rest_bound:
                    continue  # no partial score can beat what the other terms may add
                ids = np.concatenate(touched) if len(touched) > 1 else fresh
                partial = acc[ids]
                if m == len(terms):
                    return best_of(ids, partial, k)
                if len(ids) < k:
                    continue  # no k-th score to beat yet
                theta = partial[np.argpartition(-partial, k - 1)[k - 1]]
                if rest_bound < theta:
                    return best_of(*self._probe(ids, partial, terms[m:], bounds[m:], theta, k), k)
            raise AssertionError("unreachable: the last term returns")
        finally:
            for part in touched:
                acc[part] = 0.0

    def _probe(self, ids: np.ndarray, values: np.ndarray, terms: list[tuple[int, float]], bounds: list[float],
               theta: float, k: int) -> tuple[np.ndarray, np.ndarray]:
        """MaxScore's second half: the candidates' scores (``values``, partial) completed with the
        other ``terms``, looked up in their postings; after each term, the candidates that can no
        longer reach θ (the k-th best partial score, raised as partial scores grow) are dropped, so
        the longest postings are searched for the fewest documents."""
        for j, (term_id, weight) in enumerate(terms):
            slack = sum(bounds[j:])
            live = values + slack * (1 + 1e-9) >= theta  # (a hair of float rounding kept on the safe side)
            ids, values = ids[live], values[live]
            if j == 0:  # increasing ids: each search starts where the last one ended
                order = np.argsort(ids, kind="stable")
                ids, values = ids[order], values[order]
            docs, weights = self._slice(term_id)
            if len(docs) and len(ids):
                at = np.minimum(np.searchsorted(docs, ids), len(docs) - 1)
                hit = docs[at] == ids
                values[hit] += weight * weights[at[hit]].astype(np.float64)
                if len(values) > k:
                    theta = max(theta, values[np.argpartition(-values, k - 1)[k - 1]])
        return ids, values

    def top(self, scores: np.ndarray | SparseScores, k: int) -> list[int]:
        """Indices of the k best of a score per document, best first (ties: lower index first)."""
        if isinstance(scores, SparseScores):
            return scores.top(k)
        ids, _ = best_of(np.arange(len(scores)), np.asarray(scores), k, positive=False)
        return ids.tolist()

