"""The searchable library: cleaned articles, passages, tokenizer, BM25 index, lexicons."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.cleanup import Block, clean_text
from retrieval.vectors import Embedder, Progress
from retrieval.index import BM25Index
from retrieval.lexicon import Lexicon, load_lexicon
from retrieval.loader import RawArticle, read_corpus
from retrieval.passages import Article, Passage, build_article
from retrieval.retriever import Retriever, hybrid
from retrieval.saved_passages import passage_texts
from retrieval.tokenize import Tokenizer, quoted_terms


@dataclass
class TokenCache:
    """Tokens of passages already seen, reusable while the dictionary has not grown into them."""

    words: frozenset[str] = frozenset()
    tokens: dict[str, list[str]] = field(default_factory=dict)
    blocks: dict[str, list[Block]] = field(default_factory=dict)  # cleaned text by file digest

    def usable(self, words: frozenset[str]) -> dict[str, list[str]]:
        new_words = words - self.words
        if not new_words:
            return self.tokens
        pattern = re.compile("|".join(re.escape(w) for w in sorted(new_words, key=len, reverse=True)))
        return {text: toks for text, toks in self.tokens.items() if not pattern.search(text)}


@dataclass
class Library:
    corpus_dir: Path
    articles: dict[str, Article]
    passages: list[Passage]
    tokenizer: Tokenizer
    lexicon: Lexicon
    index: BM25Index  # over passage bodies (text and the article's districts)
    body_tokens: list[list[str]]  # per passage: what `index` was built from
    heading_tokens: list[list[str]]  # per passage: its section heading's tokens
    heading_index: BM25Index | None = None  # over each passage's section heading
    same_section: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 1.0 where passage i-1 shares i's section
    skipped: list[tuple[str, str]] = field(default_factory=list)
    cache: TokenCache = field(default_factory=TokenCache)
    build_seconds: float = 0.0
    embedder: Embedder | None = None  # the semantic side; None: BM25 alone
    vectors: np.ndarray | None = None  # one embedding per passage (rows of `passages`)
    memo: dict[str, Any] = field(default_factory=dict, repr=False)  # things derived on first use

    @property
    def digests(self) -> dict[str, str]:
        return {a.article_id: a.digest for a in self.articles.values()}

    def article_mentions(self, article_id: str, name: str) -> bool:
        """Does the article (text, title or districts) mention ``name``?"""
        key = f"text:{article_id}"
        text = self.memo.get(key)
        if text is None:
            article = self.articles[article_id]
            text = " ".join([article.title, *article.districts, *passage_texts(article.passages)])
            self.memo[key] = text
        return name in text

    @property
    def retriever(self) -> Retriever:
        """How passages are ranked: BM25, fused with the dense retriever when there are vectors."""
        found = self.memo.get("retriever")
        if found is None:
            found = self.memo["retriever"] = hybrid(self)
        return found  # type: ignore[no-any-return]

    def tokens_of(self, pid: int) -> set[str]:
        """The tokens of a passage and of its section heading."""
        return set(self.body_tokens[pid]) | set(self.heading_tokens[pid])

    def knows(self, term: str) -> bool:
        """Does any passage or heading use ``term``?"""
        return self.index.knows(term) or (self.heading_index is not None and self.heading_index.knows(term))

    def neighbour(self, passage: Passage, step: int) -> Passage | None:
        pid = passage.pid + step
        if 0 <= pid < len(self.passages) and self.passages[pid].article == passage.article:
            return self.passages[pid]
        return None


def _meta_str(meta: Mapping[str, object], key: str) -> str:
    value = meta.get(key, "")
    return str(value) if value is not None else ""


def passage_document(passage: Passage, article: Article) -> str:
    """What the body index sees for a passage: its text and the article's districts."""
    return " ".join([passage.text, " ".join(article.districts)])


