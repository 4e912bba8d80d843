"""Run the whole benchmark by hand and print a Markdown report.

    .venv/bin/python -m bench.run                       # 10k and 100k, reload, real corpus (~5–10 min)
    .venv/bin/python -m bench.run --sizes 10000 --no-reload --json /tmp/bench.json

Every measured part runs in a fresh subprocess so that peak memory and warm caches
of one part do not leak into the next.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.measure import ROOT, finish, machine
from bench.real import first_answer
from bench.report import markdown


def run_module(module: str, *args: str) -> dict[str, Any]:
    """``python -m module args`` in a fresh process; its last stdout line is the JSON result."""
    started = time.perf_counter()
    print(f"… {module} {' '.join(args)}", file=sys.stderr, flush=True)
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print(f"  done in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return json.loads(lines[-1])


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) <= 0:
        raise argparse.ArgumentTypeError("sizes are positive integers, comma-separated")
    return sizes


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=[10_000, 100_000], help="passages, e.g. 10000,100000")
    parser.add_argument("--queries", type=int, default=240, help="queries per size (≥ 200 for a p99)")
    parser.add_argument("--workers", type=int, default=2, help="tokenizer processes")
    parser.add_argument("--first-runs", type=int, default=5, help="fresh processes for start → first answer")
    parser.add_argument("--no-scale", action="store_true", help="skip ours vs BM25Okapi at scale")
    parser.add_argument("--no-reload", action="store_true", help="skip end-to-end build/reload at scale")
    parser.add_argument("--no-real", action="store_true", help="skip the real-corpus measurements")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "scales": [], "reloads": []}
    common = ["--queries", str(args.queries), "--workers", str(args.workers)]
    if not args.no_real:
        print("… first answer in fresh processes", file=sys.stderr, flush=True)
        results["first_answer"] = first_answer(args.first_runs)
        results["engine"] = run_module("bench.real", "--queries", str(max(args.queries, 205)))
    for n in args.sizes:
        if not args.no_scale:
            results["scales"].append(run_module("bench.scale", "--n", str(n), *common))
        if not args.no_reload:
            results["reloads"].append(run_module("bench.reload", "--n", str(n), *common))
    finish(results, started, args.json, markdown)
    return results


if __name__ == "__main__":
    main()
