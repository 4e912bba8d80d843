"""A BM25 index saved as ``.npy`` arrays (opened memory-mapped), with its forward index — each
passage's distinct terms — so a loaded library needs no tokenizing (``persist.py`` saves the rest)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.index import ARRAYS, BM25Index


class TermLists(Sequence[list[str]]):
    """Each passage's distinct terms, read from a saved forward index (what ``body_tokens`` is after a load)."""

    def __init__(self, terms: list[str], indptr: np.ndarray, term_ids: np.ndarray) -> None:
        self.terms, self.indptr, self.term_ids = terms, indptr, term_ids

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __getitem__(self, pid):  # type: ignore[no-untyped-def, override]
        if isinstance(pid, slice):
            return [self[i] for i in range(*pid.indices(len(self)))]
        if not -len(self) <= pid < len(self):
            raise IndexError(pid)
        pid %= len(self)
        return [self.terms[t] for t in self.term_ids[self.indptr[pid]:self.indptr[pid + 1]].tolist()]


def _forward(index: BM25Index) -> tuple[np.ndarray, np.ndarray]:
    """(indptr by document, term ids) from the term-major postings."""
    owners = np.repeat(np.arange(len(index.indptr) - 1, dtype=np.int32), np.diff(index.indptr))
    order = np.argsort(index.postings_doc, kind="stable")
    counts = np.bincount(index.postings_doc, minlength=index.n_docs)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64), owners[order]


def _write_terms(path: Path, terms: list[str]) -> None:
    path.write_bytes("\0".join(terms).encode("utf-8", "surrogatepass"))


def _read_terms(path: Path) -> list[str]:
    data = path.read_bytes().decode("utf-8", "surrogatepass")
    return data.split("\0") if data else []


def save_index(folder: Path, name: str, index: BM25Index) -> None:
    for key, array in index.arrays().items():
        np.save(folder / f"{name}.{key}.npy", np.ascontiguousarray(array))
    indptr, term_ids = _forward(index)
    np.save(folder / f"{name}.forward_indptr.npy", indptr)
    np.save(folder / f"{name}.forward_terms.npy", term_ids)
    _write_terms(folder / f"{name}.terms", index.terms)


def load_index(folder: Path, name: str, params: dict[str, float]) -> tuple[BM25Index, TermLists]:
    arrays = {key: np.load(folder / f"{name}.{key}.npy", mmap_mode="r") for key in ARRAYS}
    terms = _read_terms(folder / f"{name}.terms")
    index = BM25Index.from_arrays(arrays, terms, **params)
    indptr = np.load(folder / f"{name}.forward_indptr.npy", mmap_mode="r")
    term_ids = np.load(folder / f"{name}.forward_terms.npy", mmap_mode="r")
    if len(indptr) != index.n_docs + 1 or len(term_ids) != len(index.postings_doc):
        raise ValueError(f"saved {name} forward index does not fit its index")
    return index, TermLists(terms, indptr, term_ids)
