"""Workers starting together on an empty PostgreSQL database all upgrade it (found by bench.load_workers):
without a lock, all but one failed with a duplicate catalog entry and started with a broken store."""

from __future__ import annotations

import subprocess
import sys
import time

from sqlalchemy import create_engine

from bot.storage.db import current_revision, head_revision

_UPGRADE_AT = """
import sys, time
from sqlalchemy import create_engine
from bot.storage.db import upgrade
engine = create_engine(sys.argv[1])
engine.connect().close()
while time.time() < float(sys.argv[2]):  # every process starts its migration at the same moment
    pass
upgrade(engine)
"""


def test_three_processes_upgrading_an_empty_database_at_once_all_succeed(pg_url: str) -> None:
    url = pg_url.replace("postgresql://", "postgresql+psycopg://", 1)
    at = str(time.time() + 5)  # after every interpreter has imported the bot
    runs = [subprocess.Popen([sys.executable, "-c", _UPGRADE_AT, url, at], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    results = [(run.wait(timeout=120), run.communicate()[1]) for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], [err[-400:] for _, err in results]
    engine = create_engine(url)
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
