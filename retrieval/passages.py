"""Clean blocks → passages: complete sentences, phone-sized, each knowing its place."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from retrieval.cleanup import Block
from retrieval.text import split_clauses, split_sentences

TARGET_CHARS = 300
MAX_CHARS = 600


@dataclass(frozen=True)
class Passage:
    pid: int  # index in the library
    article: str  # article id
    position: int  # passage index inside the article
    section: str  # the heading above it ("" before the first one)
    text: str
    paragraph: int = 0  # index of the source paragraph inside the article


@dataclass
class Article:
    article_id: str
    title: str
    path: str = ""
    year: str = ""
    districts: tuple[str, ...] = ()
    source: str = ""
    byline: str = ""
    digest: str = ""  # sha256 of the file's bytes: what reload compares
    traditional: bool = False  # written in traditional characters (indexed in simplified)
    blocks: list[Block] = field(default_factory=list, repr=False)  # the cleaned text it was laid out from
    passages: list[Passage] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)


def chunk_paragraph(text: str, target: int = TARGET_CHARS, limit: int = MAX_CHARS) -> list[str]:
    """Split a paragraph into passages of whole sentences, balanced, none over ``limit``."""
    if len(text) <= target:
        return [text]
    sentences: list[str] = []
    for sentence in split_sentences(text):
        sentences.extend(split_clauses(sentence, target) if len(sentence) > limit else [sentence])
    parts = max(1, math.ceil(len(text) / target))
    goal = len(text) / parts
    chunks: list[str] = []
    current = ""
    for sentence in sentences:
        if current and (len(current) + len(sentence) > limit or len(current) >= goal * 0.85):
            chunks.append(current)
            current = ""
        current += sentence
    if current:
        if chunks and len(current) < 40 and len(chunks[-1]) + len(current) <= limit:
            chunks[-1] += current
        else:
            chunks.append(current)
    return chunks


def build_article(article_id: str, blocks: list[Block], *, title: str = "", first_pid: int = 0) -> Article:
    """Lay out an article's passages; headings before the byline/first paragraph are the title."""
    first_body = next((i for i, b in enumerate(blocks) if b.kind in ("paragraph", "byline")), len(blocks))
    front = [b.text for b in blocks[:first_body] if b.kind == "heading"]
    bylines = [b.text for b in blocks if b.kind == "byline"]
    article = Article(article_id=article_id, title=title or (front[0] if front else article_id))
    article.byline = " ".join(bylines)
    section = ""
    position = 0
    for index, block in enumerate(blocks):
        if block.kind == "heading":
            if index >= first_body:
                section = block.text
                article.headings.append(section)
            continue
        if block.kind != "paragraph":
            continue
        for chunk in chunk_paragraph(block.text):
            article.passages.append(
                Passage(first_pid + position, article_id, position, section, chunk, paragraph=index)
            )
            position += 1
    return article
