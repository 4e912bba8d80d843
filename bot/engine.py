"""The conversation engine: a neutral message in, a neutral reply out.

Channels call :meth:`Engine.handle`; the engine runs commands (help, 更多, 原文),
resolves follow-ups against the chat's state, searches, composes the reply and
hands a record of the exchange to the sink.  No platform SDK is imported here.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

from bot.answers import compose_answer, compose_article_page, compose_more, compose_no_answer
from bot.conversation import ChatState, Conversations, StateStore, is_follow_up, resolve
from bot.corrections import CorrectionBook
from bot.messages import Incoming, Lang, Reply, ReplyKind
from bot.records import Feedback, NullSink, ReloadReport, Sink, exchange_of
from bot.semantic import ProgressLine, make_embedder
from bot.texts import text as ui
from retrieval.embedding import DEFAULT_MODEL
from retrieval.english import cedict
from retrieval.inflection import lemma
from retrieval.library import Library, build_library
from retrieval.persist import add_vectors, open_library
from retrieval.vectors import Embedder
from retrieval.names import main_entity
from retrieval.loader import read_lines
from retrieval.query import Query, detect_lang, normalize_question, understand
from retrieval.decision import low_confidence_below
from retrieval.search import SearchResult, corrected, search
from retrieval.tokenize import word_tags

HELP = re.compile(r"^(/?start|/?help|帮助|菜单|你好|您好|hi|hello|hey|哈喽|嗨|在吗|\?|？)$", re.I)
MORE = re.compile(r"^(更多|more|下一页|next|继续)$", re.I)
ARTICLE = re.compile(r"^(原文|全文|full text|original|article)\s*(\d{1,3})?$", re.I)
TOPIC_CHARS = 120  # how much of the previous question a follow-up carries along
_TRIM = re.compile(r"^[\s。！？!?.,，~～]+|[\s。！？!?.,，~～]+$")


class Engine:
    def __init__(
        self,
        library: Library,
        *,
        sink: Sink | None = None,
        ttl_s: float = 1800,
        states: StateStore | None = None,
        data_dir: Path | None = None,
    ) -> None:
        self.library = library
        self.sink: Sink = sink or NullSink()
        self.conversations = Conversations(ttl_s, store=states)  # in memory unless a shared store is given
        self.corrections = CorrectionBook()  # the admin's corrected answers (kept in the database by Services)
        self._reload_lock = threading.Lock()
        self.data_dir = data_dir  # where the index is saved: a reload loads a version saved there

    @classmethod
    def from_corpus(
        cls,
        corpus_dir: Path,
        *,
        sink: Sink | None = None,
        ttl_s: float = 1800,
        model: str = DEFAULT_MODEL,
        data_dir: Path | None = None,
        states: StateStore | None = None,
    ) -> Engine:
        """An engine over ``corpus_dir``, with semantic search by ``model`` ("none": BM25 alone);
        passage vectors are cached in ``data_dir`` (in memory without one)."""
        # the model, then the tables the first question needs, load while the index is built
        loaded: list[Embedder | None] = []
        model_ready = threading.Event()

        def load() -> None:
            try:
                loaded.append(make_embedder(model, data_dir))
            finally:
                model_ready.set()
            cedict()
            word_tags()

        threading.Thread(target=load, name="model-loader", daemon=True).start()
        library = open_library(Path(corpus_dir), data_dir)  # saved in data_dir: loaded, not rebuilt
        model_ready.wait()
        if loaded and loaded[0] is not None:
            library = add_vectors(library, loaded[0], ProgressLine())
        engine = cls(library, sink=sink, ttl_s=ttl_s, states=states, data_dir=data_dir)
        threading.Thread(target=engine.warm_up, name="engine-warm-up", daemon=True).start()
        return engine

    @property
    def article_count(self) -> int:
        return len(self.library.articles)

    @property
    def passage_count(self) -> int:
        return len(self.library.passages)

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: jieba's POS tables, CC-CEDICT,
        the English lemmatizer's tables."""
        self.library.tokenizer.proper_nouns("北京")
        cedict()
        lemma("asked")

    def _suggestions(self, tokens: list[str], lang: Lang) -> list[str]:
        """Example questions, those sharing words with the question first."""
        examples = self.examples(lang, limit=None)
        if lang == "en":
            return examples[:3]
        wanted = set(tokens)
        tokenize = self.library.tokenizer.tokenize
        return sorted(examples, key=lambda q: -len(wanted & set(tokenize(q))))[:3]

    def examples(self, lang: str = "zh", limit: int | None = 4) -> list[str]:
        """Example questions from corpus/examples.tsv in ``lang`` (all of them when limit is None).
        Read once per library, so a reload picks up a changed file."""
        library = self.library
        rows = library.memo.get("examples")
        if rows is None:
            lines = read_lines(library.corpus_dir / "examples.tsv")
            rows = [tuple(p.strip() for p in line.split("\t", 1)) for line in lines if "\t" in line]
            library.memo["examples"] = rows
        return [q for code, q in rows if code == lang][:limit]

    # -- the reply path -------------------------------------------------------------
    def handle(self, msg: Incoming) -> Reply:
        started = time.perf_counter()
        try:
            reply = self._dispatch(msg)
        except Exception as exc:  # never a traceback to the user
            print(f"engine error on {msg.text[:80]!r}: {exc!r}", file=sys.stderr)
            lang: Lang = detect_lang(msg.text or "")
            reply = Reply(ReplyKind.NOTICE, lang, msg.text, intro=ui("error", lang), error=repr(exc))
        self.conversations.save(msg.channel, msg.chat_id)  # one save per turn (none when it loaded no state)
        self._log(msg, reply, (time.perf_counter() - started) * 1000)
        return reply

    def _dispatch(self, msg: Incoming) -> Reply:
        question = normalize_question(msg.text or "")
        lang = detect_lang(question)
        command = _TRIM.sub("", question)
        if not re.search(r"[\w\u4e00-\u9fff]", question):
            return Reply(ReplyKind.INVALID, lang, msg.text, intro=ui("empty", lang), suggestions=self.examples(lang))
        if HELP.match(command):
            return Reply(ReplyKind.HELP, lang, msg.text, intro=ui("help", lang), suggestions=self.examples(lang))
        state = self.conversations.get(msg.channel, msg.chat_id)
        if (MORE.match(command) or ARTICLE.match(command)) and state.lang in ("zh", "en"):
            lang = state.lang  # type: ignore[assignment]  # 更多 tapped by an English reader: English UI
        else:
            state.lang = lang
        if MORE.match(command):
            if state.mode == "article" and state.article:
                return compose_article_page(self.library, state, msg.text, lang, state.article_page + 1)
            return compose_more(state, msg.text, lang, self.examples(lang))
        article = ARTICLE.match(command)
        if article:
            page = int(article.group(2)) if article.group(2) else 1
            return compose_article_page(self.library, state, msg.text, lang, page)
        return self._answer(msg, state, question, lang)

    def _answer(self, msg: Incoming, state: ChatState, question: str, lang: Lang) -> Reply:
        library = self.library  # one consistent index for the whole answer, even during a reload
        query = understand(library, question)
        added = library.tokenizer.added_words
        own_topic = bool(query.places or query.codes or any(t in added for t in query.tokens) or len(query.tokens) >= 3)
        words = [t for t in query.tokens if len(t) > 1]
        # only words the articles never use, nor any synonym or piece of them (火星天气怎么样, 那里天气如何;
        # not 村支书, whose synonyms 党支部/书记 they use): about nothing the previous answer was about
        # either — asked alone, not read as "what about X" or with 它 put in
        foreign = bool(words) and not any(
            library.knows(t) or any(library.knows(a) for a in query.alternatives.get(t, ()))
            or any(len(r) > 1 for r in query.related.get(t, ()))
            for t in words
        )
        result = None
        if not foreign and is_follow_up(state, question, own_topic):
            question, complete = resolve(state, question)
            result = search(library, understand(library, question, extra="" if complete else state.topic))
            if not result.answerable and own_topic and not complete:  # nothing found: the question alone
                standalone = self._search(library, query)
                if standalone.answerable:
                    result, question = standalone, normalize_question(msg.text or "")
        if result is None:
            result = self._search(library, query)
        if not result.answerable:
            return compose_no_answer(library, result, msg.text, lang, self._suggestions(result.query.tokens, lang))
        state.question, state.entity = question, main_entity(library, result.query)
        state.places = result.query.places  # named places (姚家街道) included: asked_places finds them
        reply, state.quotes = compose_answer(library, result, msg.text, lang)
        state.topic = result.query.text[:TOPIC_CHARS]
        state.shown = len(reply.quotes)
        state.article = result.hits[0].passage.article
        state.article_page = 0
        state.mode = "answer"
        state.last_answer_exchange = reply.exchange_id
        return reply

    def _search(self, library: Library, query: Query) -> SearchResult:
        """The search, with the passage an admin chose for this question (or a close paraphrase) first."""
        result = search(library, query)
        passage = self.corrections.match(library, query)
        return corrected(library, result, passage) if passage is not None else result

    @property
    def low_confidence_below(self) -> float:
        """Answers whose decision scored below this are worth the admin's review."""
        return low_confidence_below(semantic=self.library.embedder is not None)

    def explain(self, question: str) -> dict[str, object]:
        """What the bot would answer to QUESTION asked alone, with each ranker's score per passage and
        the decision with its reason — for the admin's hit test: not logged, no conversation touched."""
        library = self.library
        query = understand(library, normalize_question(question))
        result = self._search(library, query)
        evidence = result.evidence
        passages = []
        for hit in result.hits:
            article = library.articles[hit.passage.article]
            signals = hit.signals
            passages.append({
                "article": article.article_id, "title": article.title, "paragraph": hit.passage.position,
                "text": hit.text, "score": round(hit.score, 4), "bm25": round(signals.get("bm25", 0.0), 4),
                "semantic": round(signals["dense"], 4) if "dense" in signals else None,
                "fused": round(signals.get("fused", hit.score), 4), "corrected": bool(signals.get("corrected")),
            })  # fmt: skip
        return {
            "question": question, "query": query.text, "answered": result.answerable, "reason": result.reason,
            "confidence": round(evidence.confidence, 4) if evidence is not None else 0.0,
            "passages": passages,
        }  # fmt: skip

    def _log(self, msg: Incoming, reply: Reply, latency_ms: float) -> None:
        exchange = exchange_of(msg, reply, latency_ms)
        try:
            self.sink.record_exchange(exchange)
        except Exception as exc:  # logging never breaks answering
            print(f"could not log exchange: {exc!r}", file=sys.stderr)

    # -- feedback and reload --------------------------------------------------------
    def feedback(self, msg: Incoming, up: bool, exchange_id: str | None = None, reason: str = "") -> bool:
        """A 👍/👎 from ``msg``'s user on an answer shown in ``msg``'s chat (by default its last one).
        False for an answer this chat was never shown (or no longer remembers): nothing is stored.
        One vote per user and answer: the same vote again stores nothing, a changed one replaces it."""
        state = self.conversations.get(msg.channel, msg.chat_id)
        target = exchange_id or state.last_answer_exchange
        if not target:
            return False
        vote = state.record_vote(target, msg.user_id, up, reason)
        self.conversations.save(msg.channel, msg.chat_id)
        if vote is None:
            return False
        if not vote:
            return True
        record = Feedback(target, up, reason, channel=msg.channel, chat_id=msg.chat_id, user_id=msg.user_id)
        try:
            self.sink.record_feedback(record)
        except Exception as exc:
            print(f"could not store feedback: {exc!r}", file=sys.stderr)
        return True

    def reload(self, who: str = "", origin: str = "cli", previous: dict[str, str] | None = None) -> ReloadReport:
        """Rebuild from corpus/; the old library answers until the new one is swapped in.
        Changes are reported against ``previous`` (article → digest), by default the library being replaced."""
        report = ReloadReport(who=who, origin=origin)
        started = time.perf_counter()
        with self._reload_lock:
            old = self.library
            try:
                if self.data_dir is not None:  # the version another process built and saved is loaded, not rebuilt
                    new = open_library(old.corpus_dir, self.data_dir, embedder=old.embedder, progress=ProgressLine())
                else:
                    new = build_library(old.corpus_dir, cache=old.cache, embedder=old.embedder, progress=ProgressLine())
                if not new.articles:
                    raise RuntimeError("no readable article in corpus/articles")
            except Exception as exc:
                report.ok = False
                report.error = str(exc) or repr(exc)
                report.articles, report.passages = len(old.articles), len(old.passages)
            else:
                before, after = (old.digests if previous is None else previous), new.digests
                report.added = sorted(set(after) - set(before))
                report.removed = sorted(set(before) - set(after))
                report.changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
                report.skipped = list(new.skipped)
                report.articles, report.passages = len(new.articles), len(new.passages)
                self.library = new  # atomic swap
        report.duration_s = round(time.perf_counter() - started, 3)
        try:
            self.sink.record_reload(report)
        except Exception as exc:
            print(f"could not log reload: {exc!r}", file=sys.stderr)
        return report
