"""Conversation state and replies as JSON (what the database keeps between turns and workers)."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, fields
from typing import Any

from bot.conversation import MAX_RATABLE, ChatState
from bot.messages import Quote, Reply, ReplyKind, Source

_PLAIN = ("topic", "question", "entity", "lang", "shown", "article", "article_page", "mode",
          "last_exchange", "last_answer_exchange")  # fmt: skip


def quote_to_json(quote: Quote) -> dict[str, Any]:
    data = asdict(quote)
    data["terms"] = list(quote.terms)
    return data


def quote_from_json(data: dict[str, Any]) -> Quote:
    return Quote(
        text=str(data["text"]), source=Source(**data["source"]), paragraph=int(data["paragraph"]),
        score=float(data.get("score", 0.0)), terms=tuple(data.get("terms", ())), shown=str(data.get("shown", "")),
    )  # fmt: skip


def state_to_json(state: ChatState) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(state, name) for name in _PLAIN}
    data["places"] = list(state.places)
    data["quotes"] = [quote_to_json(q) for q in state.quotes]
    data["answers_shown"] = list(state.answers_shown)
    data["votes"] = {e: {u: [up, why] for u, (up, why) in users.items()} for e, users in state.votes.items()}
    return data


def state_from_json(data: dict[str, Any]) -> ChatState:
    state = ChatState()
    for name in _PLAIN:
        if name in data:
            object.__setattr__(state, name, type(getattr(state, name))(data[name]))  # no answers_shown side effect
    state.places = [str(p) for p in data.get("places", [])]
    state.quotes = [quote_from_json(q) for q in data.get("quotes", [])]
    state.answers_shown = deque((str(e) for e in data.get("answers_shown", [])), maxlen=MAX_RATABLE)
    state.votes = {str(e): {str(u): (bool(v[0]), str(v[1])) for u, v in users.items()}
                   for e, users in data.get("votes", {}).items()}  # fmt: skip
    return state


def reply_to_json(reply: Reply) -> dict[str, Any]:
    data = {f.name: getattr(reply, f.name) for f in fields(reply)}
    data["kind"] = reply.kind.value
    data["quotes"] = [quote_to_json(q) for q in reply.quotes]
    data["considered"] = [quote_to_json(q) for q in reply.considered]
    for name in ("direct", "terms", "suggestions"):
        data[name] = list(data[name])
    return data


def reply_from_json(data: dict[str, Any]) -> Reply:
    values = dict(data)
    values["kind"] = ReplyKind(values["kind"])
    values["quotes"] = [quote_from_json(q) for q in values.get("quotes", [])]
    values["considered"] = [quote_from_json(q) for q in values.get("considered", [])]
    values["direct"] = tuple(values.get("direct", ()))
    values["terms"] = tuple(values.get("terms", ()))
    known = {f.name for f in fields(Reply)}
    return Reply(**{k: v for k, v in values.items() if k in known})
