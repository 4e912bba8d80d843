from pathlib import Path

import pytest

from bot.engine import Engine
from bot.messages import Incoming, ReplyKind
from bot.records import MemorySink
from retrieval.library import build_library
from retrieval.text import fold_for_compare


def ask(engine: Engine, text: str, chat: str = "t1"):
    return engine.handle(Incoming(text, chat_id=chat, user_id="u1", channel="cli"))


def _corpus_text(library) -> str:
    return fold_for_compare("".join(p.text for p in library.passages))


def test_answer_quotes_verbatim_with_source(engine, library):
    reply = ask(engine, "1226工程是什么？")
    assert reply.kind is ReplyKind.ANSWER and reply.answered
    assert "即两条主线" in reply.quotes[0].text
    assert "1226" in reply.quotes[0].text  # the paragraph naming it comes with its definition
    corpus = _corpus_text(library)
    for sentence in reply.direct:
        assert fold_for_compare(sentence) in corpus
    for quote in reply.quotes:
        for line in quote.text.split("\n"):
            assert fold_for_compare(line) in corpus
        assert quote.source.title and quote.source.year
    assert 1 <= len(reply.quotes) <= 3


@pytest.mark.parametrize(
    "question, number",
    [("三涧溪村2021年村集体收入是多少？", "829万元"), ("槐荫区有多少党员？", "2.7万名"),
     ("How many first secretaries did Jinan send?", "2278人"), ("How many party members does Huaiyin have?", "2.7万名")],
)
def test_count_question_quotes_the_sentence_with_the_number(engine, question, number):
    reply = ask(engine, question)
    assert any(number in s for s in reply.direct)


@pytest.mark.parametrize(
    "question",
    ["明天上海会下雨吗？", "3388工程是什么？", "如何学习Python编程？", "北京的红色物业怎么样", "杭州的红色物业怎么样？",
     "asdf qwer zxcv", "给我讲个笑话", "Does Beijing have red property?", "What is Python programming?"],
)
def test_questions_the_articles_do_not_answer_are_declined(engine, question):
    reply = ask(engine, question)
    assert reply.kind is ReplyKind.NO_ANSWER and not reply.answered and not reply.quotes
    assert 2 <= len(reply.suggestions) <= 3


def test_english_reply_ui_follows_the_question(engine):
    reply = ask(engine, "What is the 1226 project?")
    assert reply.lang == "en" and reply.answered
    assert reply.intro.startswith("Here is")
    assert "1226" in reply.quotes[0].text


def test_follow_up_resolves_against_the_previous_topic(engine):
    ask(engine, "葫芦套村靠什么致富？")
    reply = ask(engine, "村支书是谁？")
    assert reply.answered and "杨文平" in reply.quotes[0].text
    assert "葫芦套" in reply.query  # searched with the previous turn's topic
    other_chat = ask(engine, "村支书是谁？", chat="someone-else")
    assert "葫芦套" not in other_chat.query
    ask(engine, "暖新之家有多大？")
    reply = ask(engine, "谁是它的主理人？")
    assert reply.answered and "吕雪芹" in reply.quotes[0].text


def test_more_pages_and_article_pages(engine):
    first = ask(engine, "乡村振兴")
    assert first.has_more
    more = ask(engine, "更多")
    assert more.kind is ReplyKind.MORE
    assert {q.text for q in more.quotes}.isdisjoint({q.text for q in first.quotes})
    article = ask(engine, "原文")
    assert article.kind is ReplyKind.ARTICLE and article.page == 1 and article.pages >= 2
    assert article.quotes[0].source.article == first.quotes[0].source.article
    nxt = ask(engine, "更多")
    assert nxt.kind is ReplyKind.ARTICLE and nxt.page == 2


def test_more_without_a_question(engine):
    assert ask(engine, "更多", chat="fresh").kind is ReplyKind.NOTICE


def test_greeting_and_help(engine):
    for text in ("你好", "help", "/start"):
        reply = ask(engine, text)
        assert reply.kind is ReplyKind.HELP and len(reply.suggestions) >= 3


def test_state_expires_after_idle_time(library):
    now = [0.0]
    engine = Engine(library, ttl_s=60)
    engine.conversations.clock = lambda: now[0]
    ask(engine, "葫芦套村靠什么致富？")
    now[0] = 61.0
    assert ask(engine, "更多").kind is ReplyKind.NOTICE


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "🙂🙂🙂", "\x00\x07\x1b[31m", "你" * 10_000, "'; DROP TABLE queries; --",
     "<script>alert('x')</script>", "暖新之家 where is it？ ของ", "\u202e1226\u202c工程"],
)
def test_bad_input_gets_a_clear_reply(engine, text):
    reply = ask(engine, text)
    assert reply.kind in (ReplyKind.INVALID, ReplyKind.NO_ANSWER, ReplyKind.ANSWER)
    assert reply.intro
    assert not reply.error
    if reply.kind is not ReplyKind.ANSWER:
        assert reply.suggestions


