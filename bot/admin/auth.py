"""Who may use the console: a signed session cookie or ``Authorization: Bearer <ADMIN_PASSWORD>``.

- The cookie (HttpOnly, SameSite=Strict) carries a random session id signed with a secret
  derived from ADMIN_PASSWORD and a random key kept 0600 in DATA_DIR: sessions survive a
  restart, every worker process on the same DATA_DIR accepts them, and changing the password
  ends them all.
- Every form and every JSON POST of a session carries a CSRF token bound to its session id
  (form field ``csrf`` or header ``X-CSRF-Token``). Bearer requests need none: a browser never
  adds that header by itself.
- Login attempts are counted per client address (``ADMIN_LOGIN_PER_MINUTE``), then 429.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.ids import resolve_key

COOKIE = "jinan_admin"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
KEY_FILE = "admin-session.key"


def session_secret(password: str, data_dir: Path) -> bytes:
    """HMAC(key kept in DATA_DIR, password): stable across restarts and workers, new with a new password."""
    key = resolve_key("", Path(data_dir) / KEY_FILE)
    return hmac.new(key.encode("utf-8"), password.encode("utf-8"), hashlib.sha256).digest()


@dataclass
class Session:
    sid: str
    logged_in: bool


class LoginLimiter:
    """At most LIMIT attempts per address in any WINDOW seconds (in this process)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, address: str, now: float | None = None) -> bool:
        """Count one attempt from ADDRESS; False when it is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if len(self._seen) > 10_000:  # forget idle addresses
                self._seen = {a: q for a, q in self._seen.items() if q and now - q[-1] < self.window_s}
            attempts = self._seen.setdefault(address, deque())
            while attempts and now - attempts[0] >= self.window_s:
                attempts.popleft()
            if len(attempts) >= self.limit:
                return False
            attempts.append(now)
            return True


class Guard:
    """Sessions, CSRF tokens and the password check for one console."""

    def __init__(self, password: str, data_dir: Path, *, session_hours: float = 12.0, login_per_minute: int = 5) -> None:
        if not password:
            raise ValueError("the admin console needs ADMIN_PASSWORD")
        self._password = password.encode("utf-8")
        self._secret = session_secret(password, data_dir)
        self._cookies = URLSafeTimedSerializer(self._secret, salt="admin-session")
        self.max_age_s = int(session_hours * 3600)
        self.limiter = LoginLimiter(login_per_minute)

    # -- credentials ------------------------------------------------------------------
    def password_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), self._password)

    def bearer_ok(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and self.password_ok(token.strip())

    def session(self, request: Request) -> Session | None:
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._cookies.loads(raw, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str):
            return None
        return Session(sid=data["sid"], logged_in=bool(data.get("in")))

    def logged_in(self, request: Request) -> bool:
        found = self.session(request)
        return found is not None and found.logged_in

    # -- cookies ----------------------------------------------------------------------
    def new_session(self, *, logged_in: bool) -> Session:
        """A new random session id (a new one at login: no session fixation)."""
        return Session(sid=secrets.token_urlsafe(18), logged_in=logged_in)

    def set_cookie(self, response: Response, found: Session, *, secure: bool = False) -> None:
        value = self._cookies.dumps({"sid": found.sid, "in": found.logged_in})
        response.set_cookie(COOKIE, value, max_age=self.max_age_s, path="/admin", secure=secure, httponly=True, samesite="strict")

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/admin", httponly=True, samesite="strict")

    # -- CSRF -------------------------------------------------------------------------
    def csrf_token(self, found: Session) -> str:
        return hmac.new(self._secret, b"csrf:" + found.sid.encode("utf-8"), hashlib.sha256).hexdigest()

    def csrf_ok(self, request: Request, given: str | None) -> bool:
        found = self.session(request)
        if found is None or not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.csrf_token(found).encode("utf-8"))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
