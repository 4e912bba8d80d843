"""Passage vectors, cached by text hash so that a restart or a reload embeds only what changed.

:class:`Embedder` pairs an encoder with a vector store.  :class:`MemoryVectors` keeps
vectors in a dict (tests, one-off runs); :class:`FileVectors` keeps one ``.npz`` per
model in the data directory, written atomically (temporary file, then rename) and
only when something changed.  A damaged or foreign cache file is ignored: the
vectors are simply made again.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.embedding import Encoder

Progress = Callable[[int, int], None]  # (texts embedded so far, texts to embed)
BATCH = 64
RECENT_QUERIES = 64


def text_key(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\0{text}".encode()).hexdigest()


class VectorStore(Protocol):
    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]: ...

    def keep(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Remember exactly these vectors (those of the current corpus)."""
        ...


@dataclass
class MemoryVectors:
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.vectors[k] for k in keys if k in self.vectors}

    def keep(self, vectors: Mapping[str, np.ndarray]) -> None:
        self.vectors = dict(vectors)


class FileVectors:
    """``<directory>/<model>.npz`` holding keys and a float32 matrix."""

    def __init__(self, directory: Path, model: str) -> None:
        self.path = Path(directory) / f"{model}.npz"
        self._loaded: dict[str, np.ndarray] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, np.ndarray]:
        if self._loaded is None:
            self._loaded = {}
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    keys, matrix = data["keys"], data["vectors"]
                    if len(keys) == len(matrix):
                        self._loaded = {str(k): row for k, row in zip(keys, matrix)}
            except (OSError, ValueError, KeyError):
                pass  # no cache yet, or an unreadable one: embed again
        return self._loaded

    def get(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            known = self._load()
            return {k: known[k] for k in keys if k in known}

    def keep(self, vectors: Mapping[str, np.ndarray]) -> None:
        with self._lock:
            if vectors.keys() == self._load().keys():
                return
            self._loaded = dict(vectors)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handle, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp.npz")
                with os.fdopen(handle, "wb") as out:
                    keys = np.array(list(vectors), dtype="U40")
                    np.savez(out, keys=keys, vectors=np.stack(list(vectors.values())) if vectors else np.zeros((0, 1)))
                os.replace(temp, self.path)
            except OSError:
                pass  # a read-only data dir costs a re-embedding at the next start, nothing else


@dataclass
class Embedder:
    """An encoder with its vector cache."""

    encoder: Encoder
    store: VectorStore = field(default_factory=MemoryVectors)
    embedded: int = 0  # texts embedded (not found in the cache) by the last call to `passages`
    _recent: OrderedDict[str, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _recent_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.encoder.name

    def passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """One row per text; cached rows are reused, the rest embedded in batches."""
        keys = [text_key(self.encoder.name, t) for t in texts]
        found = self.store.get(keys)
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in found))
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            for text, row in zip(batch, self.encoder.encode(batch, query=False)):
                found[text_key(self.encoder.name, text)] = row
            if progress is not None:
                progress(min(start + BATCH, len(todo)), len(todo))
        self.embedded = len(todo)
        current = {k: found[k] for k in keys}
        self.store.keep(current)
        if not keys:
            return np.zeros((0, 1), dtype=np.float32)
        return np.stack([current[k] for k in keys]).astype(np.float32)

    def query(self, text: str) -> np.ndarray:
        """The question's row; the last few are remembered (both parts, a follow-up, a correction ask again)."""
        with self._recent_lock:
            vector = self._recent.get(text)
            if vector is not None:
                self._recent.move_to_end(text)
                return vector
        vector = self.encoder.encode([text], query=True)[0]
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector

    def part(self, name: str) -> slice:
        """The columns of part ``name`` ("rank", "judge") in every row."""
        return self.encoder.parts[name]
