"""Grouping key for questions: traditional→simplified, NFKC, case, punctuation and spaces folded."""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache

from opencc import OpenCC

_converter: OpenCC | None = None
_lock = threading.Lock()
_DROP = ("P", "Z", "C", "S")  # punctuation, separators/spaces, controls, symbols (？！，、… emoji)


def to_simplified(text: str) -> str:
    global _converter
    with _lock:
        if _converter is None:
            _converter = OpenCC("t2s")
        return _converter.convert(text)


@lru_cache(maxsize=4096)
def question_key(text: str) -> str:
    """The same question asked in traditional or simplified, with other punctuation or case → one key."""
    folded = to_simplified(unicodedata.normalize("NFKC", text)).casefold()
    key = "".join(ch for ch in folded if not unicodedata.category(ch).startswith(_DROP))
    return key or folded.strip()
