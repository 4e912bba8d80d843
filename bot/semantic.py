"""The semantic side of search, as the running bot sets it up: which model, where its vectors live.

The encoder is loaded once per process and model.  Passage vectors are cached in
``DATA_DIR/vectors/`` (or in memory when there is no data dir), so a restart or a
reload embeds only new or changed passages.  When the model can't load, the bot runs
on BM25 alone and says so once on stderr.
"""

from __future__ import annotations

import sys
import threading
import time
from functools import lru_cache
from pathlib import Path

from retrieval.embedding import DEFAULT_MODEL, Encoder, load_encoder
from retrieval.vectors import Embedder, FileVectors, MemoryVectors, VectorStore

_warned: set[str] = set()
_memory: dict[str, MemoryVectors] = {}
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _encoder(model: str) -> tuple[Encoder | None, str]:
    return load_encoder(model)


def warn_once(message: str) -> None:
    with _lock:
        if message in _warned:
            return
        _warned.add(message)
    print(f"warning: {message}; answering with BM25 (keyword) search alone", file=sys.stderr)


def make_embedder(model: str = DEFAULT_MODEL, data_dir: Path | None = None) -> Embedder | None:
    """The embedder for ``model`` with its vector cache, or None (BM25 alone) if it can't load."""
    encoder, why = _encoder(model)
    if encoder is None:
        if model != "none":
            warn_once(why)
        return None
    store: VectorStore
    if data_dir is not None:
        store = FileVectors(Path(data_dir) / "vectors", encoder.name)
    else:
        with _lock:
            store = _memory.setdefault(encoder.name, MemoryVectors())
    return Embedder(encoder, store)


class ProgressLine:
    """Prints "embedding passages: 1200/10000" to stderr every few seconds during a long run."""

    def __init__(self, every_s: float = 2.0) -> None:
        self.every_s = every_s
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last >= self.every_s:
            self._last = now
            if total >= 200:  # a handful of changed passages is not worth a line
                end = "\n" if done == total else "\r"
                print(f"embedding passages: {done}/{total}", end=end, file=sys.stderr, flush=True)
