"""Per-chat conversation state: the last topic, its passages for "更多", the article for "原文"."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.messages import Quote

# words that stand for the place just talked about: dropped from a follow-up, the topic says where
PLACEHOLDERS = re.compile(r"村里|该村|本村|这个村|那个村|全村|当地|那里|这里|那儿|这儿|区里|社区里|街道里")
MAX_RATABLE = 100  # how many of a chat's latest answers still take 👍/👎
ANAPHORA = re.compile(r"它|其|这个|这项|这些|那个|该|此|上述|他们|她们|他|她|\b(it|its|they|their|this|that|them)\b", re.I)
# what stands for the thing just talked about: replaced by it ("它在哪里" → "暖新之家在哪里")
REFERENT = re.compile(r"他们村|她们村|这个村|那个村|它们|它|其|这个|这项|那个|该|他们|她们|\b(?:it|this|that|they)\b", re.I)
# "那天桥区呢", "What about Zhangqiu?": the previous question, asked of another place
WHAT_ABOUT = re.compile(
    r"^(?:那么?|那在|换成|还有)?\s*(?P<x>[^，,。？?！!]{1,12}?)\s*(?:呢|的呢|怎么样|如何)\s*[？?]?$"
    r"|^(?:and|what|how)\s+about\s+(?P<en>.{1,40}?)\s*\??$",
    re.I,
)


@dataclass
class ChatState:
    topic: str = ""  # the last answered question's searched text
    question: str = ""  # the last answered question, as a question of its own (follow-ups resolved)
    entity: str = ""  # what it was about: 暖新之家, 葫芦套村 (它/这个/it stand for it)
    places: list[str] = field(default_factory=list)  # the places it asked about
    lang: str = ""  # the language of the conversation: UI text follows it
    quotes: list[Quote] = field(default_factory=list)  # every passage found for the topic, best first
    shown: int = 0  # how many of `quotes` the user has seen
    article: str = ""  # article behind the last answer
    article_page: int = 0  # last article page shown (1-based), 0: none
    mode: str = "answer"  # what "更多" continues: answer passages or article pages
    last_exchange: str = ""
    last_answer_exchange: str = ""
    touched: float = 0.0
    # answers shown in this chat, newest last: only these may be rated (see ``record_vote``)
    answers_shown: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_RATABLE))
    votes: dict[str, dict[str, tuple[bool, str]]] = field(default_factory=dict)  # exchange → user → vote

    def __setattr__(self, name: str, value: object) -> None:
        # every answer the engine shows becomes the chat's last answer: from then on it may be rated
        if name == "last_answer_exchange" and value and "answers_shown" in self.__dict__:
            if value not in self.answers_shown:
                self.answers_shown.append(str(value))
        super().__setattr__(name, value)

    def record_vote(self, exchange_id: str, user_id: str, up: bool, reason: str = "") -> bool | None:
        """Note ``user_id``'s vote on an answer shown here: None when this chat never saw that
        answer, False when the user already gave this very vote, True when it is new or changed."""
        if exchange_id not in self.answers_shown:
            return None
        for old in [e for e in self.votes if e not in self.answers_shown]:  # answers no longer ratable
            del self.votes[old]
        users = self.votes.setdefault(exchange_id, {})
        if users.get(user_id) == (up, reason):
            return False
        users[user_id] = (up, reason)
        return True


class StateStore(Protocol):
    """Where conversation states live between turns (as python-telegram-bot's persistence):
    :class:`MemoryStates` in one process, ``bot.state.DatabaseStates`` for several workers."""

    def load(self, channel: str, chat_id: str) -> ChatState | None:
        """The chat's state, None when it has none or it expired."""
        ...

    def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
        """Keep STATE for TTL_S idle seconds from now."""
        ...

    def drop(self, channel: str, chat_id: str) -> None: ...


class MemoryStates:
    """States in this process's memory (tests, the terminal, a single worker): the same object every
    turn, forgotten ``ttl_s`` after its last save; past ``limit`` chats, expired (else the oldest) go."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, limit: int = 100_000) -> None:
        self.clock = clock
        self.limit = limit
        self._states: dict[tuple[str, str], tuple[float, ChatState]] = {}  # → (expires, state)
        self._lock = threading.Lock()

    def load(self, channel: str, chat_id: str) -> ChatState | None:
        with self._lock:
            kept = self._states.get((channel, chat_id))
            if kept is None:
                return None
            if self.clock() > kept[0]:
                del self._states[(channel, chat_id)]
                return None
            return kept[1]

    def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
        now = self.clock()
        with self._lock:
            if (channel, chat_id) not in self._states and len(self._states) >= self.limit:
                expired = [k for k, (until, _) in self._states.items() if now > until]
                for key in expired or list(self._states)[:1]:
                    del self._states[key]
            self._states[(channel, chat_id)] = (now + ttl_s, state)

    def drop(self, channel: str, chat_id: str) -> None:
        with self._lock:
            self._states.pop((channel, chat_id), None)


class Conversations:
    """The engine's side of the state store: :meth:`get` a chat's state (a new one when it has none
    or it expired after ``ttl_s`` idle seconds), :meth:`save` it once at the end of the turn."""

    def __init__(self, ttl_s: float = 1800, clock: Callable[[], float] = time.monotonic, limit: int = 100_000,
                 store: StateStore | None = None) -> None:  # fmt: skip
        self.ttl_s = ttl_s
        self.clock = clock
        self.store: StateStore = store if store is not None else MemoryStates(lambda: self.clock(), limit)
        self._turn = threading.local()  # the state this thread's current turn loaded

    def get(self, channel: str, chat_id: str) -> ChatState:
        try:
            state = self.store.load(channel, chat_id)
        except Exception as exc:  # the database away: answer without the earlier turns
            print(f"conversation state unavailable ({type(exc).__name__}: {exc}); starting afresh", file=sys.stderr)
            state = None
        if state is None:
            state = ChatState()
        state.touched = self.clock()
        self._turn.loaded = (channel, chat_id, state)  # one turn at a time per thread: one slot
        return state

    def save(self, channel: str, chat_id: str) -> None:
        """Keep the state this turn loaded for (channel, chat_id); nothing when it loaded none."""
        loaded = getattr(self._turn, "loaded", None)
        if loaded is None or loaded[:2] != (channel, chat_id):
            return
        self._turn.loaded = None
        state = loaded[2]
        try:
            self.store.save(channel, chat_id, state, self.ttl_s)
        except Exception as exc:  # never breaks the reply; the next turn starts afresh
            print(f"could not save the conversation state ({type(exc).__name__}: {exc})", file=sys.stderr)


def is_follow_up(state: ChatState, question: str, own_topic: bool) -> bool:
    """Does the question lean on the previous turn? It does when it points back (它, 那里, 那X呢)
    or has no topic of its own; a question with its own place, programme or term stands alone."""
    if not state.topic:
        return False
    if ANAPHORA.search(question) or PLACEHOLDERS.search(question) or WHAT_ABOUT.match(question):
        return True
    return not own_topic


def resolve(state: ChatState, question: str) -> tuple[str, bool]:
    """The follow-up as a question of its own, and whether it stands alone (no need of the topic):
    "那天桥区呢" → the previous question asked of 天桥区 (alone), "它在哪里" → "暖新之家在哪里",
    "有多大" → "暖新之家有多大"."""
    about = WHAT_ABOUT.match(question)
    if about and state.question:
        other = (about.group("x") or about.group("en") or "").strip()
        spans = [(state.question.find(p), state.question.find(p) + len(p)) for p in state.places if p in state.question]
        if spans:  # 历下区姚家街道打造了什么服务站 → 天桥区打造了什么服务站
            start, end = min(a for a, _ in spans), max(b for _, b in spans)
            return state.question[:start] + other + state.question[end:], True
        return f"{other} {state.question}", True
    question = PLACEHOLDERS.sub("", question)
    if not state.entity:
        return question, False
    resolved = REFERENT.sub(state.entity, question, count=1)
    if resolved == question:
        resolved = f"{question} {state.entity}" if re.search(r"[A-Za-z]{3}", question) else state.entity + question
    return resolved, False
