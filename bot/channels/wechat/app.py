"""The WeChat Official Account callback as Starlette routes.

GET  ?signature&timestamp&nonce&echostr  → echostr when the signature is WeChat's.
POST ?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]  with an XML body
     → the passive reply XML (encrypted in safe and compatible mode), or "success".

A wrong signature, a timestamp more than ``replay_window_s`` (300 s) from now, and —
when an EncodingAESKey is configured — a request that is not encrypted
(``encrypt_type=aes`` with a valid ``msg_signature``) get 403 before the body is
read; a (timestamp, nonce) pair already used for another message gets 403
(:mod:`.replay`); a body over ``max_body`` bytes gets 413; XML that is malformed
or carries a DTD (entity bombs, external entities) gets 400; XML that is
well-formed but not a message we know gets 200 "success" and a log line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.channels.wechat.crypto import (
    CryptoError,
    MessageCrypto,
    SignatureError,
    check_signature,
    random_text,
    sign,
)
from bot.channels.wechat.dedup import OnceCache
from bot.channels.wechat.dispatch import DEADLINE_S, Dispatcher, EngineLike
from bot.channels.wechat.sharing import shared_parts
from bot.channels.wechat.replay import WINDOW_S, ReplayGuard, message_digest
from bot.channels.wechat.xml import XmlError, encrypted_reply, parse_fields, text_reply

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # WeChat messages are a few KB at most
SUCCESS = "success"  # WeChat's "received, no reply"


@dataclass(frozen=True)
class WeChatConfig:
    token: str
    app_id: str = ""
    encoding_aes_key: str = ""
    path: str = "/wechat"
    max_body: int = MAX_BODY
    deadline_s: float = DEADLINE_S
    replay_window_s: float = WINDOW_S
    clock: Callable[[], float] = field(default=time.time)  # wall clock, seconds (tests inject one)

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "WeChatConfig":
        values = dict(
            token=settings.wechat_token,
            app_id=settings.wechat_app_id,
            encoding_aes_key=settings.wechat_encoding_aes_key,
            path=settings.wechat_path,
        )
        values.update(overrides)
        return cls(**values)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _success() -> Response:
    return PlainTextResponse(SUCCESS)


def _forbidden() -> Response:
    return PlainTextResponse("forbidden", status_code=403)


class WeChatEndpoint:
    """One Official Account's callback URL."""

    def __init__(self, config: WeChatConfig, dispatcher: Dispatcher) -> None:
        if not config.token:
            raise ValueError("WECHAT_TOKEN is required")
        self.config = config
        self.dispatcher = dispatcher
        self.crypto = (
            MessageCrypto(config.encoding_aes_key, config.app_id) if config.encoding_aes_key else None
        )
        self.guard = ReplayGuard(config.replay_window_s, config.clock)

    def _refusal(self, request: Request, *, message: bool = False) -> str:
        """Why the query string is refused ("" when it is WeChat's and fresh).  A ``message``
        must be encrypted when the key is set: plain mode's signature does not cover the body."""
        q = request.query_params
        timestamp = q.get("timestamp", "")
        if not check_signature(self.config.token, q.get("signature", ""), timestamp, q.get("nonce", "")):
            return "a wrong signature"
        if not self.guard.fresh(timestamp):
            skew = self.guard.skew(timestamp)
            return f"a timestamp {skew:+.0f} s from the server's clock" if skew is not None else "a bad timestamp"
        if message and self.crypto is not None and q.get("encrypt_type", "").lower() != "aes":
            return "no encryption while WECHAT_ENCODING_AES_KEY is set (safe mode only)"
        return ""

    async def verify(self, request: Request) -> Response:
        refusal = self._refusal(request)
        if refusal:
            log.warning("wechat: verification with %s refused", refusal)
            return _forbidden()
        return PlainTextResponse(request.query_params.get("echostr", ""))

    async def receive(self, request: Request) -> Response:
        refusal = self._refusal(request, message=True)
        if refusal:
            log.warning("wechat: POST with %s refused", refusal)
            return _forbidden()
        try:
            body = await read_body(request, self.config.max_body)
        except BodyTooLarge:
            log.warning("wechat: body over %d bytes refused", self.config.max_body)
            return PlainTextResponse("payload too large", status_code=413)
        try:
            fields, encrypted = self._open(request, body)
        except XmlError as exc:
            log.warning("wechat: XML refused: %s", exc)
            return PlainTextResponse("bad request", status_code=400)
        except CryptoError as exc:
            log.warning("wechat: undecryptable message: %s", exc)
            return PlainTextResponse("bad request", status_code=400)
        except SignatureError:
            log.warning("wechat: wrong msg_signature refused")
            return _forbidden()
        if fields is None:
            return _success()
        q = request.query_params
        if not self.guard.admit(q["timestamp"], q.get("nonce", ""), message_digest(fields)):
            log.warning("wechat: a used (timestamp, nonce) with another message refused (replay)")
            return _forbidden()
        if not (fields.get("FromUserName") and fields.get("ToUserName") and fields.get("MsgType")):
            log.warning("wechat: unknown XML (fields %s) answered 'success'", sorted(fields)[:12])
            return _success()
        try:
            content = await self.dispatcher.respond(fields)
        except Exception:
            log.exception("wechat: failed to answer a message")
            return _success()
        if content is None:
            return _success()
        xml = text_reply(fields["FromUserName"], fields["ToUserName"], content, int(self.config.clock()))
        if encrypted and self.crypto is not None:
            xml = self._seal(xml)
        return Response(xml, media_type="application/xml")

    def _open(self, request: Request, body: bytes) -> tuple[dict[str, str] | None, bool]:
        """The message fields and whether the reply must be encrypted (with the key set, the
        request is known to be encrypted: only the decrypted fields count, never plaintext ones)."""
        fields = parse_fields(body)
        q = request.query_params
        if q.get("encrypt_type", "raw").lower() != "aes":
            return fields, False
        encrypt = fields.get("Encrypt", "")
        if self.crypto is None:
            if fields.get("MsgType"):  # compatible mode: the plaintext is there too
                return fields, False
            log.error("wechat: encrypted message but WECHAT_ENCODING_AES_KEY is not set")
            return None, False
        if not encrypt:
            raise XmlError("encrypt_type=aes without an Encrypt field")
        token, ts, nonce = self.config.token, q.get("timestamp", ""), q.get("nonce", "")
        if not check_signature(token, q.get("msg_signature", ""), ts, nonce, encrypt):
            raise SignatureError("msg_signature")
        return parse_fields(self.crypto.decrypt(encrypt)), True

    def _seal(self, xml: str) -> str:
        assert self.crypto is not None
        encrypt = self.crypto.encrypt(xml)
        timestamp, nonce = str(int(self.config.clock())), random_text(10, "0123456789")
        signature = sign(self.config.token, timestamp, nonce, encrypt)
        return encrypted_reply(encrypt, signature, int(timestamp), nonce)

    def routes(self) -> list[Route]:
        return [
            Route(self.config.path, self.verify, methods=["GET"], name="wechat_verify"),
            Route(self.config.path, self.receive, methods=["POST"], name="wechat_receive"),
        ]


def wechat_endpoint(services: "Services", **overrides: Any) -> WeChatEndpoint:
    """The endpoint for ``services.settings`` (overrides: any :class:`WeChatConfig` field)."""
    config = WeChatConfig.from_settings(services.settings, **overrides)
    engine: EngineLike = services.engine
    # replies stay cached as long as the request they answer could come again (a pair is
    # remembered until its timestamp leaves the window): a replay is never computed anew
    once_ttl_s = max(300.0, 2 * config.replay_window_s)
    shared_once, outbox = shared_parts(services, once_ttl_s)  # in the database: every worker sees them
    once: OnceCache[str | None] = shared_once or OnceCache(ttl_s=once_ttl_s)
    return WeChatEndpoint(config, Dispatcher(engine, deadline_s=config.deadline_s, once=once, outbox=outbox))


def wechat_routes(services: "Services", **overrides: Any) -> list[Route]:
    return wechat_endpoint(services, **overrides).routes()


def build_wechat_app(services: "Services", **overrides: Any) -> Starlette:
    """A stand-alone ASGI app serving only the WeChat callback."""
    return Starlette(routes=wechat_routes(services, **overrides))
