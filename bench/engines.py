"""Issue 11: our index vs bm25s (numba) vs tantivy — same run, same tokens, same queries.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python -m bench.engines --sizes 10000,100000,1000000 --tokens-cache /tmp/bench-tokens
    .venv/bin/python -m bench.engines --start 100000       # start → first answer with a saved index

Passages: :func:`bench.synth.zipf_passages` (jieba's dictionary frequencies, so the vocabulary
grows with the corpus; 30 % start with a real sentence).  Tokens: our pipeline (rjieba), once;
every engine gets the same token lists — bm25s as token ids, tantivy as the tokens joined by
spaces with its whitespace tokenizer and frequencies only (no positions).  Queries: the dev and
example questions (and variants), tokenized by ``understand`` outside the timed section.  Each
engine answers top 10; p50/p95 over all queries after one untimed pass.
"""

from __future__ import annotations

import argparse
import gc
import json
import marshal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.measure import CORPUS, machine, phase
from bench.synth import BenchQuery, bench_queries, real_headings, real_sentences, write_corpus, zipf_passages
from retrieval.index import BM25Index
from retrieval.library import Library, build_library
from retrieval.passages import Article, Passage
from retrieval.query import understand
from retrieval.search import search
from retrieval.tokenize import SEGMENTER, Tokenizer

K = 10


def spread(values_ms: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values_ms, dtype=np.float64)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)), "mean": float(arr.mean())}


def timed_queries(queries: Sequence[Any], run: Callable[[Any], object]) -> dict[str, float]:
    for query in queries:  # untimed pass: JIT, page cache, lazy loads
        run(query)
    times = []
    for query in queries:
        started = time.perf_counter()
        run(query)
        times.append((time.perf_counter() - started) * 1000)
    return spread(times)


