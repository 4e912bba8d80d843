"""The other side of the WeChat callback, played by wechatpy, plus a real HTTP server.

Helpers here are imported by the other ``test_wechat_*`` files; the tests in this
file check that our crypto and wechatpy's agree in both directions.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import xmltodict
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner, check_signature

from bot.channels.wechat import build_wechat_app
from bot.channels.wechat.crypto import CryptoError, MessageCrypto, sign
from bot.config import Settings
from bot.http_app import build_http_app, http_server
from bot.messages import Incoming, Quote, Reply, ReplyKind, Source
from bot.records import MemorySink

TOKEN = "testtoken123"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
ACCOUNT = "gh_0123456789ab"


def wechat_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = dict(wechat_token=TOKEN, wechat_app_id=APP_ID, wechat_encoding_aes_key="")
    values.update(overrides)
    return Settings(**values)


def services(engine: Any, **overrides: Any) -> Any:
    """A Services-like object (settings + engine), without touching a database."""
    return SimpleNamespace(settings=wechat_settings(**overrides), engine=engine)


@contextmanager
def running(svc: Any, app: Any) -> Iterator[str]:
    """Serve ``app`` with the project's uvicorn server on 127.0.0.1 (a free port) in a thread."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = http_server(svc, app, log_level="warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def text_xml(content: str, user: str = "oUser1", msg_id: int | None = 1, create_time: int = 1700000000) -> str:
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content>{msg_id_xml}</xml>"
    )


def event_xml(event: str, user: str = "oUser1", create_time: int = 1700000000) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[]]></EventKey></xml>"
    )


def image_xml(user: str = "oUser1", msg_id: int = 77) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        "<PicUrl><![CDATA[http://127.0.0.1/none.jpg]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    )


