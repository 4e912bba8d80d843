"""Replay and forgery at the WeChat callback (issue 9, WeChat items 1 and 2).

A captured ``(timestamp, nonce, signature)`` triple must not open the door: the
timestamp is only good for a window around now, each (timestamp, nonce) pair
carries one message, and with an EncodingAESKey only safe-mode requests count.
WeChat's own retry (the very same request again) still gets the same reply,
computed once.  The server's clock is injected: nothing here sleeps.
"""

from __future__ import annotations

import pytest
from test_wechat_peer import AES_KEY, FakeEngine, event_xml, peer_for, text_xml

from bot.channels.wechat.replay import ReplayGuard, message_digest

NOW = 1_800_000_000.0  # the server's clock in these tests


def frozen() -> float:
    return NOW


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.mark.parametrize("skew", [-301, 301, -100_000_000])
def test_a_stale_or_future_timestamp_is_refused(engine: FakeEngine, skew: int) -> None:
    with peer_for(engine, clock=frozen) as peer:
        peer.now = lambda: NOW + skew
        assert peer.post(text_xml("槐荫", msg_id=1)).status_code == 403
        assert peer.verify("echo").status_code == 403
    assert engine.calls == []


@pytest.mark.parametrize("skew", [-300, 0, 299])
def test_a_timestamp_inside_the_window_is_accepted(engine: FakeEngine, skew: int) -> None:
    with peer_for(engine, clock=frozen) as peer:
        peer.now = lambda: NOW + skew
        assert "回答：槐荫" in peer.read(peer.post(text_xml("槐荫", msg_id=1))).content
        assert peer.verify("echo").text == "echo"


def test_a_timestamp_that_is_not_a_number_is_refused(engine: FakeEngine) -> None:
    with peer_for(engine, clock=frozen) as peer:
        assert peer.post(text_xml("槐荫"), stamp=("1.8e9", "77")).status_code == 403
        assert peer.post(text_xml("槐荫"), stamp=(" 1800000000", "78")).status_code == 403
    assert engine.calls == []


def test_a_captured_triple_cannot_carry_another_message(engine: FakeEngine) -> None:
    """The probe: one signed triple, then forged FromUserName and questions under it."""
    with peer_for(engine, clock=frozen) as peer:
        peer.now = frozen
        assert peer.post(text_xml("原问题", user="oVictim", msg_id=10)).status_code == 200
        captured = peer.last_stamp
        forgeries = [
            text_xml("更多", user="oVictim", msg_id=11),  # read the victim's next page
            text_xml("👎", user="oVictim", msg_id=12),  # vote in their name
            text_xml("伪造的问题", user="oAttacker", msg_id=10),  # write into the log
            text_xml("原问题", user="oVictim", msg_id=10, create_time=1),  # same MsgId, other body
            event_xml("subscribe", user="oVictim"),
        ]
        assert [peer.post(xml, stamp=captured).status_code for xml in forgeries] == [403] * len(forgeries)
    assert [c.text for c in engine.calls] == ["原问题"] and engine.feedbacks == []


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_wechats_own_retry_gets_the_same_reply_computed_once(engine: FakeEngine, mode: str) -> None:
    """WeChat retries the same request (same timestamp, nonce, message); in safe mode re-sealed."""
    with peer_for(engine, mode=mode, clock=frozen) as peer:
        peer.now = frozen
        xml = text_xml("天桥区", msg_id=21)
        first = peer.read(peer.post(xml)).content
        stamp = peer.last_stamp
        peer.now = lambda: NOW + 4  # the retries come a few seconds later
        retries = [peer.read(peer.post(xml, stamp=stamp)).content for _ in range(3)]
    assert retries == [first] * 3 and "回答：天桥区" in first
    assert len(engine.calls) == 1


def test_with_the_key_set_only_safe_mode_requests_are_accepted(engine: FakeEngine) -> None:
    with peer_for(engine, mode="plain", server_key=AES_KEY) as peer:
        plain = peer.post(text_xml("明文问题", msg_id=31))
        assert plain.status_code == 403 and "明文问题" not in plain.text
        assert peer.post(text_xml("明文问题", msg_id=32), encrypt_type="raw").status_code == 403
        peer.mode = "compatible"
        unsigned = peer.post(text_xml("兼容问题", msg_id=33), msg_signature="")
        assert unsigned.status_code == 403
        peer.mode = "safe"
        assert "回答：密文问题" in peer.read(peer.post(text_xml("密文问题", msg_id=34))).content
    assert [c.text for c in engine.calls] == ["密文问题"]


def test_two_users_with_the_same_msgid_get_their_own_replies(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        alice = peer.ask("槐荫区的党员有多少？", user="oAlice", msg_id=4242)
        bob = peer.ask("章丘的1226工程是什么？", user="oBob", msg_id=4242)
    assert "槐荫" in alice and "1226" in bob and "槐荫" not in bob
    assert [c.user_id for c in engine.calls] == ["oAlice", "oBob"]


# --- the guard itself ------------------------------------------------------------------


def test_guard_window_and_pair_memory() -> None:
    now = [NOW]
    guard = ReplayGuard(window_s=300, clock=lambda: now[0])
    ts = str(int(NOW))
    assert guard.fresh(ts) and guard.fresh(str(int(NOW) - 300)) and not guard.fresh(str(int(NOW) + 301))
    assert not guard.fresh("") and not guard.fresh("-5") and not guard.fresh("１８００")
    a, b = message_digest({"MsgId": "1", "Content": "a"}), message_digest({"MsgId": "1", "Content": "b"})
    assert a == message_digest({"Content": "a", "MsgId": "1"}) and a != b
    assert guard.admit(ts, "n1", a) and guard.admit(ts, "n1", a)  # the same message again: a retry
    assert not guard.admit(ts, "n1", b)  # another message under a used pair
    assert guard.admit(ts, "n2", b)
    now[0] = NOW + 301  # the pair's timestamp is out of the window: it is forgotten …
    assert guard.admit(str(int(now[0])), "n3", a) and len(guard) == 1
    assert not guard.fresh(ts)  # … and can't come back: it is stale now


def test_guard_memory_is_bounded() -> None:
    guard = ReplayGuard(window_s=300, clock=frozen, max_entries=3)
    for n in range(10):
        assert guard.admit(str(int(NOW)), f"n{n}", "d")
    assert len(guard) == 3
