"""Measuring helpers: timers, percentiles, resident memory, the machine's description."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEV_QUESTIONS = ROOT / "tests" / "eval" / "dev_questions.tsv"


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50 / p99 / mean / max of a list of milliseconds (linear interpolation, like numpy's default)."""
    if not values_ms:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "mean": float("nan"), "max": float("nan")}
    arr = np.asarray(values_ms, dtype=np.float64)
    return {
        "n": int(arr.size),
        "p50": float(np.percentile(arr, 50)),
        "p99": float(np.percentile(arr, 99)),
        "mean": float(arr.mean()),
        "max": float(arr.max()),
    }


def _status_kb(key: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


def rss_mb() -> float:
    """Current resident set size of this process."""
    return _status_kb("VmRSS") / 1024


def peak_mb() -> float:
    """Peak resident set size since start or since the last :func:`reset_peak`."""
    return _status_kb("VmHWM") / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux ≥ 4.0) so a phase's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def maxrss_mb(children: bool = False) -> float:
    """getrusage's ru_maxrss (KiB on Linux): the whole process's peak, or its largest waited-for child's."""
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


@dataclass
class Phase:
    """Wall time and memory of one measured step."""

    name: str
    seconds: float = 0.0
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    peak_mb: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "seconds": round(self.seconds, 4),
            "rss_before_mb": round(self.rss_before_mb, 1),
            "rss_after_mb": round(self.rss_after_mb, 1),
            "peak_mb": round(self.peak_mb, 1),
            **self.extra,
        }


@contextmanager
def phase(name: str, into: dict[str, dict[str, object]]) -> Iterator[Phase]:
    """Time a block and record RSS before/after and its peak into ``into[name]``."""
    record = Phase(name, rss_before_mb=rss_mb())
    reset_peak()
    started = time.perf_counter()
    try:
        yield record
    finally:
        record.seconds = time.perf_counter() - started
        record.rss_after_mb = rss_mb()
        record.peak_mb = peak_mb()
        into[name] = record.as_dict()


def timed_ms(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """(result, milliseconds) of one call."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, (time.perf_counter() - started) * 1000


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> dict[str, object]:
    mem_kb = _meminfo_kb("MemTotal")
    return {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": cpu_model(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1) if mem_kb == mem_kb else "?",
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "jieba": _version("jieba"),
        "rank_bm25": _version("rank-bm25"),
        "load_average": load_average(),
    }


def _meminfo_kb(key: str) -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


def size_main(run: Callable[..., dict[str, Any]], doc: str | None, argv: Sequence[str] | None = None) -> None:
    """The command line of a per-size part: ``--n N [--queries Q] [--workers W]``, JSON to stdout."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--n", type=int, required=True, help="number of synthetic passages")
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.n, n_queries=args.queries, workers=args.workers), ensure_ascii=False))


def time_answers(engine: Any, texts: Sequence[str], chat: str = "bench") -> tuple[list[float], int]:
    """``engine.handle`` on each text, each in a fresh chat: milliseconds each, and how many were answered."""
    from bot.messages import Incoming

    times, answered = [], 0
    for i, text in enumerate(texts):
        started = time.perf_counter()
        reply = engine.handle(Incoming(text, f"{chat}{i}"))
        times.append((time.perf_counter() - started) * 1000)
        answered += bool(reply.answered)
    return times, answered


def finish(results: dict[str, Any], started: float, json_path: Path | None, markdown: Callable[[dict[str, Any]], str]) -> None:
    """End of a bench run: closing load average and duration, the raw JSON if asked, the report."""
    results["load_average_end"] = load_average()
    results["total_s"] = time.perf_counter() - started
    if json_path:
        json_path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(markdown(results))
