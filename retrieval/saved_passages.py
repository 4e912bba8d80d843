"""A saved library's passages as columns, a :class:`Passage` made only when one is asked for.

A start with a saved index of 100k passages would otherwise unpack 100k tuples and make 100k
objects before the first answer.  Here the texts are one UTF-8 file (memory-mapped: workers
share its pages), the rest small integer arrays; ``library.passages`` and each
``article.passages`` are read-only sequences over them.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import overload

import numpy as np

from retrieval.passages import Article, Passage

COLUMNS = ("article", "position", "paragraph", "section", "text_start", "text_char")


def save_passages(folder: Path, articles: Sequence[Article], passages: Sequence[Passage]) -> None:
    """Write ``passages`` (articles in ``articles``' order) as columns into ``folder``."""
    number = {a.article_id: i for i, a in enumerate(articles)}
    sections: dict[str, int] = {}
    blobs = [p.text.encode("utf-8", "surrogatepass") for p in passages]
    columns = {
        "article": np.array([number[p.article] for p in passages], dtype=np.int32),
        "position": np.array([p.position for p in passages], dtype=np.int32),
        "paragraph": np.array([p.paragraph for p in passages], dtype=np.int32),
        "section": np.array([sections.setdefault(p.section, len(sections)) for p in passages], dtype=np.int32),
        "text_start": np.concatenate(([0], np.cumsum([len(b) for b in blobs]))).astype(np.int64),  # bytes
        "text_char": np.concatenate(([0], np.cumsum([len(p.text) for p in passages]))).astype(np.int64),  # characters
    }
    for name, column in columns.items():
        np.save(folder / f"passages.{name}.npy", column)
    (folder / "passages.sections").write_bytes("\0".join(sections).encode("utf-8", "surrogatepass"))
    (folder / "passages.texts").write_bytes(b"".join(blobs) or b"\0")  # mmap can't map an empty file


class PassageStore:
    """The columns of a saved folder; :meth:`passage` makes one :class:`Passage`."""

    def __init__(self, folder: Path, article_ids: list[str]) -> None:
        self.article_ids = article_ids
        # small integer columns as lists (a list index is what makes one passage cheap); the texts mapped
        arrays = {name: np.load(folder / f"passages.{name}.npy") for name in COLUMNS}
        data = (folder / "passages.sections").read_bytes().decode("utf-8", "surrogatepass")
        self.sections = data.split("\0")
        with open(folder / "passages.texts", "rb") as handle:
            self.texts = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.size = len(arrays["article"])
        starts = arrays["text_start"]
        if any(len(arrays[name]) != self.size for name in COLUMNS[:4]) or len(starts) != self.size + 1 or len(
            arrays["text_char"]
        ) != self.size + 1 or (
            self.size and (int(starts[-1]) > len(self.texts) or int(arrays["section"].max()) >= len(self.sections)
                           or int(arrays["article"].max()) >= len(article_ids) or int(arrays["article"].min()) < 0)
        ):
            raise ValueError("saved passage columns do not fit together")
        self.owners = arrays["article"]
        self.article, self.position, self.paragraph, self.section, self.start, self.char = (
            arrays[name].tolist() for name in COLUMNS)

    def passage(self, pid: int, text: str | None = None) -> Passage:
        """Passage ``pid`` (its ``text`` if already decoded)."""
        if text is None:
            text = self.texts[self.start[pid]:self.start[pid + 1]].decode("utf-8", "surrogatepass")
        return Passage(pid, self.article_ids[self.article[pid]], self.position[pid], self.sections[self.section[pid]],
                       text, self.paragraph[pid])

    def texts_of(self, start: int, stop: int) -> list[str]:
        """The texts of passages ``start`` … ``stop`` - 1, decoded in one go."""
        if start >= stop:
            return []
        run = self.texts[self.start[start]:self.start[stop]].decode("utf-8", "surrogatepass")
        base, chars = self.char[start], self.char
        return [run[chars[i] - base:chars[i + 1] - base] for i in range(start, stop)]

    def runs(self) -> list[tuple[int, int]]:
        """(first pid, end pid) of each article, by article number (passages of one article are contiguous)."""
        owners = self.owners
        counts = np.bincount(owners, minlength=len(self.article_ids))
        if len(owners) > 1 and bool((np.diff(owners) < 0).any()):
            raise ValueError("saved passages are not grouped by article")
        ends = np.cumsum(counts)
        return list(zip((ends - counts).tolist(), ends.tolist()))


class SavedPassages(Sequence[Passage]):
    """Passages ``start`` … ``stop`` - 1 of a :class:`PassageStore` (read-only; items made on access)."""

    def __init__(self, store: PassageStore, start: int = 0, stop: int | None = None) -> None:
        self.store, self.start = store, start
        self.stop = store.size if stop is None else stop

    def __len__(self) -> int:
        return self.stop - self.start

    @overload
    def __getitem__(self, i: int) -> Passage: ...

    @overload
    def __getitem__(self, i: slice) -> list[Passage]: ...

    def __getitem__(self, i: int | slice) -> Passage | list[Passage]:
        if isinstance(i, slice):
            return [self.store.passage(self.start + j) for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self.store.passage(self.start + i % len(self))

    def __iter__(self) -> Iterator[Passage]:
        passage = self.store.passage
        return map(passage, range(self.start, self.stop), self.texts())

    def texts(self) -> list[str]:
        """Every passage's text (without making the passages)."""
        return self.store.texts_of(self.start, self.stop)

    def __repr__(self) -> str:
        return f"SavedPassages({self.start}…{self.stop})"


def passage_texts(passages: Sequence[Passage]) -> list[str]:
    """The texts of ``passages``; saved ones are read without making a :class:`Passage` each."""
    return passages.texts() if isinstance(passages, SavedPassages) else [p.text for p in passages]
