"""Word segmenters behind one interface: ``rjieba`` (jieba-rs, what the bot uses) and python
jieba (the reference the tests compare it with; imported only when asked for, 0.3 s)."""

from __future__ import annotations

import logging
import threading
from importlib.metadata import version
from typing import Any, Protocol

import rjieba

SEGMENTER = f"rjieba-{version('rjieba')}/jieba-{version('jieba')}"  # what the tokens depend on besides our code


def python_jieba() -> Any:
    """python jieba, imported on first use (0.3 s): only the reference segmenter and the tag table need it."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


_SPARE = [getattr(rjieba, "_DEFAULT_JIEBA", None)]  # rjieba's import already loaded one dictionary: use it once
_SPARE_LOCK = threading.Lock()


class Segmenter(Protocol):
    def cut(self, text: str, hmm: bool = True) -> list[str]: ...

    def has_word(self, word: str) -> bool: ...

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> int: ...

    def tag(self, text: str, hmm: bool = True) -> list[tuple[str, str]]: ...


class JiebaSegmenter:
    """Python jieba behind rjieba's interface (the reference the tests compare rjieba with)."""

    def __init__(self) -> None:
        self.tokenizer = python_jieba().Tokenizer()
        self.tokenizer.initialize()

    def cut(self, text: str, hmm: bool = True) -> list[str]:
        return list(self.tokenizer.cut(text, HMM=hmm))

    def has_word(self, word: str) -> bool:
        return self.tokenizer.FREQ.get(word, 0) > 0

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> int:
        self.tokenizer.add_word(word, freq=freq, tag=tag)
        return freq or 0

    def tag(self, text: str, hmm: bool = True) -> list[tuple[str, str]]:
        raise NotImplementedError("Tokenizer.tagged uses jieba.posseg for the reference segmenter")


def segmenter(kind: str = "rjieba") -> Segmenter:
    """A fresh segmenter with jieba's default dictionary: "rjieba" (used) or "jieba" (reference)."""
    if kind != "rjieba":
        return JiebaSegmenter()
    with _SPARE_LOCK:
        spare = _SPARE.pop() if _SPARE else None
    return spare if isinstance(spare, rjieba.Jieba) else rjieba.Jieba()