def _layout(
    raws: list[RawArticle], tokenizer: Tokenizer, lexicon: Lexicon, known: dict[str, list[Block]]
) -> dict[str, Article]:
    articles: dict[str, Article] = {}
    cleaned = []
    for raw in raws:
        blocks = known.get(raw.digest) or clean_text(raw.text, tokenizer.is_word)
        traditional = lexicon.is_traditional(raw.text)
        cleaned.append((raw, blocks, traditional))
        text = "\n".join(b.text for b in blocks)
        for term in quoted_terms(lexicon.to_simplified(text) if traditional else text):
            tokenizer.add_word(term)
    next_pid = 0
    for raw, blocks, traditional in cleaned:
        article = build_article(raw.article_id, blocks, title=_meta_str(raw.meta, "title"), first_pid=next_pid)
        article.traditional = traditional
        article.blocks = blocks
        article.path = str(raw.path)
        article.digest = raw.digest
        article.year = _meta_str(raw.meta, "year") or _meta_str(raw.meta, "date")[:4]
        article.source = _meta_str(raw.meta, "source")
        districts = raw.meta.get("districts", ())
        article.districts = tuple(str(d) for d in districts) if isinstance(districts, (list, tuple)) else ()
        next_pid += len(article.passages)
        articles[article.article_id] = article
    return articles


def semantic_text(passage: Passage) -> str:
    """What a passage's embedding is made from: its section heading and its text."""
    return f"{passage.section}\n{passage.text}" if passage.section else passage.text


def meaning_texts(passages: list[Passage], articles: Mapping[str, Article], lexicon: Lexicon) -> list[str]:
    """What each passage is embedded as: heading and text, in simplified Chinese."""
    return [
        lexicon.to_simplified(semantic_text(p)) if articles[p.article].traditional else semantic_text(p) for p in passages
    ]


def with_vectors(library: Library, embedder: Embedder, progress: Progress | None = None) -> Library:
    """``library`` with the semantic side added (its passages embedded, or found in the cache)."""
    texts = meaning_texts(library.passages, library.articles, library.lexicon)
    return replace(library, embedder=embedder, vectors=embedder.passages(texts, progress), memo={})


def build_library(
    corpus_dir: Path,
    *,
    cache: TokenCache | None = None,
    workers: int | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> Library:
    """Load corpus/ and index it. Unchanged passages reuse ``cache``'s tokens and ``embedder``'s
    cached vectors; ``progress`` hears how the embedding goes."""
    started = time.perf_counter()
    corpus_dir = Path(corpus_dir)
    lexicon = load_lexicon(corpus_dir)
    raws, skipped = read_corpus(corpus_dir)
    tokenizer = Tokenizer(lexicon.user_words, lexicon.stopwords)
    cache = cache or TokenCache()
    articles = _layout(raws, tokenizer, lexicon, cache.blocks)
    passages = [p for a in articles.values() for p in a.passages]
    documents: list[str] = []
    headings: list[str] = []
    for passage in passages:
        article = articles[passage.article]
        doc = passage_document(passage, article)
        # a traditional-Chinese article is indexed in simplified, like the questions; it is quoted as written
        simplify = lexicon.to_simplified if article.traditional else str
        documents.append(simplify(doc))
        headings.append(simplify(passage.section))
    words = frozenset(tokenizer.added_words)
    known = cache.usable(words)
    todo = [d for d in dict.fromkeys(documents + headings) if d not in known]
    fresh = tokenizer.tokenize_many(todo, workers=workers or min(2, os.cpu_count() or 1))
    tokens_by_doc = {**known, **dict(zip(todo, fresh))}
    body_tokens = [tokens_by_doc[d] for d in documents]
    heading_tokens = [tokens_by_doc[h] for h in headings]
    index = BM25Index(body_tokens)
    heading_index = BM25Index(heading_tokens)
    new_cache = TokenCache(
        words, {d: tokens_by_doc[d] for d in documents + headings}, {a.digest: a.blocks for a in articles.values()}
    )
    vectors = embedder.passages(meaning_texts(passages, articles, lexicon), progress) if embedder is not None else None
    return Library(
        corpus_dir=corpus_dir,
        articles=articles,
        passages=passages,
        tokenizer=tokenizer,
        lexicon=lexicon,
        index=index,
        body_tokens=body_tokens,
        heading_tokens=heading_tokens,
        heading_index=heading_index,
        same_section=np.array(
            [0.0] + [float(a.article == b.article and a.section == b.section) for a, b in zip(passages, passages[1:])]
        )[: len(passages)],
        skipped=skipped,
        cache=new_cache,
        build_seconds=time.perf_counter() - started,
        embedder=embedder,
        vectors=vectors,
    )