def synthetic_library(real: Library, texts: list[str], tokens: list[list[str]], index: BM25Index) -> Library:
    """A library over the synthetic passages (articles of 100, a real heading every 10) for the full
    search path, sharing ``index``; the tokenizer and word lists are the real library's."""
    headings = real_headings(real)
    heading_tokens_of = {h: real.tokenizer.tokenize(h) for h in headings}
    articles: dict[str, Article] = {}
    passages: list[Passage] = []
    for pid, text in enumerate(texts):
        number, position = divmod(pid, 100)
        article = articles.setdefault(f"synth_{number}", Article(f"synth_{number}", f"合成文章第{number}篇"))
        section = headings[(number * 10 + position // 10) % len(headings)]
        passage = Passage(pid, article.article_id, position, section, text, paragraph=position)
        article.passages.append(passage)
        passages.append(passage)
    heading_tokens = [heading_tokens_of[p.section] for p in passages]
    same = np.array([0.0] + [float(a.article == b.article and a.section == b.section)
                             for a, b in zip(passages, passages[1:])])[: len(passages)]
    return Library(corpus_dir=real.corpus_dir, articles=articles, passages=passages, tokenizer=real.tokenizer,
                   lexicon=real.lexicon, index=index, body_tokens=tokens, heading_tokens=heading_tokens,
                   heading_index=BM25Index(heading_tokens), same_section=same)


def tokenizer_speed(real: Library, texts: list[str]) -> dict[str, Any]:
    """rjieba vs python jieba on the same sample: seconds and whether every token list is equal."""
    words = [*real.lexicon.user_words, *real.tokenizer.added_words]
    out: dict[str, Any] = {"texts": len(texts)}
    results = {}
    for engine in ("jieba", "rjieba"):
        tokenizer = Tokenizer(words, real.lexicon.stopwords, engine=engine)
        started = time.perf_counter()
        results[engine] = [tokenizer.tokenize(t) for t in texts]
        out[f"{engine}_s"] = time.perf_counter() - started
    out["identical"] = sum(a == b for a, b in zip(results["jieba"], results["rjieba"]))
    return out


TRACE_UP_TO = 100_000  # tracemalloc slows the build down: the traced build is done up to this size


def traced_build_peak(tokens: list[list[str]]) -> float:
    """Peak of the memory the build allocates (numpy and Python objects, by tracemalloc) over what
    the finished index keeps (arrays, vocabulary dict, term list): allocator slack aside, unlike RSS."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    try:
        index = BM25Index(tokens)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del index
    return peak / max(1, kept)


def run_ours(tokens: list[list[str]], queries: list[BenchQuery], phases: dict[str, Any]) -> tuple[BM25Index, dict]:
    with phase("ours_build", phases):
        index = BM25Index(tokens)
    postings = len(index.postings_doc)
    traced = traced_build_peak(tokens) if len(tokens) <= TRACE_UP_TO else None
    return index, {"traced_peak_over_final": traced,
        "build_s": phases["ours_build"]["seconds"], "postings": postings, "vocabulary": len(index.terms),
        "bytes_per_posting": index.nbytes / max(1, postings), "index_mb": index.nbytes / 2**20,
        "build_peak_mb": phases["ours_build"]["peak_mb"] - phases["ours_build"]["rss_before_mb"],
        "query_ms": timed_queries(queries, lambda q: index.search(q.tokens, K)),
    }


def run_bm25s(tokens: list[list[str]], index: BM25Index, queries: list[BenchQuery], phases: dict[str, Any]) -> dict:
    import bm25s
    from bm25s.tokenization import Tokenized

    vocab = index.vocab
    ids = [[vocab[t] for t in doc] for doc in tokens]
    gc.collect()
    with phase("bm25s_build", phases):
        retriever = bm25s.BM25(k1=1.5, b=0.75, method="robertson", backend="numba")
        retriever.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    del ids
    matrix = retriever.scores
    nbytes = sum(int(matrix[key].nbytes) for key in ("data", "indices", "indptr"))
    nnz = len(matrix["data"])

    def run(query: BenchQuery) -> object:
        known = [[vocab[t] for t in query.tokens if t in vocab] or [0]]  # token ids (a Tokenized costs ms)
        return retriever.retrieve(known, k=K, show_progress=False, n_threads=1, backend_selection="numba")

    return {"build_s": phases["bm25s_build"]["seconds"], "bytes_per_posting": nbytes / max(1, nnz),
            "build_peak_mb": phases["bm25s_build"]["peak_mb"] - phases["bm25s_build"]["rss_before_mb"],
            "query_ms": timed_queries(queries, run)}


def run_tantivy(tokens: list[list[str]], queries: list[BenchQuery], phases: dict[str, Any], postings: int) -> dict:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    schema = builder.build()
    with tempfile.TemporaryDirectory(prefix="bench-tantivy-") as folder:
        gc.collect()
        with phase("tantivy_build", phases):
            index = tantivy.Index(schema, path=folder)
            writer = index.writer(heap_size=512 * 2**20, num_threads=1)
            for doc in tokens:
                writer.add_document(tantivy.Document(body=" ".join(doc)))
            writer.commit()
            writer.wait_merging_threads()
            index.reload()
        size = sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
        searcher = index.searcher()

        def run(query: BenchQuery) -> object:
            should = [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t)) for t in query.tokens]
            return searcher.search(tantivy.Query.boolean_query(should), K).hits

        return {"build_s": phases["tantivy_build"]["seconds"], "bytes_per_posting": size / max(1, postings),
                "build_peak_mb": phases["tantivy_build"]["peak_mb"] - phases["tantivy_build"]["rss_before_mb"],
                "segments": searcher.num_segments, "query_ms": timed_queries(queries, run)}


def synthetic_tokens(real: Library, n: int, seed: int, workers: int, cache: Path | None,
                     phases: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """``n`` Zipfian passages and their tokens; with ``cache``, the tokens are kept there (marshal)
    for the next run of the same size, seed and segmenter."""
    texts = zipf_passages(n, real_sentences(real), seed)
    path = cache / f"tokens-{n}-{seed}-{SEGMENTER.replace('/', '_')}.marshal" if cache else None
    if path is not None and path.exists():
        return texts, marshal.loads(path.read_bytes())
    with phase("tokenize", phases):
        tokens = real.tokenizer.tokenize_many(texts, workers=workers)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(marshal.dumps(tokens))
    return texts, tokens


def run_engines(sizes: Sequence[int], *, n_queries: int = 240, workers: int = 2, seed: int = 42,
                corpus: Path = CORPUS, engines: Sequence[str] = ("ours", "bm25s", "tantivy"),
                cache: Path | None = None) -> dict[str, Any]:
    """Each size is a prefix of the largest one's passages (so the vocabulary grows as in a real archive)."""
    phases: dict[str, Any] = {}
    out: dict[str, Any] = {"queries": n_queries, "sizes": []}
    with phase("setup", phases):
        real = build_library(corpus)
        queries = bench_queries(real, n_queries, seed)
    texts, all_tokens = synthetic_tokens(real, max(sizes), seed, workers, cache, phases)
    out["tokenize_s"] = phases.get("tokenize", {}).get("seconds")
    out["tokenizers"] = tokenizer_speed(real, texts[:2000])
    for n in sorted(sizes):
        tokens = all_tokens[:n]
        size: dict[str, Any] = {"n": n, "mean_passage_chars": sum(map(len, texts[:n])) / max(1, n),
                                "mean_passage_tokens": sum(map(len, tokens)) / max(1, n)}
        index, size["ours"] = run_ours(tokens, queries, phases)
        library = synthetic_library(real, texts[:n], tokens, index)
        understood = [understand(library, q.text) for q in queries]
        size["ours"]["full_path_ms"] = timed_queries(understood, lambda q: search(library, q))
        size["ours"]["bare_same_queries_ms"] = timed_queries(understood, lambda q: index.search(q.weights, K))
        del library, understood
        if "bm25s" in engines:
            size["bm25s"] = run_bm25s(tokens, index, queries, phases)
        if "tantivy" in engines:
            size["tantivy"] = run_tantivy(tokens, queries, phases, len(index.postings_doc))
        del index
        gc.collect()
        out["sizes"].append(size)
        print(json.dumps(size, ensure_ascii=False), file=sys.stderr, flush=True)
    return out


def start_with_saved_index(n: int, runs: int = 3, seed: int = 42, corpus: Path = CORPUS) -> dict[str, Any]:
    """A synthetic corpus directory of ``n`` passages: built and saved once, then started in fresh
    processes (imports + Engine.from_corpus + first Engine.handle), BM25 alone."""
    from bench.semantic import first_answer_once
    from retrieval.persist import open_library

    real = build_library(corpus)
    texts = zipf_passages(n, real_sentences(real), seed)
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        root, data = Path(tmp) / "corpus", Path(tmp) / "data"
        write_corpus(root, texts, real_headings(real))
        started = time.perf_counter()
        built = open_library(root, data)
        cold = time.perf_counter() - started
        samples = [first_answer_once("none", data, root) for _ in range(runs)]
    return {"n": n, "passages": len(built.passages), "cold_build_and_save_s": cold,
            "runs": [round(s["wall_s"], 3) for s in samples],
            **{k: statistics.median(float(s[k]) for s in samples) for k in ("wall_s", "import_s", "build_s", "handle_s")},
            "answered": all(s["answered"] for s in samples)}


def _ms(spread_ms: dict[str, float]) -> str:
    return f"{spread_ms['p50']:.3f} / {spread_ms['p95']:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The README's tables from a result of :func:`main`."""
    lines = []
    if result.get("sizes"):
        lines += ["| passages | vocabulary | postings | engine | build s | build peak (RSS) MB | bytes / posting "
                  "| query p50 / p95 ms | p50 vs ours |", "|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
        for size in result["sizes"]:
            ours = size["ours"]
            base = ours["query_ms"]["p50"]
            for name in ("ours", "bm25s", "tantivy"):
                if name not in size:
                    continue
                row = size[name]
                peak = f"{row['build_peak_mb']:,.0f}"
                if name == "ours" and row.get("traced_peak_over_final"):
                    peak += f" (traced {row['traced_peak_over_final']:.2f}× the index)"
                lines.append(f"| {size['n']:,} | {ours['vocabulary']:,} | {ours['postings']:,} | {name} | "
                             f"{row['build_s']:.1f} | {peak} | {row['bytes_per_posting']:.2f} | {_ms(row['query_ms'])} | "
                             f"{row['query_ms']['p50'] / base:.2f}× |")
        lines += ["", "| passages | bare index p50 / p95 ms | full search path p50 / p95 ms | full ÷ bare (p50) |",
                  "|---:|---:|---:|---:|"]
        for size in result["sizes"]:
            bare, full = size["ours"]["bare_same_queries_ms"], size["ours"]["full_path_ms"]
            lines.append(f"| {size['n']:,} | {_ms(bare)} | {_ms(full)} | {full['p50'] / bare['p50']:.1f}× |")
    if "start" in result:
        start = result["start"]
        lines += ["", f"Start with a saved index, {start['passages']:,} passages (fresh process: imports, "
                  f"Engine.from_corpus, first Engine.handle; median of {len(start['runs'])}): "
                  f"**{start['wall_s']:.2f} s** (imports {start['import_s']:.2f} s, load {start['build_s']:.2f} s, "
                  f"first answer {start['handle_s'] * 1000:.0f} ms; runs {start['runs']}); building and saving it "
                  f"cold took {start['cold_build_and_save_s']:.0f} s."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="passages for the engine comparison, e.g. 10000,100000,1000000")
    parser.add_argument("--tokens-cache", type=Path, help="keep the synthetic passages' tokens here between runs")
    parser.add_argument("--start", type=int, help="passages for start → first answer with a saved index")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--engines", default="ours,bm25s,tantivy")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine": machine()}
    if args.sizes:
        sizes = [int(part.replace("_", "")) for part in args.sizes.split(",")]
        result.update(run_engines(sizes, n_queries=args.queries, workers=args.workers,
                                  engines=args.engines.split(","), cache=args.tokens_cache))
    if args.start:
        result["start"] = start_with_saved_index(args.start)
    print(json.dumps(result, ensure_ascii=False))
    print(markdown(result), file=sys.stderr)


if __name__ == "__main__":
    main()
