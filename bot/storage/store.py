"""The database sink: the engine's records are queued and written by a background thread.

Nothing here runs on the reply path except a queue put. When the database is unavailable,
read-only or locked, the failure is reported on stderr and the records stay queued and are
retried; whatever is still unwritten at close goes to a spool file written at the next start.
A SQLite file deleted under the running bot is noticed and recreated with its schema; a
database that cannot be created at all sends every record straight to the spool.
"""

from __future__ import annotations

import atexit
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from bot.records import Exchange, Feedback, ReloadReport
from bot.storage import spool
from bot.storage.db import make_engine, normalise_url, shown_url, upgrade
from bot.storage.dbfile import DatabaseFile
from bot.storage.faults import describe, missing_table, report, transient
from bot.storage.ids import IdMasker, mask_record, resolve_key
from bot.storage.rows import to_row
from bot.storage.spool import Record
from bot.storage.votes import upsert_feedback

if TYPE_CHECKING:
    from bot.config import Settings

BATCH = 500
_STOP = object()

__all__ = ["Store", "open_store"]


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
        self.url = normalise_url(url)
        self.shown_url = shown_url(self.url)
        self.file = DatabaseFile(self.url)
        self.unavailable = ""  # why the database cannot even be created: records go straight to the spool
        try:
            self.file.prepare()
        except OSError as exc:
            self.unavailable = f"cannot create the database file {self.file.path} ({exc.strerror or exc})"
        self.engine = make_engine(self.url, busy_timeout_s=busy_timeout_s, prepare=False)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.mask = IdMasker(id_hash_key, store_raw=store_raw_ids)
        self.auto_upgrade = auto_upgrade
        db_file = self.file.path
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
        self.file.remember()
        if self.unavailable:
            kept = f"kept in {self.spool_path} and written at the next start" if self.spool_path else "lost (no spool)"
            report(f"{self.unavailable}; answering anyway, records are {kept}")
        elif auto_upgrade:
            try:
                self._ensure_schema()
            except Exception as exc:  # the bot still answers; the writer retries
                self._failing = describe(exc)  # said once: the writer does not repeat it
                report(f"cannot upgrade the database at start: {self.shown_url} ({describe(exc)}); "
                       "records will be kept and retried")  # fmt: skip
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
            if not masked:
                record = mask_record(record, self.mask)
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
            self.file.remember()

    def _reopen(self) -> None:
        report(f"the database file {self.file.path} was deleted or replaced; creating it again with its schema")
        self.engine.dispose()
        self.file.forget()
        self._schema_ready = not self.auto_upgrade
        self.file.prepare()

    def _write(self, records: Sequence[Record]) -> None:
        with self.sessions.begin() as session:
            session.add_all([to_row(r) for r in records if not isinstance(r, Feedback)])
            upsert_feedback(session, [r for r in records if isinstance(r, Feedback)])  # one vote per user

    def _write_pending(self) -> bool:
        """Write everything pending; False (records kept) on a transient database error."""
        if self.unavailable:
            records, self._pending = self._pending, []
            self._done(len(records))
            self._keep(records, self.unavailable, quiet=True)
            return True
        written = 0
        try:
            while self._pending:
                if not self.file.unchanged():
                    self._reopen()
                self._ensure_schema()
                batch = self._pending[:BATCH]
                try:
                    self._write(batch)
                except Exception as exc:
                    if transient(exc):
                        raise
                    self._write_singly(batch)  # one bad record must not hold back the others
                if not self.file.unchanged():
                    continue  # the batch may have gone into the deleted file: write it again into the new one
                del self._pending[: len(batch)]
                written += len(batch)
                self._done(len(batch))
        except Exception as exc:
            self.engine.dispose()  # reconnect next time: a connection opened read-only stays read-only
            if missing_table(exc):
                self._schema_ready = not self.auto_upgrade
            if self._failing != describe(exc):
                report(f"cannot write {len(self._pending)} record(s) ({describe(exc)}); keeping them and retrying")
                self._failing = describe(exc)
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
                if transient(exc):
                    raise
                report(f"dropping a {type(record).__name__} the database rejects: {describe(exc)}")

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
            why = self.unavailable or "the database is still unavailable at close"
            self._keep(leftover, why, quiet=bool(self.unavailable))
        self.engine.dispose()

    def _keep(self, records: list[Record], why: str, *, quiet: bool = False) -> None:
        spool.keep(self.spool_path, records, why, quiet=quiet)

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
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        report(f"cannot create the data folder {data_dir} ({exc.strerror or exc}); records may be lost")
    key = settings.id_hash_key if settings.store_raw_ids else resolve_key(settings.id_hash_key, data_dir / "id_hash.key")
    return Store(
        settings.effective_database_url,
        id_hash_key=key,
        store_raw_ids=settings.store_raw_ids,
        auto_upgrade=auto_upgrade,
        spool_path=data_dir / "pending-records.jsonl",
    )
