"""Chat and user ids as a keyed hash (HMAC-SHA256), raw only when the admin turns that on."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from bot.records import Exchange, Feedback, ReloadReport

R = TypeVar("R", Exchange, Feedback, ReloadReport)

DEFAULT_KEY = "change-me"
HASH_CHARS = 32  # 128 bits of the HMAC: stable, unlinkable without the key


def hash_id(raw: str, key: str) -> str:
    """The keyed hash of RAW; an empty id stays empty (nothing to hide, nothing to group)."""
    if not raw:
        return ""
    return hmac.new(key.encode("utf-8"), raw.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


class IdMasker:
    """Turns raw ids into what is stored: the keyed hash by default, or the raw id."""

    def __init__(self, key: str, *, store_raw: bool = False) -> None:
        if not key and not store_raw:
            raise ValueError("an id hash key is needed unless raw ids are stored")
        self.key = key
        self.store_raw = store_raw

    def __call__(self, raw: str | int | None) -> str:
        text = "" if raw is None else str(raw)
        return text if self.store_raw else hash_id(text, self.key)


def mask_record(record: R, mask: IdMasker) -> R:
    """RECORD with its ids as stored; a reload's ``who`` is "origin:id" ("telegram:123") or a role ("cli")."""
    if isinstance(record, ReloadReport):
        origin, sep, raw = record.who.partition(":")
        return replace(record, who=f"{origin}:{mask(raw)}") if sep else record
    return replace(record, chat_id=mask(record.chat_id), user_id=mask(record.user_id))


def resolve_key(configured: str, key_file: Path) -> str:
    """The configured key, or — while it is still the public default — a random key kept in KEY_FILE.

    A public key would let anyone re-identify hashed Telegram ids by brute force, so the default
    is replaced by a per-installation secret that stays stable across restarts.
    """
    if configured and configured != DEFAULT_KEY:
        return configured
    try:
        stored = key_file.read_text(encoding="utf-8").strip()
        if stored:
            return stored
    except OSError:
        pass
    key = secrets.token_hex(32)
    try:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
        with open(descriptor, "w", encoding="utf-8") as handle:
            handle.write(key + "\n")
    except OSError:
        return configured or DEFAULT_KEY  # cannot persist: a stable (if weak) key beats a random one
    return key
