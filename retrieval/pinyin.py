"""Chinese names spelled in pinyin in English questions: "Hulutao" → 葫芦套, "Sanjianxi" → 三涧溪."""

from __future__ import annotations

import re

from retrieval.library import Library

_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_CJK_LEAD = re.compile(r"[\u4e00-\u9fff]{1,6}")
MIN_PART_LETTERS = 6  # a term's leading part in pinyin must be this long (not "fan", "long", "hang")
# a place's own name before what it is: 三涧溪(村), 席家庄(村), 姚家(街道) — jieba may cut the name itself
_PLACE_STEM = re.compile(r"([\u4e00-\u9fff]{2,3})(?=村|社区|街道|小区|镇|片区)")


def pinyin_names(library: Library) -> dict[str, str]:
    """Toneless pinyin (no spaces) → the corpus word, for the corpus's names and own terms (made once)."""
    names = library.memo.get("pinyin")
    if names is None:
        from pypinyin import lazy_pinyin  # 0.1 s to import: only for English questions

        tokenizer = library.tokenizer
        words = [t for t in library.index.vocab if _CJK_WORD.match(t) and tokenizer.is_name(t)]
        seen = set(words)  # not `m not in words`: a list scan per match is quadratic at 1M passages
        for passage in library.passages:
            for stem in _PLACE_STEM.findall(passage.text):
                if stem not in seen and tokenizer.is_name(stem):
                    seen.add(stem)
                    words.append(stem)
        # the articles' own quoted terms (“老商埠暖新之家”) by their leading part in pinyin: an English
        # question spells the name ("Laoshangbu Nuanxin") and translates the rest ("Home")
        owners: dict[str, set[str]] = {}
        for term in tokenizer.added_words:
            lead = _CJK_LEAD.match(term)  # the term's leading Chinese characters, up to six
            for end in range(2, len(lead.group(0)) + 1 if lead else 0):
                owners.setdefault(term[:end], set()).add(term)
        names = {}
        for word in sorted(words, key=lambda w: (-len(w), w)):
            names.setdefault("".join(lazy_pinyin(word)), word)
        for part in sorted(owners, key=lambda w: (-len(w), w)):
            key = "".join(lazy_pinyin(part))
            if len(key) >= MIN_PART_LETTERS and part not in seen:
                terms = owners[part]  # the part of one term only stands for that term
                names.setdefault(key, next(iter(terms)) if len(terms) == 1 else part)
        library.memo["pinyin"] = names
    return names


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
