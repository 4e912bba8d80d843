"""Adding articles to corpus/: an uploaded file saved safely, an article's metadata edited.

``save_upload`` checks a file the way the library will read it (``retrieval.loader.article_text``):
what it would skip is refused here, with the reason. The bytes are kept as uploaded (a GBK file
stays GBK; the loader detects the encoding), so the digest the reload reports is the file's own.

A name that is taken is never overwritten: the same bytes again give back the article already
there; different bytes are kept beside it under a new name (``name-2.txt``), because replacing an
article the bot already quotes should be the admin's explicit act, not an upload's side effect.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path

import tomlkit

from retrieval.loader import ARTICLE_SUFFIXES, UnreadableFile, article_text

MAX_STEM = 80  # characters of the saved file's name before its extension
_UNSAFE = re.compile(r"[^\w.\-()（）·]+")  # letters (any script), digits, _ . - and brackets are kept
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_meta_lock = threading.Lock()


def safe_name(filename: str) -> str:
    """FILENAME as a file name in corpus/articles: no folders, not hidden, no control characters or
    spaces, extension in lower case. Raises ValueError for an unsupported extension or no name."""
    base = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in ARTICLE_SUFFIXES:
        shown = suffix or "(none)"
        raise ValueError(f"unsupported file type {shown!s}: upload a .txt, .md or .html file")
    stem = _UNSAFE.sub("_", stem).strip("._-")[:MAX_STEM].strip("._-")
    if not stem:
        raise ValueError("the file has no usable name: rename it (letters or digits before the extension)")
    return stem + suffix


def _taken(folder: Path) -> dict[str, Path]:
    """Article ids (file stems) already used under FOLDER, whatever their extension."""
    return {p.stem.lower(): p for p in folder.rglob("*") if p.suffix.lower() in ARTICLE_SUFFIXES}


def save_upload(corpus_dir: Path, filename: str, data: bytes) -> str:
    """Save an uploaded article under corpus_dir/articles; its article id. Raises ValueError with a
    readable reason for an unsupported extension, a binary, undecodable or empty file."""
    name = safe_name(filename)
    try:
        article_text(name, data)
    except UnreadableFile as exc:
        raise ValueError(f"{name}: {exc}") from exc
    folder = Path(corpus_dir) / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = name[: -len(Path(name).suffix)], Path(name).suffix
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", suffix=".part", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
        temp = Path(handle.name)
    temp.chmod(0o644)  # as readable as the files beside it (a temporary file is private)
    try:
        for n in range(1, 1000):
            candidate = stem if n == 1 else f"{stem}-{n}"
            existing = _taken(folder).get(candidate.lower())
            if existing is not None:
                if existing.is_file() and existing.read_bytes() == data:
                    return existing.stem  # uploaded twice: one article
                continue
            try:
                os.link(temp, folder / f"{candidate}{suffix}")  # fails if the name was taken meanwhile
            except FileExistsError:
                continue
            return candidate
        raise ValueError(f"{name}: too many articles with this name")
    finally:
        temp.unlink(missing_ok=True)


def _clean_value(value: str, what: str) -> str:
    value = " ".join(str(value).split())
    if _CONTROL.search(value):
        raise ValueError(f"{what} holds control characters")
    return value


def set_article_meta(
    corpus_dir: Path,
    article_id: str,
    *,
    title: str | None = None,
    year: str | int | None = None,
    districts: list[str] | tuple[str, ...] | None = None,
) -> None:
    """Set an article's title, year and/or districts in corpus/articles.toml (None: left as it is;
    "" or []: removed); every other entry, comment and field is kept as written."""
    if not article_id or _CONTROL.search(article_id):
        raise ValueError("no such article id")
    path = Path(corpus_dir) / "articles.toml"
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = _clean_value(title, "the title")
    if year is not None:
        changes["year"] = _clean_value(str(year), "the year")
    if districts is not None:
        changes["districts"] = [d for d in (_clean_value(d, "a district") for d in districts) if d]
    with _meta_lock:
        document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        entry = document.get(article_id)
        if entry is None:
            entry = tomlkit.table()
            document[article_id] = entry
        elif not isinstance(entry, dict):
            raise ValueError(f"articles.toml: {article_id} is not a table")
        for key, value in changes.items():
            if value in ("", []):
                entry.pop(key, None)
            else:
                entry[key] = value
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".articles-", suffix=".toml",
                                         delete=False) as handle:  # fmt: skip
            handle.write(tomlkit.dumps(document))
            temp = Path(handle.name)
        temp.chmod(path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temp, path)
