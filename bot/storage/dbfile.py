"""The SQLite file behind a store: created private, and noticed when deleted or replaced.

SQLite keeps writing into a database file unlinked while in use, and a reconnect creates an
empty file without tables (sqlite.org/howtocorrupt.html, 2.4 "Unlinking or renaming a database
file while in use"). The store compares the file's (device, inode) before and after each write.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.storage.db import prepare_sqlite_file, sqlite_path


class DatabaseFile:
    """The file of a SQLite URL (``path`` is None for memory and server databases)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path: Path | None = sqlite_path(url)
        self._opened: tuple[int, int] | None = None

    def prepare(self) -> None:
        """Create the folder (0700) and file (0600) if missing; OSError when impossible."""
        prepare_sqlite_file(self.url)

    def identity(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            status = os.stat(self.path)
        except OSError:
            return None
        return status.st_dev, status.st_ino

    def remember(self) -> None:
        """The file as it is now is the one the store's connections have open."""
        self._opened = self.identity()

    def forget(self) -> None:
        self._opened = None

    def unchanged(self) -> bool:
        """False when the file remembered was deleted or replaced since."""
        return self._opened is None or self.identity() == self._opened
