"""The bundled corpus as deployed: process start to first answer, and Engine.handle latency.

``first_answer`` starts a fresh ``python -c`` per run and stops the clock when the child
has printed its first answer (interpreter start, imports, build, one handle()).
``engine_latency`` runs in its own process (``python -m bench.real``) and prints JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.measure import CORPUS, ROOT, maxrss_mb, percentiles, time_answers
from bench.synth import question_texts, vary

FIRST_QUESTION = "章丘的“1226”工程是什么？"

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bot.engine import Engine
from bot.messages import Incoming
t1 = time.perf_counter()
engine = Engine.from_corpus(Path(sys.argv[1]))
t2 = time.perf_counter()
reply = engine.handle(Incoming(sys.argv[2], "bench"))
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "handle_s": t3 - t2,
                  "answered": bool(reply.answered), "kind": str(reply.kind.value)}), flush=True)
"""


def first_answer_once(corpus: Path = CORPUS, question: str = FIRST_QUESTION) -> dict[str, object]:
    """One fresh process: wall seconds from spawn to the answer line on its stdout, plus its own breakdown."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(corpus), question], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    wall = time.perf_counter() - started
    _, err = child.communicate()
    if child.returncode != 0 or not line.strip():
        raise RuntimeError(f"first-answer child failed ({child.returncode}): {err.strip()[-2000:]}")
    return {"wall_s": wall, **json.loads(line)}


def first_answer(runs: int = 5, corpus: Path = CORPUS) -> dict[str, object]:
    samples = [first_answer_once(corpus) for _ in range(runs)]

    def median(key: str) -> float:
        return statistics.median(float(s[key]) for s in samples)  # type: ignore[arg-type]

    return {
        "runs": runs,
        "wall_s": median("wall_s"),
        "wall_all_s": [round(float(s["wall_s"]), 3) for s in samples],  # type: ignore[arg-type]
        "import_s": median("import_s"),
        "build_s": median("build_s"),
        "handle_s": median("handle_s"),
        "answered": all(bool(s["answered"]) for s in samples),
    }


def engine_latency(n: int = 205, corpus: Path = CORPUS) -> dict[str, object]:
    """Engine.handle over the dev and example questions (each in a fresh chat), after a warm-up pass."""
    from bot.engine import Engine

    engine = Engine.from_corpus(corpus)
    texts = vary(question_texts(corpus), n)
    warm_ms, _ = time_answers(engine, texts, "warm")  # warm-up: lazy loads (POS tagger …) happen here
    times, answered = time_answers(engine, texts)
    return {
        "questions": len(texts),
        "distinct": len(set(texts)),
        "answered": answered,
        "passages": engine.passage_count,
        "articles": engine.article_count,
        "handle_ms": percentiles(times),
        "first_pass_ms": percentiles(warm_ms),
        "process_maxrss_mb": round(maxrss_mb(), 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=205)
    args = parser.parse_args(argv)
    print(json.dumps(engine_latency(args.queries), ensure_ascii=False))


if __name__ == "__main__":
    main()
