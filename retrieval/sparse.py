"""Scores of the few passages that have one, without arrays as long as the corpus.

:class:`SparseScores` holds (passage, score) pairs for the passages a query touches and
reads like the dense score array search.py works on (``copy``, ``s[i]``, ``s[i] *= x``,
``s > x``, ``shape``, ``np.asarray``): every other passage scores 0.  :func:`add_up` sums
several such lists in a reusable scratch accumulator (O(postings), no sort).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Scratch = tuple[np.ndarray, np.ndarray]  # (float64 accumulator, bool seen-marks), all zero between uses


def add_up(parts: Sequence[tuple[np.ndarray, np.ndarray]], scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """(ids, summed values) over ``parts``; ids inside one part must be distinct. The scratch
    arrays are left all-zero again."""
    if not parts:
        return np.zeros(0, dtype=np.int32), np.zeros(0)
    if len(parts) == 1:
        return np.asarray(parts[0][0]), np.asarray(parts[0][1], dtype=np.float64)
    acc, seen = scratch
    fresh_parts = []
    # with only positive values a passage not reached yet is one whose sum is still 0: no seen-marks needed
    positive = all(not len(values) or values.min() > 0 for _, values in parts)
    try:
        for ids, values in parts:
            if positive:
                before = acc[ids]
                fresh_parts.append(ids[before == 0])
                acc[ids] = before + values  # distinct ids: no lost updates
                continue
            fresh = ids[~seen[ids]]
            seen[fresh] = True
            fresh_parts.append(fresh)
            acc[ids] += values
        ids = np.concatenate(fresh_parts)
        return ids, acc[ids]
    finally:
        for fresh in fresh_parts:
            acc[fresh] = 0.0
            if not positive:
                seen[fresh] = False


def member(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """For each of ``ids``: is it in ``sorted_ids`` (increasing)?"""
    if not len(sorted_ids):
        return np.zeros(len(ids), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.asarray(sorted_ids[at] == ids)


class SparseScores:
    """A score per passage of ``size``, stored for ``ids`` only (the rest are 0)."""

    def __init__(self, ids: np.ndarray, values: np.ndarray, size: int) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self.values = np.asarray(values, dtype=np.float64)
        self.size = size
        self._where: dict[int, int | None] | None = None  # passage → position (None: not stored)

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    def __len__(self) -> int:
        return self.size

    def _position(self, i: int) -> int | None:
        """Where passage ``i`` is stored: known for what :meth:`top` returned, else one vectorised scan."""
        if self._where is None:
            self._where = {}
        pos = self._where.get(i, -1)
        if pos == -1:
            found = np.flatnonzero(self.ids == i)
            pos = self._where[i] = int(found[0]) if len(found) else None
        return pos

    def __getitem__(self, i: int) -> float:
        if not -self.size <= i < self.size:
            raise IndexError(i)
        pos = self._position(i % self.size)
        return float(self.values[pos]) if pos is not None else 0.0

    def __setitem__(self, i: int, value: float) -> None:
        pos = self._position(i % self.size)
        if pos is None:
            self._where = dict(self._where or {})  # no longer shared with a copy
            self._where[int(i) % self.size] = len(self.ids)
            self.ids = np.append(self.ids, i % self.size)
            self.values = np.append(self.values, value)
        else:
            self.values[pos] = value

    def __gt__(self, value: float) -> np.ndarray:
        """The stored scores above ``value`` (enough to count them: a 0 is never above a score ≥ 0)."""
        return np.asarray(self.values > value)

    def copy(self) -> SparseScores:
        """A copy of the scores; it shares what is known of where passages are stored (same ids)."""
        twin = SparseScores(self.ids, self.values.copy(), self.size)
        if self._where is None:
            self._where = {}
        twin._where = self._where
        return twin

    def max(self) -> float:
        return float(self.values.max()) if len(self.values) else 0.0

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float64)
        out[self.ids] = self.values
        return out if dtype is None else out.astype(dtype)

    def top(self, k: int) -> list[int]:
        """The k best passages holding a score, best first (ties: lower index first)."""
        positions, _ = best_of(np.arange(len(self.ids)), self.values, k, positive=False, ties=self.ids)
        if self._where is None:
            self._where = {}
        chosen = self.ids[positions].tolist()
        self._where.update(zip(chosen, positions.tolist()))
        return chosen


def best_of(
    ids: np.ndarray, values: np.ndarray, k: int, positive: bool = True, ties: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The k highest ``values`` (only positive ones unless told) with their ``ids``, best first,
    ties by lower id (or lower ``ties`` value) — without sorting them all: argpartition finds the
    k-th value, then only the values at least that high are sorted."""
    ties = ids if ties is None else ties
    if positive:
        keep = values > 0
        ids, values, ties = ids[keep], values[keep], ties[keep]
    if k <= 0 or not len(values):
        return ids[:0], values[:0]
    if k < len(values):
        kth = values[np.argpartition(-values, k - 1)[k - 1]]
        keep = values >= kth  # every tie of the k-th, so that the lower ids win
        ids, values, ties = ids[keep], values[keep], ties[keep]
    order = np.lexsort((ties, -values))[:k]
    return ids[order], values[order]