def test_every_exchange_is_logged_and_feedback_recorded(library):
    sink = MemorySink()
    engine = Engine(library, sink=sink)
    reply = ask(engine, "暖新之家有多大？")
    assert sink.exchanges[-1].exchange_id == reply.exchange_id
    assert sink.exchanges[-1].answered and sink.exchanges[-1].passages
    assert engine.feedback(Incoming("👍", chat_id="t1", channel="cli"), up=True)
    assert sink.feedback[-1].exchange_id == reply.exchange_id and sink.feedback[-1].up
    assert not engine.feedback(Incoming("👍", chat_id="nobody", channel="cli"), up=True)


def test_sink_failure_never_breaks_answering(library):
    class Broken(MemorySink):
        def record_exchange(self, exchange):
            raise RuntimeError("database is locked")

    reply = ask(Engine(library, sink=Broken()), "暖新之家有多大？")
    assert reply.answered


def test_reload_reports_changes_and_skips_broken_files(corpus_copy: Path):
    engine = Engine(build_library(corpus_copy), sink=MemorySink())
    (corpus_copy / "articles" / "broken.txt").write_bytes(b"\x00\xff\x00" * 100)
    (corpus_copy / "articles" / "new.txt").write_text("清泉社区议事会\n\n清泉社区成立“板凳议事会”，解决停车难题。\n", encoding="utf-8")
    (corpus_copy / "articles" / "004_d207ff537ff86cfc.txt").unlink()
    report = engine.reload(who="admin", origin="cli")
    assert report.ok and report.added == ["new"] and report.removed == ["004_d207ff537ff86cfc"]
    assert ("broken.txt", "binary file (NUL bytes)") in report.skipped
    assert ask(engine, "板凳议事会是什么").answered


def test_failed_reload_keeps_the_old_index(corpus_copy: Path):
    engine = Engine(build_library(corpus_copy), sink=MemorySink())
    for path in (corpus_copy / "articles").iterdir():
        path.write_bytes(b"")
    report = engine.reload()
    assert not report.ok and "no readable article" in report.error
    assert ask(engine, "暖新之家有多大？").answered


def test_no_passage_is_quoted_twice_in_one_reply(engine):
    for question in ("章丘的“5+4”工作思路是什么？", "1226工程是什么？", "乡村振兴"):
        lines = [line for q in ask(engine, question).quotes for line in q.text.split("\n")]
        assert len(lines) == len(set(lines)), question


def test_every_example_question_is_answered(engine):
    for lang in ("zh", "en"):
        examples = engine.examples(lang, limit=None)
        assert len(examples) >= 3
        for question in examples:
            assert ask(engine, question).answered, question


def test_suggestions_prefer_examples_near_the_question(engine):
    reply = ask(engine, "北京的红色物业怎么样")
    assert not reply.answered and "红色物业" in reply.suggestions[0]


def test_follow_up_chains_do_not_grow_the_query(engine):
    ask(engine, "葫芦套村靠什么致富？")
    for _ in range(6):
        reply = ask(engine, "它的村支书是谁？")
    assert len(reply.query) < 200


@pytest.mark.parametrize(
    "first, follow_up, expected",
    [
        ("1226工程是什么？", "它有什么特点？", "两个鲜明特点"),
        ("三涧溪村怎么样？", "村里有多少党员？", "145名党员"),
        ("暖新之家有多大？", "谁是它的主理人？", "吕雪芹"),
        ("章丘的5+4工作思路是什么？", "其中的4是指什么", "4大改革攻坚行动"),
    ],
)
def test_follow_ups_named_in_the_issue(engine, first, follow_up, expected):
    ask(engine, first, chat=first)
    reply = ask(engine, follow_up, chat=first)
    assert reply.answered and expected in reply.quotes[0].text


def test_direct_answer_comes_from_the_passage_found_not_its_context(engine):
    reply = ask(engine, "1226工程是什么？")
    assert reply.direct[0].startswith("“1”即一个目标")


def test_a_long_sentence_is_narrowed_to_the_clauses_that_answer(engine, library):
    reply = ask(engine, "暖新之家有多大？")
    (direct,) = reply.direct
    assert "300平方米" in direct and len(direct) <= 90
    assert fold_for_compare(direct) in _corpus_text(library)  # still verbatim
    definition = ask(engine, "1226工程是什么？").direct[0]
    assert definition.endswith("在以点带面上攻坚。")  # a definition is not cut short
