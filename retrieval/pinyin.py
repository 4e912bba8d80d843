"""Chinese names spelled in pinyin in English questions: "Hulutao" → 葫芦套, "Sanjianxi" → 三涧溪."""

from __future__ import annotations

import re
from functools import lru_cache

from retrieval.library import Library

_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")


@lru_cache(maxsize=4)
def _names(library_id: int, words: tuple[str, ...]) -> dict[str, str]:
    from pypinyin import lazy_pinyin  # 0.1 s to import: only for English questions

    names: dict[str, str] = {}
    for word in sorted(words, key=len, reverse=True):
        names.setdefault("".join(lazy_pinyin(word)), word)
    return names


def pinyin_names(library: Library) -> dict[str, str]:
    """Toneless pinyin (no spaces) → the corpus word, for the corpus's own words and names."""
    tokenizer = library.tokenizer
    words = tuple(sorted(t for t in library.index.vocab if _CJK_WORD.match(t) and tokenizer.is_name(t)))
    return _names(id(library), words)


def translate_names(library: Library, text: str) -> str:
    """Replace Latin words (or runs of up to three: "Yang Wenping") that spell a corpus word in pinyin."""
    words = re.findall(r"[A-Za-z]+|[^A-Za-z]+", text)
    if not any(len(w) >= 4 and w.isalpha() for w in words):
        return text
    names = pinyin_names(library)
    out: list[str] = []
    i = 0
    while i < len(words):
        for span in (5, 3, 1):  # a run of 3, 2 or 1 words, with the separators between them
            piece = words[i : i + span]
            latin = [w for w in piece if w.isalpha()]
            if len(piece) == span and all(w.isalpha() or w == " " for w in piece) and len("".join(latin)) >= 4:
                found = names.get("".join(latin).lower())
                if found:
                    out.append(" " + found + " ")
                    i += span
                    break
        else:
            out.append(words[i])
            i += 1
    return "".join(out)
