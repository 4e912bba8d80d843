"""Tables derived from installed data (a dictionary, jieba's part-of-speech tags), cached on disk.

Parsing CC-CEDICT or jieba's tag list takes about a second; loading the result back with
``marshal`` (plain dicts, strings, tuples — no code runs on load, unlike pickle) takes a
tenth of that.  The cache lives in the user's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache``), keyed by the name the caller gives (which carries the data's version); a
missing, damaged or unwritable cache only costs the parse.
"""

from __future__ import annotations

import marshal
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
FOLDER = "jinan-party-bot"


def cache_folder() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / FOLDER


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()``'s result, from ``cache_folder()/name`` when it is there and readable."""
    path = cache_folder() / name
    try:
        return marshal.loads(path.read_bytes())  # type: ignore[no-any-return]
    except (OSError, ValueError, EOFError, TypeError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(marshal.dumps(value))
        os.replace(temp, path)
    except (OSError, ValueError):
        pass  # read-only home, or a value marshal can't write: parse again next time
    return value
