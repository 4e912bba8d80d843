"""Units of the WeChat channel: XML safety, CDATA, crypto edge cases, rendering, dedup."""

from __future__ import annotations

import asyncio
import base64
import xml.etree.ElementTree as ET

import pytest
from test_wechat_peer import AES_KEY, APP_ID, text_xml

from bot.channels.wechat.crypto import (
    CryptoError,
    MessageCrypto,
    aes_key,
    check_signature,
    pkcs7_pad,
    pkcs7_unpad,
    sign,
)
from bot.channels.wechat.dedup import OnceCache, message_key
from bot.channels.wechat.dispatch import guess_lang, normalize
from bot.channels.wechat.render import LIMIT_BYTES, cut_to_bytes, render_page, render_reply, utf8_len
from bot.channels.wechat.xml import XmlError, cdata, parse_fields, text_reply
from bot.messages import Quote, Reply, ReplyKind, Source

SRC = Source(article="a", title="党建文章", year="2023", section="综合")


# --- XML -------------------------------------------------------------------------------


def test_parse_fields_reads_a_message() -> None:
    fields = parse_fields(text_xml("你好 & <b>", user="oBob", msg_id=9).encode())
    assert fields["FromUserName"] == "oBob" and fields["Content"] == "你好 & <b>" and fields["MsgId"] == "9"


@pytest.mark.parametrize(
    "body",
    [
        '<!DOCTYPE xml [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>',
        '<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/hostname">]><xml><Content>&e;</Content></xml>',
        '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml/>',
        "<xml><Content>unclosed</xml>",
        "<notxml><Content>x</Content></notxml>",
        "",
    ],
)
def test_parse_fields_refuses(body: str) -> None:
    with pytest.raises(XmlError):
        parse_fields(body.encode())


@pytest.mark.parametrize("text", ["a]]>b", "]]>", "]]]]>>", "x]]>y]]>z", "普通文本"])
def test_cdata_round_trips(text: str) -> None:
    root = ET.fromstring(f"<xml><C>{cdata(text)}</C></xml>")
    assert root.findtext("C") == text


def test_text_reply_drops_characters_xml_cannot_carry() -> None:
    xml = text_reply("oU", "gh", "a\x00b\x1bc\ud800d", 1700000000)
    assert ET.fromstring(xml).findtext("Content") == "abcd"


# --- crypto ----------------------------------------------------------------------------


def test_pkcs7_pads_to_32_and_is_strict() -> None:
    assert len(pkcs7_pad(b"x" * 32)) == 64 and len(pkcs7_pad(b"x" * 31)) == 32
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    for bad in (b"abc\x00", b"ab\x02\x03", b"a" * 31 + b"\x21"):
        with pytest.raises(CryptoError):
            pkcs7_unpad(bad)


@pytest.mark.parametrize("key", ["short", AES_KEY + "A", "!" * 43])
def test_bad_encoding_aes_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        aes_key(key)


def test_tampered_or_garbage_ciphertext_raises_crypto_error() -> None:
    crypto = MessageCrypto(AES_KEY, APP_ID)
    sealed = bytearray(base64.b64decode(crypto.encrypt("<xml>hello</xml>")))
    sealed[-1] ^= 0x55
    for bad in (base64.b64encode(bytes(sealed)).decode(), "not base64 !!", "", "AAAA"):
        with pytest.raises(CryptoError):
            crypto.decrypt(bad)


