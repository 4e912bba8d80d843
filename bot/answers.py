"""Composing replies from search results: the direct answer, quotes with sources, paging."""

from __future__ import annotations

import math
from dataclasses import replace

from bot.conversation import ChatState
from bot.messages import Lang, Quote, Reply, ReplyKind, Source
from bot.texts import text as ui
from retrieval.answer import best_sentences
from retrieval.library import Library
from retrieval.passages import Article
from retrieval.search import Hit, SearchResult

QUOTES_PER_REPLY = 3
PASSAGES_PER_ARTICLE_PAGE = 4


def source_of(article: Article, section: str) -> Source:
    return Source(article.article_id, article.title, article.year, section, article.source)


def quote_of(library: Library, hit: Hit) -> Quote:
    article = library.articles[hit.passage.article]
    paragraph = hit.before.position if hit.before is not None else hit.passage.position
    return Quote(hit.text, source_of(article, hit.passage.section), paragraph, hit.score, hit.terms)


def distinct_hits(hits: list[Hit]) -> list[Hit]:
    """No passage twice: a hit already shown is dropped, context already shown is not repeated."""
    shown: set[int] = set()
    out: list[Hit] = []
    for hit in hits:
        if hit.passage.pid in shown:
            continue
        if hit.before is not None and hit.before.pid in shown:
            hit = replace(hit, before=None)
        out.append(hit)
        shown.add(hit.passage.pid)
        if hit.before is not None:
            shown.add(hit.before.pid)
    return out


def compose_answer(library: Library, result: SearchResult, question: str, lang: Lang) -> tuple[Reply, list[Quote]]:
    """The answer, and every passage found quoted (the reply shows the first few; 更多 pages the rest)."""
    hits = distinct_hits(result.hits)
    best = hits[0]
    # the direct answer comes from the passage found; the context shown before it only explains it
    direct = best_sentences(best.passage.text, result.query.weights, result.query.qtype, focus=result.query.focus)
    found = [quote_of(library, h) for h in hits]
    has_more = len(found) > QUOTES_PER_REPLY
    intro = ui("answer_intro", lang)
    if result.query.truncated:
        intro = ui("truncated", lang) + intro
    reply = Reply(
        ReplyKind.ANSWER,
        lang,
        question,
        answered=True,
        query=result.query.text,
        intro=intro,
        direct=direct,
        quotes=found[:QUOTES_PER_REPLY],
        footer=ui("more_footer" if has_more else "article_hint", lang),
        terms=best.terms,
        has_more=has_more,
    )
    return reply, found


def compose_no_answer(result: SearchResult, question: str, lang: Lang, examples: list[str]) -> Reply:
    return Reply(
        ReplyKind.NO_ANSWER,
        lang,
        question,
        answered=False,
        query=result.query.text,
        intro=ui("no_answer", lang),
        suggestions=examples[:3],
        reason=result.reason,
    )


def compose_more(state: ChatState, question: str, lang: Lang, examples: list[str]) -> Reply:
    if not state.quotes:
        return Reply(ReplyKind.NOTICE, lang, question, intro=ui("nothing_yet", lang), suggestions=examples[:3])
    start = state.shown
    page = state.quotes[start : start + QUOTES_PER_REPLY]
    if not page:
        return Reply(ReplyKind.NOTICE, lang, question, intro=ui("no_more", lang), query=state.topic)
    state.shown = start + len(page)
    return Reply(
        ReplyKind.MORE,
        lang,
        question,
        answered=True,
        query=state.topic,
        intro=ui("more_intro", lang),
        quotes=page,
        has_more=state.shown < len(state.quotes),
        footer=ui("more_footer", lang) if state.shown < len(state.quotes) else "",
        page=start // QUOTES_PER_REPLY + 1,
    )


def compose_article_page(library: Library, state: ChatState, question: str, lang: Lang, page: int) -> Reply:
    article = library.articles.get(state.article)
    if article is None:
        return Reply(ReplyKind.NOTICE, lang, question, intro=ui("nothing_yet", lang))
    pages = max(1, math.ceil(len(article.passages) / PASSAGES_PER_ARTICLE_PAGE))
    if page > pages:
        state.mode = "answer"
        return Reply(ReplyKind.NOTICE, lang, question, intro=ui("article_end", lang), page=page, pages=pages)
    page = max(1, page)
    chunk = article.passages[(page - 1) * PASSAGES_PER_ARTICLE_PAGE : page * PASSAGES_PER_ARTICLE_PAGE]
    state.mode = "article"
    state.article_page = page
    return Reply(
        ReplyKind.ARTICLE,
        lang,
        question,
        answered=True,
        intro=ui("article_intro", lang, title=article.title, page=page, pages=pages),
        quotes=[Quote(p.text, source_of(article, p.section), p.position) for p in chunk],
        has_more=page < pages,
        footer=ui("article_footer", lang) if page < pages else "",
        page=page,
        pages=pages,
    )
