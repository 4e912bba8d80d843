"""A fake Telegram Bot API server on 127.0.0.1 for end-to-end tests.

It speaks enough of the Bot API for python-telegram-bot to run against it over
real HTTP: getMe, getUpdates (long poll, serving queued updates), sendMessage,
editMessageText, editMessageReplyMarkup, answerCallbackQuery, set/get/deleteMyCommands,
set/deleteWebhook, getWebhookInfo, sendChatAction. Every call is recorded so tests
can assert on what the bot sent; tests queue updates with :meth:`FakeTelegram.send_text`,
:meth:`press` and friends.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-token"
BOT = {"id": 123456, "is_bot": True, "first_name": "Jinan Test Bot", "username": "jinan_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
JSON_FIELDS = {"reply_markup", "commands", "scope", "allowed_updates", "reply_parameters",
               "link_preview_options", "entities"}
NUMBER_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout"}
LONG_POLL_CAP_S = 0.5  # getUpdates never waits longer than this (keeps shutdown quick)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    def buttons(self) -> list[tuple[str, str]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


def _decode(params: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in JSON_FIELDS:
            out[key] = json.loads(value)
        elif key in NUMBER_FIELDS:
            out[key] = json.loads(value)
        else:
            out[key] = value
    return out


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)  # what the bot sent
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    port: int = 0

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.webhook: dict[str, Any] = {}
        self.polls = 0  # getUpdates calls (not kept in ``calls``: there are many)
        self._failures: dict[str, list[int]] = {}  # method → HTTP statuses for its next calls

    # ------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> "FakeTelegram":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))  # a chosen port, or any free one
        self.port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])])
        config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            async with self._changed:
                self._changed.notify_all()
            await self._task

    # ------------------------------------------------------------ the API

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        method = request.path_params["method"]
        failures = self._failures.get(method)
        if failures:
            status = failures.pop(0)
            return JSONResponse({"ok": False, "error_code": status, "description": f"fake failure {status}"}, status)
        body = (await request.body()).decode()
        params = _decode(dict(parse_qsl(body, keep_blank_values=True)))
        handler: Callable[..., Any] | None = getattr(self, f"_api_{method}", None)
        result = handler(params) if handler is not None else None
        if asyncio.iscoroutine(result):
            result = await result
        if method != "getUpdates":
            async with self._changed:
                self.calls.append(Call(method, params, result))
                self._changed.notify_all()
        if handler is None:
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return JSONResponse({"ok": True, "result": result})

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self.polls += 1
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP_S)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and wait > 0:
                with_timeout = asyncio.wait_for(self._changed.wait(), wait)
                try:
                    await with_timeout
                except TimeoutError:
                    pass
            return list(self._updates)

    def _bot_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "from": BOT,
            "text": params.get("text", ""),
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_message(params)

    def _edit(self, params: dict[str, Any], **changes: Any) -> dict[str, Any]:
        message = self.messages[(params["chat_id"], params["message_id"])]
        message.update(changes)
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._edit(params, text=params["text"])

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._edit(params)

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands[self._scope_key(params)] = params["commands"]
        return True

    def _api_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._scope_key(params), [])

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    @staticmethod
    def _scope_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{scope.get('type')}:{scope.get('chat_id', '')}:{params.get('language_code', '')}"

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    def fail(self, method: str, *statuses: int) -> None:
        """The next calls to ``method`` answer these HTTP statuses (one each), then work again."""
        self._failures.setdefault(method, []).extend(statuses)

    # ------------------------------------------------------------ what a user does

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update (``update_id`` is assigned) for the next getUpdates."""
        update = {"update_id": next(self._update_ids), **update}
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    @staticmethod
    def user(user_id: int, lang: str = "zh-hans") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "username": f"name{user_id}",
                "language_code": lang}

    def user_message(self, user_id: int, chat_id: int | None = None, lang: str = "zh-hans", **content: Any) -> dict[str, Any]:
        chat_id = chat_id if chat_id is not None else user_id
        chat = {"id": chat_id, "type": "private"} if chat_id > 0 else {"id": chat_id, "type": "group", "title": "g"}
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                "from": self.user(user_id, lang), **content}

    async def send_text(self, user_id: int, text: str, chat_id: int | None = None, lang: str = "zh-hans",
                        **content: Any) -> dict[str, Any]:
        """A user sends ``text``; a leading /command gets its bot_command entity as Telegram does."""
        if text.startswith("/"):
            command = text.split()[0]
            length = len(command.encode("utf-16-le")) // 2
            content.setdefault("entities", [{"type": "bot_command", "offset": 0, "length": length}])
        message = self.user_message(user_id, chat_id, lang, text=text, **content)
        return await self.push({"message": message})

    async def send_sticker(self, user_id: int, chat_id: int | None = None) -> dict[str, Any]:
        sticker = {"file_id": "CAAC-sticker", "file_unique_id": "st1", "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "😀"}
        return await self.push({"message": self.user_message(user_id, chat_id, sticker=sticker)})

    async def press(self, user_id: int, message: dict[str, Any], data: str, lang: str = "zh-hans") -> dict[str, Any]:
        """A user taps the button carrying ``data`` under the bot's ``message``."""
        query = {"id": f"cq{next(self._update_ids)}", "from": self.user(user_id, lang),
                 "chat_instance": "ci", "message": message, "data": data}
        return await self.push({"callback_query": query})

    async def press_inline(self, user_id: int, data: str, lang: str = "zh-hans") -> dict[str, Any]:
        """A tap on a button under a message sent via the bot in inline mode: no ``message``."""
        query = {"id": f"cq{next(self._update_ids)}", "from": self.user(user_id, lang),
                 "chat_instance": "ci", "inline_message_id": "AgAAAInline", "data": data}
        return await self.push({"callback_query": query})

    # ------------------------------------------------------------ what tests check

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (chat_id is None or c.params.get("chat_id") == chat_id)]

    async def wait_for(self, method: str, count: int = 1, chat_id: int | None = None,
                       since: int = 0, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` calls to ``method`` (after call index ``since``) arrived; return them.

        The timeout only turns a hang into a failure; nothing is timed.
        """
        def matching() -> list[Call]:
            return [c for c in self.calls[since:] if c.method == method
                    and (chat_id is None or c.params.get("chat_id") == chat_id)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(matching()) >= count), timeout)
        return matching()

    def mark(self) -> int:
        """Index to pass as ``since`` to wait for calls made from now on."""
        return len(self.calls)

    def message_of(self, call: Call) -> dict[str, Any]:
        """The message the bot sent with ``call`` (as stored now, with later edits)."""
        return self.messages[(call.params["chat_id"], call.result["message_id"])]
