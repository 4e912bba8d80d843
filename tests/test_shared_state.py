"""Conversation state behind a store: in memory, and in SQLite and PostgreSQL shared by engines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from storage_support import KEY

from bot.conversation import MAX_RATABLE, ChatState, MemoryStates
from bot.engine import Engine
from bot.messages import Incoming, Quote, ReplyKind, Source
from bot.records import MemorySink
from bot.state import DatabaseStates, open_states, shared_state
from bot.state.codec import reply_from_json, reply_to_json, state_from_json, state_to_json
from bot.storage import Store
from bot.storage.state_models import ChatStateRow
from retrieval.library import Library


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url, id_hash_key=KEY, retry_s=(0.02, 0.2))
    yield store
    store.close()


def _say(engine: Engine, text: str, chat: str = "chat-7", user: str = "u1", channel: str = "wechat"):
    return engine.handle(Incoming(text, chat_id=chat, user_id=user, channel=channel))


def _full_state() -> ChatState:
    state = ChatState(topic="暖新之家 多大", question="暖新之家有多大？", entity="暖新之家", places=["槐荫区"], lang="zh")
    source = Source("001_x", "“暖新之家”<温暖>骑手", year="2023", section="要闻", source="济南日报")
    state.quotes = [Quote("300平方米\n开放式空间", source, 4, 7.25, ("暖新之家", "平方米"), "300平方米……")]
    state.shown, state.article, state.article_page, state.mode = 1, "001_x", 2, "article"
    state.last_exchange = "ex-last"
    state.last_answer_exchange = "ex-1"
    state.last_answer_exchange = "ex-2"
    state.record_vote("ex-1", "u1", False, "不准确")
    return state


def test_state_round_trips_through_json() -> None:
    state = _full_state()
    again = state_from_json(state_to_json(state))
    assert again.quotes == state.quotes and again.quotes[0].terms == ("暖新之家", "平方米")
    assert list(again.answers_shown) == ["ex-1", "ex-2"] and again.answers_shown.maxlen == MAX_RATABLE
    assert again.votes == {"ex-1": {"u1": (False, "不准确")}}
    for name in ("topic", "question", "entity", "places", "lang", "shown", "article", "article_page", "mode",
                 "last_exchange", "last_answer_exchange"):  # fmt: skip
        assert getattr(again, name) == getattr(state, name), name
    assert again.record_vote("ex-1", "u1", False, "不准确") is False  # the same vote again: nothing new
    assert again.record_vote("ex-9", "u1", True) is None  # never shown here


def test_reply_round_trips_through_json(bm25_library: Library) -> None:
    reply = _say(Engine(bm25_library), "暖新之家有多大？")
    again = reply_from_json(reply_to_json(reply))
    assert again == reply and again.kind is ReplyKind.ANSWER


def test_memory_states_expire_and_stay_bounded() -> None:
    now = [0.0]
    states = MemoryStates(clock=lambda: now[0], limit=2)
    first = ChatState(topic="a")
    states.save("cli", "1", first, ttl_s=10)
    assert states.load("cli", "1") is first  # the same object: nothing copied in one process
    now[0] = 11
    assert states.load("cli", "1") is None
    for chat in ("2", "3", "4"):
        states.save("cli", chat, ChatState(topic=chat), ttl_s=100)
    assert states.load("cli", "2") is None and states.load("cli", "4").topic == "4"  # the oldest went
    states.drop("cli", "4")
    assert states.load("cli", "4") is None


def test_database_states_save_load_expire_drop(store: Store) -> None:
    states = open_states(store)
    assert isinstance(states, DatabaseStates)
    assert states.load("telegram", "42") is None
    states.save("telegram", "42", _full_state(), ttl_s=60)
    states.save("telegram", "42", _full_state(), ttl_s=60)  # saved again: replaced, not duplicated
    loaded = states.load("telegram", "42")
    assert loaded is not None and loaded.quotes == _full_state().quotes and loaded.votes
    assert states.load("wechat", "42") is None  # another channel's chat of the same id
    with store.session() as session:
        keys = session.execute(select(ChatStateRow.channel, ChatStateRow.chat_id)).all()
    assert keys == [("telegram", store.mask("42"))] and "42" not in keys[0][1]  # the chat id hashed
    states.save("telegram", "43", ChatState(topic="x"), ttl_s=-1)  # already over
    assert states.load("telegram", "43") is None
    states.drop("telegram", "42")
    assert states.load("telegram", "42") is None


def test_no_store_means_memory() -> None:
    assert isinstance(open_states(None), MemoryStates) and shared_state(None) is None


def test_a_follow_up_on_another_engine_resolves(store: Store, bm25_library: Library) -> None:
    """Two workers on one database: A answers the question, B gets the follow-up."""
    a = Engine(bm25_library, states=open_states(store))
    b = Engine(bm25_library, states=open_states(store))
    first = _say(a, "暖新之家有多大？")
    assert first.answered
    follow = _say(b, "它在哪里？")
    assert follow.answered and "暖新之家" in follow.query
    assert "纬五路" in " ".join(q.text for q in follow.quotes)
    alone = _say(Engine(bm25_library), "它在哪里？")  # the control: a worker that keeps state to itself
    assert "暖新之家" not in alone.query
    more = _say(a, "更多")  # and back on A: B's turn is A's state now
    assert more.kind in (ReplyKind.MORE, ReplyKind.NOTICE) and "它在哪里" not in more.query


def test_state_survives_a_restart(db_url: str, bm25_library: Library) -> None:
    store = Store(db_url, id_hash_key=KEY)
    _say(Engine(bm25_library, states=open_states(store)), "暖新之家有多大？", chat="c9")
    store.close()
    again = Store(db_url, id_hash_key=KEY)
    follow = _say(Engine(bm25_library, states=open_states(again)), "它在哪里？", chat="c9")
    again.close()
    assert follow.answered and "暖新之家" in follow.query


def test_feedback_on_another_engine_counts_once(store: Store, bm25_library: Library) -> None:
    sink_a, sink_b = MemorySink(), MemorySink()
    a = Engine(bm25_library, sink=sink_a, states=open_states(store))
    b = Engine(bm25_library, sink=sink_b, states=open_states(store))
    answer = _say(a, "暖新之家有多大？", chat="c5", user="u5")
    vote = Incoming("👍", chat_id="c5", user_id="u5", channel="wechat")
    assert b.feedback(vote, up=True)  # B knows the answer A showed in this chat
    assert a.feedback(vote, up=True)  # the same vote again, on A: accepted, not stored twice
    assert [f.exchange_id for f in sink_a.feedback + sink_b.feedback] == [answer.exchange_id]
    assert not b.feedback(Incoming("👍", chat_id="other", user_id="u5", channel="wechat"), up=True)


def test_every_turn_saves_once_and_help_saves_nothing(bm25_library: Library) -> None:
    saves: list[tuple[str, str]] = []

    class Counting(MemoryStates):
        def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
            saves.append((channel, chat_id))
            super().save(channel, chat_id, state, ttl_s)

    engine = Engine(bm25_library, states=Counting())
    _say(engine, "你好")
    assert saves == []
    _say(engine, "暖新之家有多大？")
    _say(engine, "更多")
    assert saves == [("wechat", "chat-7")] * 2


def test_a_state_store_that_fails_never_breaks_the_answer(bm25_library: Library, capfd: pytest.CaptureFixture[str]) -> None:
    class Down:
        def load(self, channel: str, chat_id: str) -> ChatState | None:
            raise ConnectionError("database away")

        def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
            raise ConnectionError("database away")

        def drop(self, channel: str, chat_id: str) -> None:
            raise ConnectionError("database away")

    reply = _say(Engine(bm25_library, states=Down()), "暖新之家有多大？")
    assert reply.answered and not reply.error
    err = capfd.readouterr().err
    assert "conversation state unavailable" in err and "could not save the conversation state" in err


def test_database_states_ride_out_a_server_outage(own_postgres, capfd: pytest.CaptureFixture[str]) -> None:
    from bot.storage.shared import PAUSE_S, SharedState

    store = Store(own_postgres.create_database(), id_hash_key=KEY)
    now = [0.0]
    states = DatabaseStates(SharedState(store.engine, store.mask, clock=lambda: now[0]))
    states.save("wechat", "c1", ChatState(topic="暖新之家"), ttl_s=600)
    own_postgres.stop()
    assert states.load("wechat", "c1") is None  # afresh, not an error
    assert states.shared.paused_until == PAUSE_S  # the next calls fail at once, without a connection attempt
    states.save("wechat", "c1", ChatState(topic="lost"), ttl_s=600)  # paused: not even tried
    own_postgres.start()
    assert states.load("wechat", "c1") is None  # still paused
    now[0] += PAUSE_S + 1
    loaded = states.load("wechat", "c1")
    assert loaded is not None and loaded.topic == "暖新之家"
    store.close()
    lines = [line for line in capfd.readouterr().err.splitlines() if "conversation state" in line]
    assert len(lines) == 2 and "unavailable" in lines[0] and "available again" in lines[1]
