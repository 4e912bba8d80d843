"""How the store names database faults: one line on stderr, never in the reply."""

from __future__ import annotations

import sys

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError


def report(message: str) -> None:
    """Storage problems go to stderr: never into the reply."""
    try:
        print(f"storage: {message}", file=sys.stderr, flush=True)
    except Exception:
        pass


def describe(exc: BaseException) -> str:
    """EXC in one line: the driver's error and its first line, without SQLAlchemy's SQL and links."""
    inner = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    error = inner if isinstance(inner, BaseException) else exc
    text = " ".join(str(error).split("\n", 1)[0].split()) or repr(error)
    return f"{type(error).__name__}: {text}"


def transient(exc: BaseException) -> bool:
    """Errors worth retrying later (database away, locked, read-only, schema missing)."""
    if isinstance(exc, (OperationalError, InterfaceError, ProgrammingError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def missing_table(exc: BaseException) -> bool:
    """The schema is gone (SQLite: "no such table"; PostgreSQL: "does not exist")."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)
