"""The WeChat callback protocol over real HTTP, with wechatpy as WeChat (fake engine)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import xmltodict
from test_wechat_peer import ACCOUNT, FakeEngine, event_xml, image_xml, peer_for, text_xml

from bot.channels.wechat.dispatch import FALLBACK, TEXT_ONLY
from bot.channels.wechat.render import LIMIT_BYTES
from bot.messages import Incoming, Quote, Reply, ReplyKind, Source

BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<xml><ToUserName>gh</ToUserName><FromUserName>oUser1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>5</MsgId></xml>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oUser1</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>6</MsgId></xml>"""


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


def test_url_verification(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        ok = peer.verify("echo-123")
        assert ok.status_code == 200 and ok.text == "echo-123"
        forged = peer.verify("echo-123", signature="0" * 40)
        assert forged.status_code == 403 and "echo-123" not in forged.text
        unsigned = peer.client.get(peer.base_url + "/wechat", params={"echostr": "x"})
        assert unsigned.status_code == 403


def test_forged_signature_is_refused_and_nothing_processed(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        assert peer.post(text_xml("槐荫"), signature="f" * 40).status_code == 403
    with peer_for(engine, mode="safe") as peer:
        assert peer.post(text_xml("槐荫"), msg_signature="f" * 40).status_code == 403
    assert engine.calls == []


def test_plain_text_round_trip(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        content = peer.ask("槐荫区怎样抓党建？", user="oAlice")
    assert "回答：槐荫区怎样抓党建？" in content and "《测试文章》" in content
    assert "回复“更多”查看更多相关段落" in content
    assert engine.calls == [Incoming("槐荫区怎样抓党建？", chat_id="oAlice", user_id="oAlice", channel="wechat")]


def test_safe_mode_round_trip(engine: FakeEngine) -> None:
    with peer_for(engine, mode="safe") as peer:
        response = peer.post(text_xml("章丘的做法", msg_id=31))
        envelope = xmltodict.parse(response.text)["xml"]
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
        assert "章丘" not in response.text  # nothing in the clear
        reply = peer.read(response)
    assert reply.target == "oUser1" and "回答：章丘的做法" in reply.content


@pytest.mark.parametrize("server_key", ["with-key", "no-key"])
def test_compatible_mode(engine: FakeEngine, server_key: str) -> None:
    key = None if server_key == "with-key" else ""
    with peer_for(engine, mode="compatible", server_key=key) as peer:
        reply = peer.read(peer.post(text_xml("历下区", msg_id=41)), encrypted=server_key == "with-key")
    assert "回答：历下区" in reply.content and len(engine.calls) == 1


def test_replayed_msgid_is_answered_once(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        replies = [peer.read(peer.post(text_xml("天桥区", msg_id=51))).content for _ in range(3)]
    assert replies[0] == replies[1] == replies[2]
    assert len(engine.calls) == 1


class GatedEngine(FakeEngine):
    """Blocks in handle() until released: a slow engine."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def handle(self, msg: Incoming) -> Reply:
        self.entered.set()
        self.release.wait(20)
        return super().handle(msg)


def test_retry_while_computing_waits_for_the_same_answer() -> None:
    engine = GatedEngine()
    with peer_for(engine) as peer, ThreadPoolExecutor(2) as pool:
        first = pool.submit(peer.post, text_xml("慢问题", msg_id=61))
        assert engine.entered.wait(10)
        retry = pool.submit(peer.post, text_xml("慢问题", msg_id=61))
        time.sleep(0.2)  # let the retry reach the server while the first is computing
        engine.release.set()
        contents = [peer.read(f.result()).content for f in (first, retry)]
    assert contents[0] == contents[1] and "回答：慢问题" in contents[0]
    assert len(engine.calls) == 1


def test_slow_engine_gets_the_fallback_and_更多_delivers_the_answer() -> None:
    engine = GatedEngine()
    with peer_for(engine, deadline_s=0.3) as peer:
        assert peer.ask("慢问题", msg_id=71) == FALLBACK["zh"]
        assert peer.ask("slow question", msg_id=72) == FALLBACK["en"]  # a new question drops the old
        engine.release.set()
        late = peer.ask("更多", msg_id=73)
        assert "回答：slow question" in late
        assert sorted(c.text for c in engine.calls) == ["slow question", "慢问题"]  # "更多" not sent on
        peer.ask("更多", msg_id=74)  # nothing pending any more: the engine gets it
    assert [c.text for c in engine.calls][-1] == "更多"


def test_subscribe_and_unsubscribe(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        welcome = peer.read(peer.post(event_xml("subscribe", create_time=81))).content
        again = peer.read(peer.post(event_xml("subscribe", create_time=81))).content
        bye = peer.post(event_xml("unsubscribe", create_time=82))
    assert welcome == again
    assert all(q in welcome for q in engine.examples())
    assert bye.status_code == 200 and bye.text == "success"
    assert engine.calls == []


def test_image_message_gets_text_only_reply(engine: FakeEngine) -> None:
    with peer_for(engine, mode="safe") as peer:
        assert peer.read(peer.post(image_xml())).content == TEXT_ONLY
    assert engine.calls == []


@pytest.mark.parametrize("payload", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_hostile_xml_is_rejected_without_harm(engine: FakeEngine, payload: str) -> None:
    with peer_for(engine) as peer:
        refused = peer.post(payload)
        assert refused.status_code == 400
        assert "root:" not in refused.text and "lol" not in refused.text
        assert "回答：还在" in peer.ask("还在吗")  # the server still answers
    assert [c.text for c in engine.calls] == ["还在吗"]


def test_oversized_body_is_rejected(engine: FakeEngine) -> None:
    huge = text_xml("长" * 40_000)
    with peer_for(engine) as peer:
        assert peer.post(huge).status_code == 413

        def chunks():  # no Content-Length: the limit holds while streaming too
            for _ in range(100):
                yield b"<!-- " + b"x" * 1024 + b" -->"

        params = peer._query()
        streamed = peer.client.post(peer.base_url + "/wechat", params=params, content=chunks())
        assert streamed.status_code == 413
    assert engine.calls == []


def test_unknown_xml_is_answered_success(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        for xml in ("<xml><Foo>bar</Foo></xml>", text_xml("x").replace("text", "hologram")):
            response = peer.post(xml)
            assert response.status_code == 200 and response.text == "success"
    assert engine.calls == []


@pytest.mark.parametrize(("word", "up"), [("👍", True), ("有用", True), ("👎🏻", False), ("没用！", False)])
def test_feedback_words(engine: FakeEngine, word: str, up: bool) -> None:
    with peer_for(engine) as peer:
        peer.ask("槐荫区")
        assert "谢谢" in peer.ask(word)
    assert [u for _, u in engine.feedbacks] == [up]
    assert [c.text for c in engine.calls] == ["槐荫区"]


def test_reply_text_with_cdata_end_and_a_long_passage() -> None:
    src = Source(article="a", title="长文", year="2024", section="要闻")
    passage = "党建引领]]>基层治理。" * 400
    reply = Reply(kind=ReplyKind.ANSWER, lang="zh", question="q", answered=True,
                  direct=("党建引领]]>基层治理。",), quotes=[Quote(passage, src, 3)], has_more=True)
    with peer_for(FakeEngine(reply)) as peer:
        content = peer.ask("长问题")
    assert len(content.encode("utf-8")) < LIMIT_BYTES
    assert content.startswith("党建引领]]>基层治理。")
    assert "——《长文》 · 2024 · 要闻" in content and content.endswith("回复“更多”查看更多相关段落")


def test_healthz_and_unknown_paths(engine: FakeEngine) -> None:
    with peer_for(engine) as peer:
        assert httpx.get(peer.base_url + "/healthz").text == "ok"
        assert httpx.get(peer.base_url + "/elsewhere").status_code == 404
    assert ACCOUNT
