"""Character-level text helpers: CJK detection, width and punctuation cleanup, sentences."""

from __future__ import annotations

import re
import unicodedata

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "，。、；：？！“”‘’（）《》「」『』【】…—·"
_CJK_RE = re.compile(f"[{CJK}]")
_CJK_OR_PUNCT = f"[{CJK}{re.escape(CJK_PUNCT)}]"

# sentence ends: 。！？ and …… possibly followed by closing quotes/brackets
SENTENCE_END = re.compile(r"(?:[。！？!?]|……|…)[”’」』）)]*")
TERMINAL_CHARS = "。！？!?…"

_CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_SPACE_BETWEEN = re.compile(rf"(?<={_CJK_OR_PUNCT})[ \t\u3000\u00a0]+(?=[{CJK}\d{re.escape(CJK_PUNCT)}])"
                            rf"|(?<=[\d])[ \t\u3000\u00a0]+(?={_CJK_OR_PUNCT})")
_SPLIT_NUMBER = re.compile(r"(?<=\d)\s*([.．])\s*(?=\d)|(?<=\d)[ \t]+(?=\d)")
_PUNCT_MAP = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{CJK}”’])[,:;?!()]|[,:;?!()](?=[{CJK}“‘])")


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def cjk_ratio(text: str) -> float:
    letters = [c for c in text if c.isalnum()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CJK_RE.match(c)) / len(letters)


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text)


def fullwidth_to_ascii(text: str) -> str:
    """Full-width letters, digits and spaces to ASCII (punctuation stays full-width)."""
    out = []
    for ch in text:
        code = ord(ch)
        if 0xFF10 <= code <= 0xFF19 or 0xFF21 <= code <= 0xFF3A or 0xFF41 <= code <= 0xFF5A:
            out.append(chr(code - 0xFEE0))
        elif ch in "\u3000\u00a0":
            out.append(" ")
        elif ch in "．" and out and out[-1].isdigit():
            out.append(".")
        elif ch in "％＋":
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def _curly_quotes(text: str, straight: str, left: str, right: str) -> str:
    """Curl straight quotes, by context where it is clear, else alternating."""
    if straight not in text:
        return text
    out: list[str] = []
    is_open = False
    for i, ch in enumerate(text):
        if ch != straight:
            out.append(ch)
            continue
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if not after or after.isspace() or after in "，。：；！？、）)》":
            opening = False
        elif not before or before.isspace() or before in "（(《：，、；:,;":
            opening = True
        elif before in "。！？…" and is_open:
            opening = False
        else:
            opening = not is_open
        out.append(left if opening else right)
        is_open = opening
    return "".join(out)


def normalize_punctuation(text: str) -> str:
    """Half-width punctuation inside Chinese text to its full-width form; straight quotes curled."""
    if not has_cjk(text):
        return text
    text = _curly_quotes(text, '"', "“", "”")
    if "'" in text and not re.search(r"[A-Za-z]'[A-Za-z]", text):
        text = _curly_quotes(text, "'", "‘", "’")
    return _HALF_PUNCT_NEAR_CJK.sub(lambda m: _PUNCT_MAP[m.group(0)], text)


def join_ocr_spaces(text: str) -> str:
    """Drop spaces OCR put inside Chinese words and numbers ("经十西 路", "85 . 48%", "3月2 2日")."""
    text = _SPLIT_NUMBER.sub(lambda m: "." if m.group(1) else "", text)
    return _SPACE_BETWEEN.sub("", text).strip()


def clean_inline(text: str, *, keep_spaces: bool = False) -> str:
    """The cleanup every line gets; headings keep the spaces that separate their phrases."""
    text = fullwidth_to_ascii(strip_controls(text))
    text = normalize_punctuation(text)
    if keep_spaces:
        text = _SPLIT_NUMBER.sub(lambda m: "." if m.group(1) else "", text).strip()
    else:
        text = join_ocr_spaces(text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip("”’」』）)")
    return bool(stripped) and (stripped[-1] in TERMINAL_CHARS)


def unbalanced_opener(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "“《（「『【":
            depth += 1
        elif ch in "”》）」』】" and depth:
            depth -= 1
    return depth > 0


def split_sentences(text: str) -> list[str]:
    """Split Chinese text into sentences, keeping the terminal punctuation and closing quotes."""
    sentences: list[str] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        end = match.end()
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_clauses(sentence: str, limit: int) -> list[str]:
    """Cut an over-long sentence at commas/semicolons into pieces of at most ``limit`` chars."""
    if len(sentence) <= limit:
        return [sentence]
    pieces = re.split(r"(?<=[，；：、,;])", sentence)
    out: list[str] = []
    current = ""
    for piece in pieces:
        while len(piece) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(piece[:limit])
            piece = piece[limit:]
        if len(current) + len(piece) > limit and current:
            out.append(current)
            current = ""
        current += piece
    if current:
        out.append(current)
    return out


def fold_for_compare(text: str) -> str:
    """NFKC and no whitespace: how eval keys are compared with passages."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
