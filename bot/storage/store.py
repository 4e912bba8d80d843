"""The database sink: the engine's records are queued and written by a background thread.

Nothing here runs on the reply path except a queue put. When the database is unavailable,
read-only or locked, the failure is reported on stderr and the records stay queued and are
retried; whatever is still unwritten at close goes to a spool file written at the next start.
"""

from __future__ import annotations

import atexit
import queue
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from bot.records import Exchange, Feedback, ReloadReport
from bot.storage import spool
from bot.storage.db import make_engine, sqlite_path, upgrade
from bot.storage.ids import IdMasker, resolve_key
from bot.storage.models import Base, ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.spool import Record
from bot.storage.votes import upsert_feedback

if TYPE_CHECKING:
    from bot.config import Settings

BATCH = 500
_STOP = object()


def report(message: str) -> None:
    """Storage problems go to stderr: never into the reply."""
    try:
        print(f"storage: {message}", file=sys.stderr, flush=True)
    except Exception:
        pass


def _transient(exc: BaseException) -> bool:
    """Errors worth retrying later (database away, locked, read-only, schema missing)."""
    if isinstance(exc, (OperationalError, InterfaceError, ProgrammingError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def to_row(record: Record) -> Base:
    if isinstance(record, Exchange):
        passages = [{"article": p.article, "paragraph": p.paragraph, "score": p.score} for p in record.passages]
        return ExchangeRow(
            exchange_id=record.exchange_id, time=record.time, channel=record.channel,
            chat_id=record.chat_id, user_id=record.user_id, message=record.message, query=record.query,
            answered=record.answered, kind=record.kind, passages=passages, best_text=record.best_text,
            reply_length=record.reply_length, latency_ms=record.latency_ms, error=record.error,
        )  # fmt: skip
    if isinstance(record, Feedback):
        return FeedbackRow(
            exchange_id=record.exchange_id, up=record.up, reason=record.reason, channel=record.channel,
            chat_id=record.chat_id, user_id=record.user_id, time=record.time,
        )  # fmt: skip
    return ReloadRow(
        time=record.time, who=record.who, origin=record.origin, ok=record.ok, articles=record.articles,
        passages=record.passages, added=list(record.added), changed=list(record.changed),
        removed=list(record.removed), skipped=[list(s) for s in record.skipped],
        duration_s=record.duration_s, error=record.error,
    )  # fmt: skip


class Store:
    """A ``Sink`` backed by a SQL database, plus sessions for the review queries."""

    def __init__(
        self,
        url: str,
        *,
        id_hash_key: str,
        store_raw_ids: bool = False,
        auto_upgrade: bool = True,
        spool_path: Path | None = None,
        busy_timeout_s: float = 5.0,
        retry_s: tuple[float, float] = (0.25, 10.0),
    ) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_s=busy_timeout_s)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.mask = IdMasker(id_hash_key, store_raw=store_raw_ids)
        self.auto_upgrade = auto_upgrade
        db_file = sqlite_path(url)
        self.spool_path = spool_path or (db_file.with_name(db_file.name + ".pending.jsonl") if db_file else None)
        self.retry_s = retry_s
        self._queue: queue.Queue[Any] = queue.Queue()
        self._pending: list[Record] = []  # touched by the writer thread only
        self._unwritten = 0
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failing = ""  # the last reported error, "" while writes succeed
        self._schema_ready = not auto_upgrade
        if auto_upgrade:
            try:
                self._ensure_schema()
            except Exception as exc:  # the bot still answers; the writer retries
                report(f"cannot upgrade the database at start ({exc!r}); records will be kept and retried")
        self._load_spool()
        atexit.register(self.close)

    # -- Sink -----------------------------------------------------------------------
    def record_exchange(self, exchange: Exchange) -> None:
        self._submit(exchange)

    def record_feedback(self, feedback: Feedback) -> None:
        self._submit(feedback)

    def record_reload(self, report_: ReloadReport) -> None:
        self._submit(report_)

    # -- reading --------------------------------------------------------------------
    def session(self) -> Session:
        return self.sessions()

    # -- queue ----------------------------------------------------------------------
    def _submit(self, record: Record, *, masked: bool = False) -> None:
        try:
            if not masked and not isinstance(record, ReloadReport):
                record = replace(record, chat_id=self.mask(record.chat_id), user_id=self.mask(record.user_id))
            with self._cond:
                queued = not self._closed
                if queued:
                    self._unwritten += 1
                    self._queue.put(record)
            if not queued:
                self._keep([record], "the store is closed")
                return
            self._start()
        except Exception as exc:
            report(f"could not queue a {type(record).__name__}: {exc!r}")

    def _start(self) -> None:
        if self._thread is None:
            with self._cond:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(target=self._run, name="storage-writer", daemon=True)
                    self._thread.start()

    def _done(self, count: int) -> None:
        with self._cond:
            self._unwritten -= count
            self._cond.notify_all()

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not _STOP:
                self._pending.append(item)

    def _run(self) -> None:
        delay = self.retry_s[0]
        while True:
            if not self._pending and not self._stopping.is_set():
                item = self._queue.get()
                if item is not _STOP:
                    self._pending.append(item)
            self._drain()
            if not self._pending:
                if self._stopping.is_set():
                    return
                continue
            if self._write_pending():
                delay = self.retry_s[0]
                continue
            if self._stopping.is_set():
                return  # the final attempt failed: close() keeps what is left
            self._stopping.wait(delay)
            delay = min(delay * 2, self.retry_s[1])

    # -- writing --------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            upgrade(self.engine)
            self._schema_ready = True

    def _write(self, records: Sequence[Record]) -> None:
        with self.sessions.begin() as session:
            session.add_all([to_row(r) for r in records if not isinstance(r, Feedback)])
            upsert_feedback(session, [r for r in records if isinstance(r, Feedback)])  # one vote per user

    def _write_pending(self) -> bool:
        """Write everything pending; False (records kept) on a transient database error."""
        written = 0
        try:
            self._ensure_schema()
            while self._pending:
                batch = self._pending[:BATCH]
                try:
                    self._write(batch)
                except Exception as exc:
                    if _transient(exc):
                        raise
                    self._write_singly(batch)  # one bad record must not hold back the others
                del self._pending[: len(batch)]
                written += len(batch)
                self._done(len(batch))
        except Exception as exc:
            self.engine.dispose()  # reconnect next time: a connection opened read-only stays read-only
            if self._failing != str(exc):
                report(f"cannot write {len(self._pending)} record(s) ({exc!r}); keeping them and retrying")
                self._failing = str(exc)
            return False
        if self._failing:
            report(f"database writable again; wrote {written} delayed record(s)")
            self._failing = ""
        return True

    def _write_singly(self, batch: Sequence[Record]) -> None:
        for record in batch:
            try:
                self._write([record])
            except Exception as exc:
                if _transient(exc):
                    raise
                report(f"dropping a {type(record).__name__} the database rejects: {exc!r}")

    # -- shutdown -------------------------------------------------------------------
    def flush(self, timeout: float | None = 10.0) -> bool:
        """Wait until every queued record is written; False on timeout (records still kept)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._unwritten <= 0, timeout)

    @property
    def unwritten(self) -> int:
        with self._cond:
            return self._unwritten

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (one last attempt), spool the rest, release the database."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._stopping.set()
        self._queue.put(_STOP)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                report("the writer is still busy at close; queued records may be lost")
                return
        self._drain()
        leftover, self._pending = self._pending, []
        if leftover:
            self._done(len(leftover))
            self._keep(leftover, "the database is still unavailable at close")
        self.engine.dispose()

    def _keep(self, records: list[Record], why: str) -> None:
        if self.spool_path is None:
            report(f"{why}: {len(records)} record(s) lost (no spool file for this database)")
            return
        try:
            spool.append(self.spool_path, records)
            report(f"{why}: {len(records)} record(s) kept in {self.spool_path}; written at the next start")
        except OSError as exc:
            report(f"{why}: {len(records)} record(s) lost, cannot write {self.spool_path}: {exc!r}")

    def _load_spool(self) -> None:
        if self.spool_path is None:
            return
        try:
            records, problems = spool.take(self.spool_path)
        except OSError as exc:
            report(f"cannot read {self.spool_path}: {exc!r}")
            return
        for problem in problems:
            report(f"unreadable spooled record dropped: {problem}")
        for record in records:
            self._submit(record, masked=True)


def open_store(settings: Settings, *, auto_upgrade: bool = True) -> Store:
    """The store for SETTINGS: data_dir created, id key resolved, spool beside the data."""
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    key = settings.id_hash_key if settings.store_raw_ids else resolve_key(settings.id_hash_key, data_dir / "id_hash.key")
    return Store(
        settings.effective_database_url,
        id_hash_key=key,
        store_raw_ids=settings.store_raw_ids,
        auto_upgrade=auto_upgrade,
        spool_path=data_dir / "pending-records.jsonl",
    )
