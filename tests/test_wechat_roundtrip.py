"""Round trips through the real HTTP app and the real Engine over the bundled corpus.

wechatpy plays WeChat (signing, encrypting, decrypting and parsing); each reply
is compared with what the engine says to the same questions in another chat.
"""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import pytest
from test_wechat_peer import FakeEngine, event_xml, peer_for, services, text_xml

from bot.app import Services
from bot.channels.wechat.dispatch import FALLBACK
from bot.channels.wechat.render import LIMIT_BYTES, render_page, utf8_len
from bot.config import Settings
from bot.engine import Engine
from bot.http_app import build_http_app
from bot.messages import Incoming, Reply, ReplyKind
from bot.records import MemorySink

EVAL = Path(__file__).parent / "eval"


def rows(name: str) -> list[dict[str, str]]:
    with open(EVAL / name, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="module")
def sink() -> MemorySink:
    return MemorySink()


@pytest.fixture(scope="module")
def engine(sink: MemorySink) -> Engine:
    return Engine.from_corpus(Settings().corpus_dir, sink=sink)


def reference(engine: Engine, chat: str, *texts: str) -> Reply:
    """The engine's reply to the last of ``texts`` in a chat of its own."""
    reply = None
    for text in texts:
        reply = engine.handle(Incoming(text, chat_id=chat, user_id=chat, channel="reference"))
    assert reply is not None
    return reply


def drain(peer, user: str, first: str, msg_base: int) -> list[str]:  # type: ignore[no-untyped-def]
    """``first``, then "更多" until there is nothing more: every message the user sees."""
    seen = [peer.ask(first, user=user, msg_id=msg_base)]
    for n in range(1, 30):
        if "回复“更多”" not in seen[-1]:
            return seen
        seen.append(peer.ask("更多", user=user, msg_id=msg_base + n))
    raise AssertionError("更多 never ended")


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_dev_questions_round_trip(engine: Engine, sink: MemorySink, mode: str) -> None:
    questions = rows("dev_questions.tsv")
    found = 0
    with peer_for(engine, mode=mode) as peer:
        for i, row in enumerate(questions):
            user = f"o{mode}{row['id']}"
            content = peer.ask(row["question"], user=user, msg_id=10_000 + i)
            expected = reference(engine, f"ref-{mode}-{row['id']}", row["question"])
            assert utf8_len(content) < LIMIT_BYTES
            assert content == render_page(expected).text
            if expected.answered:
                assert expected.best is not None
                assert expected.best.only_source or expected.best.display[:20] in content
                assert expected.best.source.label() in content
            found += any(key in content for key in row["keys"].split("|"))
            last = sink.exchanges[-2]  # the WeChat exchange, then the reference one
            assert (last.channel, last.chat_id, last.message) == ("wechat", user, row["question"])
    print(f"\n{mode}: keys in the first WeChat message for {found}/{len(questions)} dev questions")


def test_follow_up_questions(engine: Engine) -> None:
    with peer_for(engine) as peer:
        for i, row in enumerate(rows("dev_conversations.tsv")):
            turns = row["turns"].split("||")
            for t, turn in enumerate(turns):
                content = peer.ask(turn, user=f"oconv{i}", msg_id=20_000 + 10 * i + t)
            expected = reference(engine, f"ref-conv{i}", *turns)
            assert expected.answered and content == render_page(expected).text


def test_更多_shows_every_passage_the_engine_found(engine: Engine) -> None:
    question = rows("dev_questions.tsv")[0]["question"]
    with peer_for(engine) as peer:
        seen = drain(peer, "omore", question, 30_000)
    assert all(utf8_len(text) < LIMIT_BYTES for text in seen)
    passages = list(reference(engine, "ref-more", question).quotes)
    while True:  # the reference chat pages through everything with 更多
        more = reference(engine, "ref-more", "更多")
        if more.kind != ReplyKind.MORE:
            break
        passages += more.quotes
    assert len(passages) > 1
    everything = "\n".join(seen)
    # none skipped; a first screen's excerpt is verbatim pieces, every later page whole passages
    assert all(piece.strip() in everything for q in passages for piece in q.display.split("……"))
    assert all(q.text.strip() in everything for q in passages[1:])


def logged(sink: MemorySink, user: str) -> list[tuple[str, str]]:
    return [(e.message, e.kind) for e in sink.exchanges if e.chat_id == user and e.channel == "wechat"]


def wait_answered(sink: MemorySink, user: str, question: str) -> None:
    """Until the engine has answered (and logged) ``question``: a cold engine takes its time."""
    deadline = time.monotonic() + 20
    while question not in [m for m, _ in logged(sink, user)]:
        assert time.monotonic() < deadline, "the engine never answered"
        time.sleep(0.01)


