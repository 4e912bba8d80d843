"""bench.semantic's results as Markdown: machine, the four tables, the targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.report import _count, _mark, _n
from retrieval.embedding import DEFAULT_MODEL

Result = Mapping[str, Any]

TARGET_HANDLE_MS = 20.0
TARGET_FIRST_ANSWER_S = 3.0
TARGET_COLD_S = 180.0
LABELS = {"use-m3": "fused, use-m3", "e5+use": "fused, e5-small ranks, USE judges", "e5-small": "fused, e5-small",
          "none": "BM25 alone"}
LABELS[DEFAULT_MODEL] += " (default)"


def engine_table(engines: list[Result]) -> list[str]:
    base = next((e["handle_ms"]["p50"] for e in engines if e["model"] == "none"), float("nan"))
    lines = ["| engine | build s (cold vectors) | handle p50 ms | p99 ms | max ms | p50 ÷ BM25 alone "
             "| question embedding p50 ms (in handle) | answered | peak RSS MB | load avg before → after |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for e in engines:
        h, q = e["handle_ms"], e["embed_ms"]
        embed = f"{_n(q['p50'], 2)} ({e['query_embeddings']}/{e['questions']} embedded)" if q["n"] else "–"
        lines.append(f"| {LABELS.get(e['model'], e['model'])} | {_n(e['build_s'])} | {_n(h['p50'], 2)} "
                     f"| {_n(h['p99'], 2)} | {_n(h['max'], 1)} | {_n(h['p50'] / base, 1)}× | {embed} "
                     f"| {e['answered']}/{e['questions']} | {_n(e['process_maxrss_mb'], 0)} "
                     f"| {e.get('load_before', '?')} → {e.get('load_after', '?')} |")
    return lines


def first_answer_table(runs: list[Result]) -> list[str]:
    lines = ["| engine | start → first answer s (median) | imports s | model load s | build s | handle ms "
             "| passages embedded at start | runs s |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        lines.append(f"| {LABELS.get(r['model'], r['model'])} | {_n(r['wall_s'])} | {_n(r['import_s'])} "
                     f"| {_n(r['model_s'])} | {_n(r['build_s'])} | {_n(r['handle_s'] * 1000, 0)} "
                     f"| {r['embedded']} (first run: {r['primer_embedded']}) | {', '.join(map(str, r['runs']))} |")
    return lines


def cold_table(c: Result) -> list[str]:
    ph = c["phases"]
    lines = ["| step | wall s | tokenize, index … s | embedding s (CPU s) | passages embedded | texts tokenized "
             "| peak RSS MB |", "|---|---:|---:|---:|---:|---:|---:|"]
    lines.append(f"| model load ({c['encoder']}) | {_n(ph['model_load']['seconds'])} | – | – | – | – "
                 f"| {_n(ph['model_load']['peak_mb'], 0)} |")
    for key, label in (("cold_build", "cold build, empty vector cache"), ("reload_unchanged", "reload, nothing changed"),
                       ("reload_one_article_changed", "reload, 1 article rewritten")):
        p = ph[key]
        lines.append(f"| {label} | {_n(p['seconds'])} | {_n(p['rest_s'])} | {_n(p['embed_s'])} "
                     f"({_n(p['embed_cpu_s'])}) | {_count(p['embedded'])} | {_count(p['tokenized_texts'])} "
                     f"| {_n(p['peak_mb'], 0)} |")
    return lines


def encoder_table(enc: Result, n: int) -> list[str]:
    lines = ["| model | load s | passage alone p50 ms | passage in batches of 64, ms each | question p50 ms "
             f"| question p99 ms | {enc['models']['use-m3']['extra_n']} synthetic passages batched s "
             f"| {n:,} passages, extrapolated s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, m in enc["models"].items():
        per = m["extra_batched_s"] / max(m["extra_n"], 1)
        lines.append(f"| {m['encoder']} | {_n(m['load_s'])} | {_n(m['passage_alone_ms']['p50'], 1)} "
                     f"| {_n(m['passage_batched_ms'], 1)} | {_n(m['question_ms']['p50'], 1)} "
                     f"| {_n(m['question_ms']['p99'], 1)} | {_n(m['extra_batched_s'], 1)} | {_n(per * n, 0)} |")
    return lines


def targets(results: Result) -> list[str]:
    model = results.get("default_model", DEFAULT_MODEL)
    default = next(e for e in results["engines"] if e["model"] == model)
    first = next(r for r in results["first_answer"] if r["model"] == model)
    cold = results["cold"]
    build = cold["phases"]["cold_build"]["seconds"]
    rss = ", ".join(f"{LABELS[e['model']]} {_n(e['process_maxrss_mb'], 0)} MB" for e in results["engines"])
    h = default["handle_ms"]
    return ["| target | measured | |", "|---|---|---|",
            f"| real corpus: Engine.handle p50 ≤ 20 ms incl. the question's embedding ({model}) "
            f"| p50 {_n(h['p50'], 2)} ms, p99 {_n(h['p99'], 2)} ms | {_mark(h['p50'] <= TARGET_HANDLE_MS)} |",
            f"| start → first answer ≤ 3 s, warm vector cache ({model}, median of {len(first['runs'])}) "
            f"| {_n(first['wall_s'])} s | {_mark(first['wall_s'] <= TARGET_FIRST_ANSWER_S)} |",
            f"| {_count(cold['phases']['cold_build']['passages'])} passages built cold with embeddings ≤ 3 min "
            f"| {_n(build)} s (model load {_n(cold['phases']['model_load']['seconds'])} s apart) "
            f"| {_mark(build <= TARGET_COLD_S)} |",
            f"| peak RSS stated | {rss}; {_count(cold['n'])}-passage build {_n(cold['process_maxrss_mb'], 0)} MB "
            f"| stated |"]


def markdown(results: Result) -> str:
    m, cold, enc = results["machine"], results["cold"], results["encoders"]
    e0 = results["engines"][0]
    out = [f"- date: {m['date']}; command: `{results['command'].strip()}`",
           f"- machine: nproc {m['nproc']} (usable {m['usable_cpus']}), {m['cpu']}, {m['memory_gb']} GB RAM; "
           f"python {m['python']}, numpy {m['numpy']}",
           f"- load average at start {m['load_average']}, at the end {results['load_average_end']}; "
           f"whole run {_n(results['total_s'], 0)} s",
           "", f"**Real corpus, Engine.handle** ({e0['questions']} dev + dev2 questions, {e0['passages']} passages, "
           "each in a fresh chat, timed on the second pass):", "", *engine_table(results["engines"]),
           "", "**Process start → first answer, warm vector cache** (fresh `python -c`; imports of bot.engine; "
           "model load = make_embedder; build = Engine.from_corpus with the encoder already loaded):", "",
           *first_answer_table(results["first_answer"]),
           "", f"**{_count(cold['n'])} synthetic passages ({cold['articles']} articles), built cold with "
           f"{cold.get('model', 'use-m3')}** "
           f"(vector cache {_n(cold['vector_cache_mb'], 1)} MB on disk; tokenizer workers ≤ "
           f"{_n(cold['worker_maxrss_mb'], 0)} MB each; load avg {cold.get('load_before', '?')} → "
           f"{cold.get('load_after', '?')}):", "", *cold_table(cold),
           "", f"**Encoders on the same {enc['passages']} real passages** (mean {_n(enc['mean_passage_chars'], 0)} "
           f"characters, heading + text as embedded) and {enc['questions']} questions, one at a time; "
           f"load avg {enc.get('load_before', '?')} → {enc.get('load_after', '?')}:", "",
           *encoder_table(enc, cold["n"]), "", *targets(results)]
    return "\n".join(out)