@dataclass
class Peer:
    """WeChat's server: signs (and in safe/compatible mode encrypts) what it posts, checks replies."""

    base_url: str
    client: httpx.Client
    mode: str = "plain"  # plain | safe | compatible
    path: str = "/wechat"
    token: str = TOKEN
    crypto: WeChatCrypto = field(default_factory=lambda: WeChatCrypto(TOKEN, AES_KEY, APP_ID))
    now: Callable[[], float] = time.time  # WeChat's clock: the timestamps it signs
    last_stamp: tuple[str, str] = ("", "")  # (timestamp, nonce) of the last request
    _n: int = 0

    def _query(self, stamp: tuple[str, str] | None = None) -> dict[str, str]:
        """Signed query parameters; ``stamp`` = (timestamp, nonce) to sign instead of fresh ones."""
        self._n += 1
        timestamp, nonce = stamp or (str(int(self.now())), f"{int(time.time() * 1000) % 10**9}{self._n}")
        self.last_stamp = (timestamp, nonce)
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, "openid": "oUser1"}

    def verify(self, echostr: str, **changes: str) -> httpx.Response:
        params = {**self._query(), "echostr": echostr, **changes}
        return self.client.get(self.base_url + self.path, params=params)

    def post(self, xml: str | bytes, *, stamp: tuple[str, str] | None = None, **changes: str) -> httpx.Response:
        """POST ``xml`` signed (and sealed) with ``stamp`` or fresh (timestamp, nonce); ``changes``
        then override query parameters."""
        params = self._query(stamp)
        body: str | bytes = xml
        if self.mode != "plain":
            assert isinstance(xml, str)
            sealed = xmltodict.parse(self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"]))["xml"]
            params.update(encrypt_type="aes", msg_signature=sealed["MsgSignature"])
            fields = xmltodict.parse(xml)["xml"]
            if self.mode == "safe":
                body = xmltodict.unparse({"xml": {"ToUserName": fields["ToUserName"], "Encrypt": sealed["Encrypt"]}})
            else:
                body = xmltodict.unparse({"xml": {**fields, "Encrypt": sealed["Encrypt"]}})
        params.update(changes)
        return self.client.post(self.base_url + self.path, params=params, content=body)

    def read(self, response: httpx.Response, *, encrypted: bool | None = None) -> Any:
        """The reply as wechatpy parses it (decrypted and signature-checked when encrypted)."""
        assert response.status_code == 200, response.text
        xml = response.text
        if encrypted if encrypted is not None else self.mode != "plain":
            env = xmltodict.parse(xml)["xml"]
            xml = self.crypto.decrypt_message(xml, env["MsgSignature"], env["TimeStamp"], env["Nonce"])
        message = parse_message(xml)
        assert message.source == ACCOUNT and message.type == "text"
        return message

    def ask(self, content: str, user: str = "oUser1", msg_id: int | None = None) -> str:
        self._n += 1
        reply = self.read(self.post(text_xml(content, user, msg_id if msg_id is not None else 1000 + self._n)))
        assert reply.target == user
        return reply.content


class FakeEngine:
    """Protocol-level stand-in: echoes the question, records every call."""

    def __init__(self, reply: Reply | None = None) -> None:
        self.sink = MemorySink()  # the channel logs what it answers without the engine here
        self.calls: list[Incoming] = []
        self.feedbacks: list[tuple[Incoming, bool]] = []
        self.reply = reply

    def handle(self, msg: Incoming) -> Reply:
        self.calls.append(msg)
        if self.reply is not None:
            return self.reply
        src = Source(article="a1", title="测试文章", year="2023")
        return Reply(
            kind=ReplyKind.ANSWER, lang="zh", question=msg.text, answered=True,
            direct=(f"回答：{msg.text}",), quotes=[Quote(f"段落：{msg.text}", src, 0)], has_more=True,
        )

    def feedback(self, msg: Incoming, up: bool, exchange_id: str | None = None, reason: str = "") -> bool:
        self.feedbacks.append((msg, up))
        return bool(self.calls)

    def examples(self, lang: str = "zh") -> list[str]:
        return ["槐荫区怎样开展党建工作？", "章丘有哪些做法？"]


# --- our crypto against wechatpy's --------------------------------------------------------


def test_wechatpy_decrypts_what_we_encrypt() -> None:
    ours = MessageCrypto(AES_KEY, APP_ID)
    text = "<xml><Content><![CDATA[你好，济南 ]]]]><![CDATA[>]]></Content></xml>"
    encrypt = ours.encrypt(text)
    timestamp, nonce = "1700000000", "42"
    wrapped = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    theirs = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    assert theirs.decrypt_message(wrapped, sign(TOKEN, timestamp, nonce, encrypt), timestamp, nonce) == text


@pytest.mark.parametrize("size", [0, 1, 11, 12, 43, 44, 1000])  # around the 32-byte padding edges
def test_we_decrypt_what_wechatpy_encrypts(size: int) -> None:
    text = "字" * (size // 3) + "x" * (size % 3)
    sealed = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(text, "7", "1700000000"))["xml"]
    assert sign(TOKEN, "1700000000", "7", sealed["Encrypt"]) == sealed["MsgSignature"]
    assert MessageCrypto(AES_KEY, APP_ID).decrypt(sealed["Encrypt"]) == text


def test_appid_is_checked_both_ways() -> None:
    other = MessageCrypto(AES_KEY, "wxOTHERAPPID00000")
    with pytest.raises(CryptoError, match="AppID"):
        MessageCrypto(AES_KEY, APP_ID).decrypt(other.encrypt("<xml/>"))
    sealed = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message("<xml/>", "7", "1"))["xml"]
    with pytest.raises(InvalidAppIdException):
        WeChatCrypto(TOKEN, AES_KEY, "wxOTHERAPPID00000").decrypt_message(
            f"<xml><Encrypt>{sealed['Encrypt']}</Encrypt></xml>", sealed["MsgSignature"], "1", "7"
        )


def test_signature_agrees_with_wechatpy() -> None:
    signature = sign(TOKEN, "1700000000", "nonce9")
    check_signature(TOKEN, signature, "1700000000", "nonce9")  # raises when it disagrees
    signer = WeChatSigner()
    signer.add_data(TOKEN, "1700000000", "nonce9")
    assert signer.signature == signature


@contextmanager
def peer_for(engine: Any, mode: str = "plain", server_key: str | None = None, **config: Any) -> Iterator[Peer]:
    """A Peer talking to the full HTTP app (``build_http_app``) served over a real socket.

    ``server_key``: the server's EncodingAESKey (default: set unless mode is plain);
    ``config``: WeChatConfig overrides (then only the WeChat app is served).
    """
    key = server_key if server_key is not None else ("" if mode == "plain" else AES_KEY)
    svc = services(engine, wechat_encoding_aes_key=key)
    app = build_wechat_app(svc, **config) if config else build_http_app(svc)
    with running(svc, app) as base_url, httpx.Client(timeout=20) as client:
        yield Peer(base_url, client, mode=mode)
