"""The built library saved in the data dir, so a restart or a second worker loads it instead of
rebuilding: ``DATA_DIR/index/<corpus digest>/``.

The digest covers every file under corpus/ (articles, metadata, word lists), the code that
turns them into passages and tokens, and the segmenter's version: a changed corpus gets a
new folder, an unchanged one is found again.  The arrays (postings, weights, passage
vectors) are ``.npy`` files opened with ``np.load(mmap_mode="r")``: workers on one machine
share their pages.  The articles and passages are one ``marshal`` file (plain tuples; no
code runs on load, unlike pickle); the passages are columns (``saved_passages.py``), each
``Passage`` made when it is asked for.

A folder is written under a temporary name and renamed into place, so two workers starting
together never see half of one (the second rename loses and its copy is dropped).  A saved
folder that can't be read is rebuilt with a warning, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import shutil
import tempfile
import time
from dataclasses import replace
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from retrieval.cleanup import Block
from retrieval.lexicon import load_lexicon
from retrieval.library import Library, TokenCache, build_library, meaning_texts, with_vectors
from retrieval.passages import Article
from retrieval.saved_index import load_index, save_index
from retrieval.saved_passages import PassageStore, SavedPassages, save_passages
from retrieval.tokenize import SEGMENTER, Tokenizer
from retrieval.vectors import Embedder, Progress

log = logging.getLogger(__name__)

FORMAT = 3
FOLDER = "index"
SAVED = "saved_folder"  # Library.memo key: where the library was saved
KEEP = 3  # saved versions kept (another worker may still be serving an older one)
_CODE = ("cleanup.py", "index.py", "library.py", "lexicon.py", "loader.py", "passages.py", "persist.py",
         "saved_index.py", "saved_passages.py", "segment.py",
         "text.py", "tokenize.py")
_CORRUPT = (OSError, ValueError, KeyError, EOFError, TypeError, IndexError)


def code_version() -> str:
    """A hash of the code that decides passages and tokens, and of the segmenter's version."""
    digest = hashlib.sha256(f"{FORMAT}\0{SEGMENTER}".encode())
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _corpus_files(corpus_dir: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(corpus_dir):  # symlinked folders are not entered
        dirs.sort()
        for name in sorted(files):
            yield Path(root) / name


def corpus_digest(corpus_dir: Path, known: Path | None = None) -> str:
    """sha256 of every corpus file's name and bytes (a link: where it points) and of :func:`code_version`.
    With ``known`` (a small JSON file), files whose size and modification time (ns) are unchanged since
    it was written are not read again: the digest it holds for that list is reused (as git does)."""
    corpus_dir = Path(corpus_dir)
    files = list(_corpus_files(corpus_dir))
    version = code_version().encode()  # reads the code files: once per digest
    stamp = hashlib.sha256(version)
    newest = 0.0
    for path in files:
        try:
            info = path.lstat()
            newest = max(newest, info.st_mtime)
            stamp.update(f"{path.relative_to(corpus_dir)}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode(
                "utf-8", "surrogateescape"))
        except OSError:
            stamp.update(b"?")
    if known is not None:
        try:
            saved = json.loads(known.read_text(encoding="utf-8"))
            # a file changed within 2 s of being hashed might keep its time stamp: hash again then
            if saved["stamp"] == stamp.hexdigest() and newest < float(saved["written"]) - 2:
                return str(saved["digest"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    digest = hashlib.sha256(version)
    for path in files:
        digest.update(b"\0" + str(path.relative_to(corpus_dir)).encode("utf-8", "surrogateescape") + b"\0")
        try:
            digest.update(("link:" + os.readlink(path)).encode("utf-8", "surrogateescape") if path.is_symlink()
                          else path.read_bytes())
        except OSError as exc:
            digest.update(f"unreadable:{exc.errno}".encode())
    if known is not None:
        try:
            known.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(dir=known.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"stamp": stamp.hexdigest(), "digest": digest.hexdigest(), "written": time.time()}, out)
            os.replace(temp, known)
        except OSError:
            pass
    return digest.hexdigest()


class SavedBlocks(Mapping[str, list[Block]]):
    """The cleaned text of each article (by file digest), read from the saved folder when a reload
    first asks for it (an article's blocks aren't needed to answer; a reload reuses them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._blocks: dict[str, list[Block]] | None = None

    def _load(self) -> dict[str, list[Block]]:
        if self._blocks is None:
            try:
                saved = marshal.loads(self.path.read_bytes())
                self._blocks = {digest: [Block(kind, text) for kind, text in rows] for digest, rows in saved.items()}
            except _CORRUPT as exc:
                log.warning("saved article text %s is unreadable (%r): a reload cleans the articles again", self.path, exc)
                self._blocks = {}
        return self._blocks

    def __getitem__(self, digest: str) -> list[Block]:
        return self._load()[digest]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


def _article_rows(library: Library) -> list[tuple]:
    return [(a.article_id, a.title, a.path, a.year, tuple(a.districts), a.source, a.byline, a.digest, a.traditional,
             list(a.headings)) for a in library.articles.values()]


def _articles_from(rows: list[tuple], folder: Path) -> tuple[dict[str, Article], SavedPassages]:
    """The articles, each with its run of the saved passages (made when asked for), and all passages."""
    store = PassageStore(folder, [row[0] for row in rows])
    articles: dict[str, Article] = {}
    for row, (start, stop) in zip(rows, store.runs()):
        article_id, title, path, year, districts, source, byline, digest, traditional, headings = row
        article = Article(article_id, title, path, year, tuple(districts), source, byline, digest, bool(traditional))
        article.headings = list(headings)
        article.passages = SavedPassages(store, start, stop)  # type: ignore[assignment]
        articles[article_id] = article
    return articles, SavedPassages(store)


def save(library: Library, folder: Path, digest: str) -> None:
    """Write ``library`` to ``folder`` (which must not exist yet) through a temporary folder beside it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        save_index(temp, "body", library.index)
        if library.heading_index is not None:
            save_index(temp, "heading", library.heading_index)
        np.save(temp / "same_section.npy", np.asarray(library.same_section, dtype=np.float64))
        state = (_article_rows(library), sorted(library.tokenizer.added_words), list(library.skipped))
        if [p.pid for a in library.articles.values() for p in a.passages] != list(range(len(library.passages))):
            raise ValueError("passages are not numbered in article order")
        save_passages(temp, list(library.articles.values()), library.passages)
        (temp / "library.marshal").write_bytes(marshal.dumps(state))
        blocks = {a.digest: [(b.kind, b.text) for b in a.blocks] for a in library.articles.values()}
        (temp / "blocks.marshal").write_bytes(marshal.dumps(blocks))
        params = {"k1": library.index.k1, "b": library.index.b, "epsilon": library.index.epsilon}
        meta = {"format": FORMAT, "digest": digest, "passages": len(library.passages), "params": params,
                "heading": library.heading_index is not None, "saved": time.time()}
        (temp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.rename(temp, folder)
        except OSError:
            if not (folder / "meta.json").exists():
                raise
            # another worker saved the same version first: keep theirs
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def load(corpus_dir: Path, folder: Path, digest: str) -> Library:
    """The library saved in ``folder``; raises one of OSError, ValueError, … when it is unreadable."""
    started = time.perf_counter()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta.get("digest") != digest:
        raise ValueError("saved index is of another version")
    params = {k: float(v) for k, v in meta["params"].items()}
    rows, added, skipped = marshal.loads((folder / "library.marshal").read_bytes())
    articles, passages = _articles_from(rows, folder)
    index, body_tokens = load_index(folder, "body", params)
    heading_index, heading_tokens = load_index(folder, "heading", params) if meta["heading"] else (None, [])
    same = np.load(folder / "same_section.npy", mmap_mode="r")
    if not len(passages) == meta["passages"] == index.n_docs == len(same):
        raise ValueError("saved passages do not match the saved index")
    lexicon = load_lexicon(corpus_dir)
    tokenizer = Tokenizer([*lexicon.user_words, *added], lexicon.stopwords)
    return Library(
        corpus_dir=corpus_dir, articles=articles, tokenizer=tokenizer, lexicon=lexicon,
        passages=passages,  # type: ignore[arg-type]
        index=index, body_tokens=body_tokens, heading_tokens=heading_tokens,  # type: ignore[arg-type]
        heading_index=heading_index, same_section=same, skipped=[tuple(s) for s in skipped],
        cache=TokenCache(frozenset(tokenizer.added_words), {}, SavedBlocks(folder / "blocks.marshal")),  # type: ignore[arg-type]
        build_seconds=time.perf_counter() - started,
    )


def _prune(parent: Path, keep: Path) -> None:
    """Drop all but the newest KEEP saved versions (and temporary folders over an hour old)."""
    try:
        folders = sorted((p for p in parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    kept = 0
    for path in folders:
        if path.name.startswith("."):
            if time.time() - path.stat().st_mtime > 3600:
                shutil.rmtree(path, ignore_errors=True)
        elif path == keep or kept < KEEP - 1:
            kept += path != keep
        else:
            shutil.rmtree(path, ignore_errors=True)


def _set_aside(folder: Path) -> None:
    """Move a damaged saved folder out of the way (renamed, then removed)."""
    trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
    try:
        os.rename(folder, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def open_library(
    corpus_dir: Path, data_dir: Path | None, *, embedder: Embedder | None = None, progress: Progress | None = None
) -> Library:
    """corpus/ as a library: loaded from ``data_dir`` when this corpus version was saved there,
    else built (and saved). Without a data dir it is simply built. With an ``embedder``, the
    passage vectors are saved and loaded beside the index (see :func:`with_saved_vectors`)."""
    corpus_dir = Path(corpus_dir)
    if data_dir is None:
        return build_library(corpus_dir, embedder=embedder, progress=progress)
    digest = corpus_digest(corpus_dir, Path(data_dir) / FOLDER / "digest.json")
    folder = Path(data_dir) / FOLDER / digest[:40]
    library: Library | None = None
    if folder.exists():
        try:
            library = load(corpus_dir, folder, digest)
        except _CORRUPT as exc:
            log.warning("saved index %s is unreadable (%r): rebuilding it", folder, exc)
            _set_aside(folder)
    if library is None:
        library = build_library(corpus_dir)
        try:
            save(library, folder, digest)
            _prune(folder.parent, folder)
        except OSError as exc:
            log.warning("could not save the index to %s (%r); the next start builds it again", folder, exc)
    library.memo[SAVED] = folder
    return with_saved_vectors(library, embedder, folder, progress) if embedder is not None else library


def add_vectors(library: Library, embedder: Embedder, progress: Progress | None = None) -> Library:
    """``library`` with passage vectors: saved beside its index when it came from :func:`open_library`
    with a data dir, else from the embedder (and its own cache)."""
    folder = library.memo.get(SAVED)
    if isinstance(folder, Path) and folder.is_dir():
        return with_saved_vectors(library, embedder, folder, progress)
    return with_vectors(library, embedder, progress)


def with_saved_vectors(library: Library, embedder: Embedder, folder: Path, progress: Progress | None = None) -> Library:
    """``library`` with its passage vectors: ``folder/vectors-<model>.npy`` memory-mapped when saved
    there, else embedded (the embedder's own cache first) and saved."""
    path = folder / f"vectors-{embedder.name}.npy"
    try:
        vectors = np.load(path, mmap_mode="r")
        if vectors.ndim != 2 or len(vectors) != len(library.passages):
            raise ValueError("saved vectors do not match the passages")
    except FileNotFoundError:
        vectors = None
    except _CORRUPT as exc:
        log.warning("saved vectors %s are unreadable (%r): embedding again", path, exc)
        vectors = None
    if vectors is None:
        vectors = embedder.passages(meaning_texts(library.passages, library.articles, library.lexicon), progress)
        try:
            handle, temp = tempfile.mkstemp(dir=folder, suffix=".npy.tmp")
            with os.fdopen(handle, "wb") as out:
                np.save(out, np.asarray(vectors))
            os.replace(temp, path)
        except OSError as exc:
            log.warning("could not save vectors to %s (%r)", path, exc)
    return replace(library, embedder=embedder, vectors=vectors, memo={SAVED: folder})
