"""The WeChat Official Account callback as Starlette routes.

GET  ?signature&timestamp&nonce&echostr  → echostr when the signature is WeChat's.
POST ?signature&timestamp&nonce[&encrypt_type=aes&msg_signature]  with an XML body
     → the passive reply XML (encrypted in safe and compatible mode), or "success".

A wrong signature gets 403 before the body is read; a body over ``max_body``
bytes gets 413; XML that is malformed or carries a DTD (entity bombs, external
entities) gets 400; XML that is well-formed but not a message we know gets 200
"success" and a log line.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
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
from bot.channels.wechat.dispatch import DEADLINE_S, Dispatcher, EngineLike
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

    def _signed(self, request: Request) -> bool:
        q = request.query_params
        return check_signature(
            self.config.token, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", "")
        )

    async def verify(self, request: Request) -> Response:
        if not self._signed(request):
            return PlainTextResponse("forbidden", status_code=403)
        return PlainTextResponse(request.query_params.get("echostr", ""))

    async def receive(self, request: Request) -> Response:
        if not self._signed(request):
            log.warning("wechat: POST with a wrong signature refused")
            return PlainTextResponse("forbidden", status_code=403)
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
            return PlainTextResponse("forbidden", status_code=403)
        if fields is None:
            return _success()
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
        xml = text_reply(fields["FromUserName"], fields["ToUserName"], content, int(time.time()))
        if encrypted and self.crypto is not None:
            xml = self._seal(xml)
        return Response(xml, media_type="application/xml")

    def _open(self, request: Request, body: bytes) -> tuple[dict[str, str] | None, bool]:
        """The message fields and whether the reply must be encrypted."""
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
        timestamp, nonce = str(int(time.time())), random_text(10, "0123456789")
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
    return WeChatEndpoint(config, Dispatcher(engine, deadline_s=config.deadline_s))


def wechat_routes(services: "Services", **overrides: Any) -> list[Route]:
    return wechat_endpoint(services, **overrides).routes()


def build_wechat_app(services: "Services", **overrides: Any) -> Starlette:
    """A stand-alone ASGI app serving only the WeChat callback."""
    return Starlette(routes=wechat_routes(services, **overrides))