def test_signature_check_is_exact() -> None:
    good = sign("t", "1", "n", "enc")
    assert check_signature("t", good, "1", "n", "enc")
    assert check_signature("t", good.upper(), "1", "n", "enc")
    assert not check_signature("t", good, "1", "n")
    assert not check_signature("t", good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1", "1", "n", "enc")
    assert not check_signature("t", "签名", "1", "n", "enc")
    assert not check_signature("", sign("", "1", "n"), "1", "n")


# --- rendering -------------------------------------------------------------------------


def answer(passage: str, **kw: object) -> Reply:
    values: dict = dict(kind=ReplyKind.ANSWER, lang="zh", question="q", answered=True,
                        direct=("直接答案。",), quotes=[Quote(passage, SRC, 0)], has_more=True)
    values.update(kw)
    return Reply(**values)


@pytest.mark.parametrize("unit", ["党建工作。", "a", "🇨🇳", "é"])
def test_render_stays_under_the_limit_without_breaking_characters(unit: str) -> None:
    text = render_reply(answer(unit * 3000))
    assert utf8_len(text) < LIMIT_BYTES
    text.encode("utf-8").decode("utf-8")  # whole characters only
    assert text.startswith("直接答案。") and "——《党建文章》 · 2023 · 综合" in text
    assert text.endswith("回复“更多”查看更多相关段落") and "…" in text


def test_cut_to_bytes_never_splits_a_character() -> None:
    text = "济南a🇨🇳é" * 50
    for budget in range(0, 200):
        cut = cut_to_bytes(text, budget)
        assert utf8_len(cut) <= budget
        assert text.startswith(cut.removesuffix("…"))


def test_short_answer_is_complete_and_english_ui_in_english() -> None:
    text = render_reply(answer("槐荫区推行网格党建。", lang="en", has_more=False, intro="From the articles:"))
    assert text.split("\n\n") == [
        "From the articles:", "直接答案。", "「槐荫区推行网格党建。」\n——《党建文章》 · 2023 · 综合",
        "Reply “full text” to read the article",
    ]
    assert "Reply “more”" in render_reply(answer("x", lang="en"))


def test_answer_keeps_the_other_passages_for_更多() -> None:
    quotes = [Quote(f"第{i}段。", SRC, i) for i in range(3)]
    page = render_page(answer("", quotes=quotes, has_more=False))
    assert "第0段" in page.text and "第1段" not in page.text
    assert page.text.endswith("回复“更多”查看更多相关段落")
    assert page.rest is not None and page.rest.kind == ReplyKind.MORE
    assert [q.text for q in page.rest.quotes] == ["第1段。", "第2段。"]
    last = render_page(page.rest)
    assert "第1段" in last.text and "第2段" in last.text and last.rest is None
    assert "回复“更多”" not in last.text  # nothing follows


def test_more_pages_whole_passages() -> None:
    quotes = [Quote(f"第{i}段。" + "内容" * 150, SRC, i) for i in range(4)]
    reply = Reply(kind=ReplyKind.MORE, lang="zh", question="更多", intro="更多相关段落：", quotes=quotes, has_more=True)
    shown: list[str] = []
    page = render_page(reply)
    while True:
        assert utf8_len(page.text) < LIMIT_BYTES and "…" not in page.text
        assert page.text.endswith("回复“更多”查看更多相关段落")  # the engine has more after these
        shown += [q.text for q in quotes if q.text in page.text]
        if page.rest is None:
            break
        page = render_page(page.rest)
    assert shown == [q.text for q in quotes]


def test_article_page_overflow_and_next_page_hint() -> None:
    paragraphs = [Quote(f"第{i}段。" + "文字" * 200, SRC, i) for i in range(4)]
    reply = Reply(kind=ReplyKind.ARTICLE, lang="zh", question="原文", intro="原文《党建文章》第 1/3 页：",
                  quotes=paragraphs, page=1, pages=3, has_more=True)
    page = render_page(reply)
    assert page.rest is not None and page.text.endswith("回复“更多”继续阅读")
    assert page.rest.intro == "（续）原文《党建文章》第 1/3 页：" and page.rest.page == 1
    shown = [q.text for q in paragraphs if q.text in page.text]
    while page.rest is not None:
        page = render_page(page.rest)
        assert page.text.startswith("（续）原文《党建文章》第 1/3 页：") and page.text.endswith("回复“更多”继续阅读")
        shown += [q.text for q in paragraphs if q.text in page.text]
    assert shown == [q.text for q in paragraphs]  # every paragraph once, in order
    last = render_page(Reply(kind=ReplyKind.ARTICLE, lang="zh", question="原文 3", intro="第 3/3 页：",
                             quotes=paragraphs[:1], page=3, pages=3))
    assert "回复" not in last.text and "——《党建文章》" in last.text


def test_no_answer_shows_suggestions() -> None:
    reply = Reply(kind=ReplyKind.NO_ANSWER, lang="zh", question="天气", intro="资料里没有相关内容。",
                  suggestions=["槐荫区怎样抓党建？", "章丘有哪些做法？"])
    assert render_reply(reply) == "资料里没有相关内容。\n\n您可以这样问：\n1. 槐荫区怎样抓党建？\n2. 章丘有哪些做法？"
    reply.intro = "可以试试这些问题："
    assert render_reply(reply) == "可以试试这些问题：\n1. 槐荫区怎样抓党建？\n2. 章丘有哪些做法？"


# --- feedback words, language guess ----------------------------------------------------


@pytest.mark.parametrize(("text", "word"), [(" 👍🏽 ", "👍"), ("👎️", "👎"), ("有用！", "有用"), ("More.", "more")])
def test_normalize(text: str, word: str) -> None:
    assert normalize(text) == word


def test_guess_lang() -> None:
    assert guess_lang("what about Huaiyin?") == "en" and guess_lang("槐荫 party") == "zh" and guess_lang("👍") == "zh"


# --- dedup -----------------------------------------------------------------------------


def test_message_key() -> None:
    assert message_key({"MsgId": "123", "FromUserName": "o", "CreateTime": "1"}) == ("msg", "o", "123")
    assert message_key({"MsgId": "123", "FromUserName": "o"}) != message_key({"MsgId": "123", "FromUserName": "p"})
    assert message_key({"FromUserName": "o", "CreateTime": "1"}) == ("evt", "o", "1")
    assert message_key({"FromUserName": "o", "CreateTime": "1"}) != message_key({"FromUserName": "o", "CreateTime": "2"})


async def test_once_cache_computes_once_for_concurrent_callers() -> None:
    cache: OnceCache[int] = OnceCache()
    calls = 0
    gate = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    waiters = [asyncio.create_task(cache.run("k", compute)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.gather(*waiters) == [42, 42, 42]
    assert await cache.run("k", compute) == 42 and calls == 1


async def test_once_cache_forgets_failures_and_expires() -> None:
    now = [0.0]
    cache: OnceCache[str] = OnceCache(ttl_s=10, max_entries=2, clock=lambda: now[0])

    async def boom() -> str:
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        await cache.run("k", boom)
    await asyncio.sleep(0)
    assert len(cache) == 0

    async def value(v: str) -> str:
        return v

    assert await cache.run("a", lambda: value("1")) == "1"
    assert await cache.run("a", lambda: value("2")) == "1"  # cached
    now[0] = 11
    assert await cache.run("a", lambda: value("3")) == "3"  # expired, computed again
    for key in "bcd":
        await cache.run(key, lambda: value(key))
    assert len(cache) <= 3  # bounded (pruned before each insert)
