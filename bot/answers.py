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
from retrieval.text import split_sentences
from retrieval.search import Hit, SearchResult

QUOTES_PER_REPLY = 3
PASSAGES_PER_ARTICLE_PAGE = 4
FIRST_EXCERPT = 120  # characters of passage [1] on an answer's first screen
OTHER_EXCERPT = 70  # … of passages [2] and [3] (更多 and 原文 show whole passages)
SCREEN = 340  # characters of direct answer and excerpts a first screen holds (sources and UI text aside)
ELLIPSIS = "……"


def excerpt(text: str, terms: tuple[str, ...], limit: int, skip: tuple[str, ...] = ()) -> str:
    """Verbatim sentences of ``text``, about ``limit`` characters from the first that holds a term;
    a sentence holding a piece of ``skip`` (the direct answer, shown above) is left out; "……"
    marks every gap.  "" when the text is short enough to show whole."""
    sentences = split_sentences(text)
    if len(text) <= limit and not any(p in text for p in skip if p):
        return ""
    kept = [i for i, s in enumerate(sentences) if not any(p and p in s for p in skip)]
    if not kept:
        return ELLIPSIS
    start = next((i for i in kept if any(t in sentences[i] for t in terms)), kept[0])
    chosen: list[int] = []
    for i in (i for i in kept if i >= start):
        if chosen and sum(len(sentences[j]) for j in chosen) + len(sentences[i]) > limit:
            break
        chosen.append(i)
    out = ELLIPSIS if chosen[0] > 0 else ""
    for previous, i in zip([None, *chosen], chosen):
        if previous is not None and i != previous + 1:
            out += ELLIPSIS
        piece = sentences[i]
        out += piece if len(piece) <= limit else piece[:limit].rstrip("，；：,;: ") + ELLIPSIS
    if chosen[-1] < len(sentences) - 1 and not out.endswith(ELLIPSIS):
        out += ELLIPSIS
    return out


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
    # a long direct answer (a definition) leaves less room for the excerpts below it
    room = min(1.0, max(0.5, (SCREEN - sum(map(len, direct))) / (FIRST_EXCERPT + 2 * OTHER_EXCERPT)))
    first_screen = [
        replace(q, shown=excerpt(q.text, q.terms, int(room * (FIRST_EXCERPT if i == 0 else OTHER_EXCERPT)), direct if i == 0 else ()))
        for i, q in enumerate(found[:QUOTES_PER_REPLY])
    ]
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
        quotes=first_screen,
        footer=ui("more_footer" if has_more else "article_hint", lang),
        terms=best.terms,
        has_more=has_more,
        confidence=_confidence(result),
    )
    return reply, found


def compose_no_answer(library: Library, result: SearchResult, question: str, lang: Lang, examples: list[str]) -> Reply:
    """A decline with suggestions; the passages the bot had go along for the admin's review, never to the user."""
    return Reply(
        ReplyKind.NO_ANSWER,
        lang,
        question,
        answered=False,
        query=result.query.text,
        intro=ui("no_answer", lang),
        suggestions=examples[:3],
        reason=result.reason,
        confidence=_confidence(result),
        considered=[quote_of(library, h) for h in distinct_hits(result.hits)[:3]],
    )


def _confidence(result: SearchResult) -> float:
    return round(result.evidence.confidence, 4) if result.evidence is not None else 0.0


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
