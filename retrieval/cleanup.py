"""Raw newspaper/OCR text → clean blocks (headings, paragraphs, captions, bylines).

Handles what real scans contain, generally rather than per file: hard line breaks
every ~20 characters, paragraphs cut mid-word, spaces inside words and numbers,
mixed full/half-width punctuation, page furniture, photo captions, bylines.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Literal

from retrieval.text import clean_inline, ends_sentence, unbalanced_opener

BlockKind = Literal["heading", "paragraph", "caption", "byline", "fragment"]

FURNITURE = re.compile(
    r"^(扫码下载|扫描二维码|找记者|上壹点|编辑[:：]|责任编辑|责编[:：]|组版[:：]|美编[:：]|校对[:：]|"
    r"版式[:：]|本版|第\s*\d+\s*版|A\d+\s*版|下载.{0,6}客户端)"
)
BYLINE = re.compile(r"(^|\s)(记者|通讯员|实习生|文/|图/|文/片|摄影?)\s*\S|\S\s*(济南|北京|章丘)?报道$")
_DATE_OR_NUMBER_START = re.compile(r"^[\d一二三四五六七八九十百千万亿%％年月日号个名元岁度]")
_INNER_PUNCT = re.compile(r"[，。；：！？、,;:!?]")


@dataclass
class Block:
    kind: BlockKind
    text: str


@dataclass
class _Raw:
    text: str
    blank_before: int
    blank_after: int = 0


_WIDE = re.compile(r"[\u2e80-\U0010ffff]")


def display_width(text: str) -> float:
    """Columns in a newspaper's grid: a Chinese character is one, a Latin letter or digit half."""
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide) / 2


def _raw_lines(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    blanks = 99  # the start of the text counts as many blank lines
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            blanks += 1
            continue
        if out:
            out[-1].blank_after = blanks
        out.append(_Raw(stripped, blanks))
        blanks = 0
    if out:
        out[-1].blank_after = 99
    return out


def wrap_width(lines: list[_Raw]) -> float | None:
    """The column width of hard-wrapped text, or None when lines are real paragraphs."""
    widths = [round(display_width(r.text)) for r in lines if display_width(r.text) >= 8]
    if len(widths) < 10:
        return None
    width, _ = Counter(widths).most_common(1)[0]
    near = sum(1 for w in widths if abs(w - width) <= 3)
    if width > 45 or near / len(widths) < 0.5:
        return None
    return float(width)


def _looks_like_heading(text: str, max_width: float = 40) -> bool:
    if ends_sentence(text) or "。" in text or display_width(text) > max_width or text[-1] in "，、；：,;:":
        return False
    return not BYLINE.search(text) and not FURNITURE.match(text)


def _unwrap(lines: list[_Raw], width: float, is_word: Callable[[str], bool]) -> list[_Raw]:
    """Rejoin hard-wrapped lines into paragraphs; short phrase lines stay apart as headings."""
    out: list[_Raw] = []
    current: list[_Raw] = []

    def flush() -> None:
        if current:
            out.append(_Raw("".join(r.text for r in current), current[0].blank_before, current[-1].blank_after))
            current.clear()

    for i, raw in enumerate(lines):
        w = display_width(raw.text)
        following = lines[i + 1].text if i + 1 < len(lines) else ""
        if (
            not current
            and w < width - 3
            and not _INNER_PUNCT.search(raw.text)
            and not ends_sentence(raw.text)
            and not _joins_across(raw.text, following, is_word)
        ) or (i == 0 and w < width - 3 and _looks_like_heading(raw.text)):
            out.append(raw)  # a heading, a byline or furniture: a line of its own (a title may hold "：" or "，")
            continue
        current.append(raw)
        if ends_sentence(raw.text) and w <= width - 1.5:
            flush()
    flush()
    return out


def _joins_across(left: str, right: str, is_word: Callable[[str], bool]) -> bool:
    """Was a paragraph cut mid-word or mid-number between ``left`` and ``right``?"""
    if not left or not right or ends_sentence(left) or left[-1] in "，、；：,;:":
        return False
    if unbalanced_opener(left):
        return True
    if left[-1].isdigit() and _DATE_OR_NUMBER_START.match(right):
        return True
    for k in (1, 2, 3):
        for m in (1, 2, 3):
            if 2 <= k + m <= 4 and is_word(left[-k:] + right[:m]):
                return True
    return False


def _merge_cut_paragraphs(raws: list[_Raw], is_word: Callable[[str], bool]) -> list[_Raw]:
    out: list[_Raw] = []
    for raw in raws:
        prev = out[-1] if out else None
        if (
            prev is not None
            and not _is_title_line(prev, out)
            and raw.blank_before <= 1
            and (display_width(prev.text) > 30 or _INNER_PUNCT.search(prev.text))
            and not _looks_like_heading(raw.text, 20)
            and _joins_across(prev.text, raw.text, is_word)
        ):
            out[-1] = _Raw(prev.text + raw.text, prev.blank_before, raw.blank_after)
        else:
            out.append(raw)
    return out


def _is_title_line(raw: _Raw, out: list[_Raw]) -> bool:
    """The text's first line, short and shaped like a heading: its title, never the start of a paragraph."""
    return len(out) == 1 and raw is out[0] and raw.blank_before >= 99 and _looks_like_heading(raw.text, 30)


def _classify(raw: _Raw, first: bool, gap: int = 1, front: bool = False) -> BlockKind | None:
    """``gap``: the usual number of blank lines between paragraphs; captions stand further apart.
    ``front``: no heading yet — above the headline, a sentence set apart is a photo caption."""
    text = raw.text
    if FURNITURE.match(text):
        return None
    width = display_width(text)
    if width <= 40 and BYLINE.search(text) and not ends_sentence(text):
        return "byline"
    isolated = raw.blank_before > gap and raw.blank_after > gap
    if isolated and width <= 60 and text.count("。") <= 1:
        return "caption"
    set_apart = raw.blank_before > gap or raw.blank_after > gap
    one_sentence = ends_sentence(text) and text.count("。") <= 1
    if one_sentence and (first or set_apart) and width <= 30 and "，" not in text:
        return "caption"  # a one-line photo caption: the lead photo's, or one set apart by extra space
    if one_sentence and front and set_apart and width <= 60:
        return "caption"
    if _looks_like_heading(text):
        # a heading never ends on 的/了/才… nor opens with 但/而…: that is a sentence cut off by the layout
        if text[-1] in "的了才和与及在把被将是但而就也都" or text[0] in "但而和与及并":
            return "fragment"
        return "heading"
    return "paragraph"


def clean_text(text: str, is_word: Callable[[str], bool] = lambda s: False) -> list[Block]:
    """Clean raw article text into blocks. ``is_word`` tells whether a string is a dictionary word."""
    raws = _raw_lines(text)
    width = wrap_width(raws)
    if width is not None:
        raws = _unwrap(raws, width, is_word)
    raws = _merge_cut_paragraphs(raws, is_word)
    gaps = sorted(r.blank_before for r in raws[1:]) or [1]
    gap = max(1, gaps[len(gaps) // 2])
    blocks: list[Block] = []
    for i, raw in enumerate(raws):
        front = not any(b.kind == "heading" for b in blocks)
        kind = _classify(raw, first=(i == 0), gap=gap, front=front)
        if kind is None:
            continue
        cleaned = clean_inline(raw.text, keep_spaces=(kind in ("heading", "byline")))
        if cleaned:
            blocks.append(Block(kind, cleaned))
    return blocks
