"""The benchmark's results as Markdown: machine, scale table, reload table, real corpus, targets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Result = Mapping[str, Any]

TARGET_P50_MS = 5.0
TARGET_SPEEDUP = 50.0
TARGET_BUILD_S = 60.0
TARGET_RSS_MB = 1.5 * 1024
TARGET_FIRST_ANSWER_S = 2.0
TARGET_QUERY_MS = 2.0


def _n(value: float, digits: int = 2) -> str:
    if value != value:  # NaN
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _count(n: int) -> str:
    return f"{n:,}"


def _mark(ok: bool) -> str:
    return "✅ met" if ok else "❌ not met"


def machine_lines(machine: Result) -> list[str]:
    return [
        f"- date: {machine['date']}",
        f"- machine: nproc {machine['nproc']} (usable {machine['usable_cpus']}), {machine['cpu']}, "
        f"{machine['memory_gb']} GB RAM; load average at start {machine['load_average']}",
        f"- python {machine['python']}, numpy {machine['numpy']}, jieba {machine['jieba']}, "
        f"rank-bm25 {machine['rank_bm25']}",
    ]


def scale_table(scales: Sequence[Result]) -> list[str]:
    lines = [
        "| passages | engine | tokenize s | index s | build s | query p50 ms | query p99 ms | p50 speed-up "
        "| peak RSS MB | top-10 vs BM25Okapi |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in scales:
        ph, agree = r["phases"], r["agreement"]
        ours, okapi = r["ours_latency_ms"], r["okapi_latency_ms"]
        lines.append(
            f"| {_count(r['n'])} | ours: BM25Index ({r['workers']} workers) | {_n(ph['ours_tokenize']['seconds'])} "
            f"| {_n(ph['ours_index']['seconds'])} | {_n(r['ours_build_s'])} | {_n(ours['p50'], 3)} "
            f"| {_n(ours['p99'], 3)} | {_n(r['speedup_p50'], 0)}× | {_n(r['ours_peak_mb'], 0)} "
            f"(workers ≤ {_n(r['worker_maxrss_mb'], 0)} each) "
            f"| {agree['identical']}/{agree['queries']} identical, {agree['same_up_to_ties']}/{agree['queries']} "
            f"same up to ties; max Δscore {r['max_score_diff']:.1e} |"
        )
        lines.append(
            f"| {_count(r['n'])} | rank-bm25 BM25Okapi scan | (same tokens) | {_n(ph['okapi_build']['seconds'])} "
            f"| {_n(ph['okapi_build']['seconds'])} | {_n(okapi['p50'], 3)} | {_n(okapi['p99'], 3)} | 1× "
            f"| {_n(r['okapi_peak_mb'], 0)} | – |"
        )
    return lines


def scale_notes(scales: Sequence[Result]) -> list[str]:
    if not scales:
        return []
    r = scales[-1]
    u = r["understand_ms"]
    return [
        "",
        f"Passages: {r['sentences']} real sentences recombined, 2–5 per passage (random.Random(42)); "
        f"{r['mean_passage_chars']} chars / {r['mean_passage_tokens']} tokens per passage on average. "
        f"Queries: {r['queries']} (dev + example questions, then varied with a word of another question), "
        f"{r['mean_query_tokens']} tokens each; tokenized by understand() outside the timed section "
        f"(p50 {_n(u['p50'], 3)} ms, p99 {_n(u['p99'], 3)} ms). Query time = scores() + top(10) for ours, "
        "get_scores() + argsort for BM25Okapi. Peak RSS = the benchmark process's own peak during that "
        "engine's phases (each size in a fresh process, BM25Okapi after ours, so its peak includes ours "
        "still held); tokenizer workers are separate processes.",
    ]


def reload_table(reloads: Sequence[Result]) -> list[str]:
    if not reloads:
        return []
    lines = [
        "",
        "| passages (paragraphs, articles) | cold build s | reload, nothing changed s | reload, 1 article changed s "
        "| texts tokenized cold / unchanged / changed | peak RSS MB | understand+search p50 / p99 ms |",
        "|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in reloads:
        ph = r["phases"]
        cold, same, changed = ph["cold_build"], ph["reload_unchanged"], ph["reload_one_article_changed"]
        s = r["search_ms"]
        lines.append(
            f"| {_count(r['passages_built'])} ({_count(r['paragraphs'])}, {_count(r['articles'])}) | {_n(cold['seconds'])} | {_n(same['seconds'])} "
            f"| {_n(changed['seconds'])} | {_count(cold['tokenized_texts'])} / {_count(same['tokenized_texts'])} / "
            f"{_count(changed['tokenized_texts'])} | {_n(r['process_maxrss_mb'], 0)} "
            f"| {_n(s['p50'], 3)} / {_n(s['p99'], 3)} (first pass max {_n(r['first_pass_max_search_ms'], 1)}) |"
        )
    return lines


def real_table(first: Result | None, engine: Result | None) -> list[str]:
    lines = ["", "| real corpus | value |", "|---|---|"]
    if first:
        lines.append(
            f"| process start → first answer (fresh `python -c`, median of {first['runs']}) "
            f"| {_n(first['wall_s'])} s (imports {_n(first['import_s'])} s, build {_n(first['build_s'])} s, "
            f"handle {_n(first['handle_s'] * 1000)} ms; runs {first['wall_all_s']}) |"
        )
    if engine:
        h, w = engine["handle_ms"], engine["first_pass_ms"]
        lines.append(
            f"| Engine.handle over {engine['questions']} questions ({engine['passages']} passages), warm "
            f"| p50 {_n(h['p50'], 3)} ms, p99 {_n(h['p99'], 3)} ms ({engine['answered']} answered) |"
        )
        lines.append(f"| same, first pass (lazy loads) | p50 {_n(w['p50'], 3)} ms, p99 {_n(w['p99'], 3)} ms, "
                     f"max {_n(w['max'], 1)} ms |")
    return lines if len(lines) > 3 else []


def targets_table(scales: Sequence[Result], reloads: Sequence[Result], first: Result | None,
                  engine: Result | None) -> list[str]:
    rows: list[tuple[str, str, bool]] = []
    big = max(scales, key=lambda r: r["n"]) if scales else None
    if big:
        label = f"{_count(big['n'])} passages"
        p50 = big["ours_latency_ms"]["p50"]
        rows.append((f"{label}: query p50 ≤ {TARGET_P50_MS:g} ms (index)", f"{_n(p50, 3)} ms", p50 <= TARGET_P50_MS))
        rows.append((f"{label}: ≥ {TARGET_SPEEDUP:g}× faster than the scan (p50)", f"{_n(big['speedup_p50'], 0)}×",
                     big["speedup_p50"] >= TARGET_SPEEDUP))
        rows.append((f"{label}: build ≤ {TARGET_BUILD_S:g} s (tokenize + index)", f"{_n(big['ours_build_s'])} s",
                     big["ours_build_s"] <= TARGET_BUILD_S))
        rows.append((f"{label}: peak RSS ≤ 1.5 GB (ours)", f"{_n(big['ours_peak_mb'], 0)} MB",
                     big["ours_peak_mb"] <= TARGET_RSS_MB))
    big_reload = max(reloads, key=lambda r: r["n"]) if reloads else None
    if big_reload:
        label = f"{_count(big_reload['passages_built'])} passages end to end"
        cold = big_reload["phases"]["cold_build"]["seconds"]
        rows.append((f"{label}: build_library ≤ {TARGET_BUILD_S:g} s", f"{_n(cold)} s", cold <= TARGET_BUILD_S))
        p50 = big_reload["search_ms"]["p50"]
        rows.append((f"{label}: understand+search p50 ≤ {TARGET_P50_MS:g} ms", f"{_n(p50, 3)} ms",
                     p50 <= TARGET_P50_MS))
        rss = big_reload["process_maxrss_mb"]
        rows.append((f"{label}: peak RSS ≤ 1.5 GB (old + new library during reload)", f"{_n(rss, 0)} MB",
                     rss <= TARGET_RSS_MB))
    if first:
        rows.append((f"real corpus: start → first answer ≤ {TARGET_FIRST_ANSWER_S:g} s", f"{_n(first['wall_s'])} s",
                     first["wall_s"] <= TARGET_FIRST_ANSWER_S))
    if engine:
        h = engine["handle_ms"]
        rows.append((f"real corpus: query ≤ {TARGET_QUERY_MS:g} ms (Engine.handle p50; p99 shown)",
                     f"p50 {_n(h['p50'], 3)} ms, p99 {_n(h['p99'], 3)} ms", h["p50"] <= TARGET_QUERY_MS))
    if not rows:
        return []
    return ["", "| target | measured | |", "|---|---|---|"] + [f"| {t} | {m} | {_mark(ok)} |" for t, m, ok in rows]


def markdown(results: Result) -> str:
    scales, reloads = results.get("scales", []), results.get("reloads", [])
    first, engine = results.get("first_answer"), results.get("engine")
    lines = ["### BM25 benchmark", ""] + machine_lines(results["machine"]) + [""]
    if scales:
        lines += scale_table(scales) + scale_notes(scales)
    lines += reload_table(reloads) + real_table(first, engine) + targets_table(scales, reloads, first, engine)
    if "load_average_end" in results:
        lines += ["", f"Load average at the end: {results['load_average_end']}; "
                      f"whole run {_n(results['total_s'], 0)} s."]
    return "\n".join(lines) + "\n"