def test_every_message_is_an_exchange_更多_from_the_outbox_too(engine: Engine, sink: MemorySink) -> None:
    """The first "更多" after an answer is served from the channel's outbox, not by the engine."""
    question = rows("dev_questions.tsv")[0]["question"]
    with peer_for(engine) as peer:
        seen = drain(peer, "ologged", question, 31_000)
        stamp = peer.last_stamp  # WeChat retries the last "更多": answered and logged once
        retry = peer.read(peer.post(text_xml("更多", "ologged", 31_000 + len(seen) - 1), stamp=stamp))
    assert retry.content == seen[-1] and len(seen) >= 2
    exchanges = [e for e in sink.exchanges if e.chat_id == "ologged"]
    assert [e.message for e in exchanges] == [question] + ["更多"] * (len(seen) - 1)
    assert exchanges[0].kind == "answer" and {e.kind for e in exchanges[1:]} <= {"more", "notice"}
    served = exchanges[1]  # the rest of the first answer, from the outbox
    assert served.kind == "more" and served.answered and served.passages and served.best_text in seen[1]
    assert len({e.exchange_id for e in exchanges}) == len(exchanges)


def test_原文_reads_the_whole_first_page(engine: Engine) -> None:
    question = rows("dev_questions.tsv")[1]["question"]
    with peer_for(engine, mode="safe") as peer:
        peer.ask(question, user="oarticle", msg_id=40_000)
        first = peer.ask("原文", user="oarticle", msg_id=40_001)
        seen = [first]
        while "回复“更多”继续阅读" in seen[-1] and seen[-1].startswith(("原文", "（续）")) and len(seen) < 10:
            seen.append(peer.ask("更多", user="oarticle", msg_id=40_000 + len(seen) + 1))
    page = reference(engine, "ref-article", question, "原文")
    assert page.kind == ReplyKind.ARTICLE and first.startswith(page.intro)
    everything = "\n".join(seen)
    assert all(q.text.strip() in everything for q in page.quotes)
    assert all(utf8_len(text) < LIMIT_BYTES for text in seen)


def test_feedback_goes_to_the_last_answer(engine: Engine, sink: MemorySink) -> None:
    with peer_for(engine) as peer:
        assert "暂时没有" in peer.ask("👍", user="ofeedback", msg_id=50_000)
        peer.ask(rows("dev_questions.tsv")[2]["question"], user="ofeedback", msg_id=50_001)
        answer = next(e for e in reversed(sink.exchanges) if e.chat_id == "ofeedback")
        assert "已记录" in peer.ask("没用", user="ofeedback", msg_id=50_002)
    record = sink.feedback[-1]
    assert (record.exchange_id, record.up, record.channel, record.chat_id) == (
        answer.exchange_id, False, "wechat", "ofeedback"
    )


def test_subscribe_welcome_lists_the_engine_examples(engine: Engine) -> None:
    with peer_for(engine) as peer:
        welcome = peer.read(peer.post(event_xml("subscribe", user="onew", create_time=60_000))).content
    assert engine.examples() and all(q in welcome for q in engine.examples())


class SlowEngine:
    """The real engine behind a gate: handle() waits until released."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.release = threading.Event()

    def handle(self, msg: Incoming) -> Reply:
        self.release.wait(20)
        return self.engine.handle(msg)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.engine, name)


def test_slow_answer_gets_the_fallback_then_arrives_on_更多(engine: Engine, sink: MemorySink) -> None:
    question = rows("dev_questions.tsv")[3]["question"]
    slow = SlowEngine(engine)
    with peer_for(slow, deadline_s=0.3) as peer:
        assert peer.ask(question, user="oslow", msg_id=70_000) == FALLBACK["zh"]
        slow.release.set()
        wait_answered(sink, "oslow", question)
        late = peer.ask("更多", user="oslow", msg_id=70_001)
    assert late == render_page(reference(engine, "ref-slow", question)).text
    assert logged(sink, "oslow") == [(question, "answer"), ("更多", "more")]


def test_更多_while_the_answer_is_still_computing_is_logged(engine: Engine, sink: MemorySink) -> None:
    question = rows("dev_questions.tsv")[4]["question"]
    slow = SlowEngine(engine)
    with peer_for(slow, deadline_s=0.2) as peer:
        assert peer.ask(question, user="opatient", msg_id=71_000) == FALLBACK["zh"]
        assert peer.ask("更多", user="opatient", msg_id=71_001) == FALLBACK["zh"]  # still not ready
        slow.release.set()
        wait_answered(sink, "opatient", question)
        assert "《" in peer.ask("更多", user="opatient", msg_id=71_002)
    assert logged(sink, "opatient") == [("更多", "notice"), (question, "answer"), ("更多", "more")]


def test_services_wiring_serves_wechat_and_not_without_token(engine: Engine) -> None:
    settings = Settings(wechat_token="t0ken", wechat_path="/wx")
    app = build_http_app(Services(settings=settings, engine=engine, sink=MemorySink()))
    assert {getattr(r, "path", "") for r in app.routes} >= {"/wx", "/healthz"}
    bare = build_http_app(services(FakeEngine(), wechat_token=""))
    assert {getattr(r, "path", "") for r in bare.routes} == {"/healthz"}
