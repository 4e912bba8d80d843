"""The decision's threshold on a grid over dev2: hit@3 per kind, none declined, conversations,
precision and recall (README: "The decision, calibrated on dev2").

precision = questions answered with a key in the top 3 / all questions answered (an answered
unanswerable question counts against it); recall = the same / all answerable questions.

    python -m bench.calibration
"""

from __future__ import annotations

from pathlib import Path

import retrieval.decision as decision
from bot.engine import Engine
from bot.evaluation import evaluate

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "tests" / "eval"
GRID = [(0.75, 0.85), (0.82, 0.92), (0.89, 0.99), (0.95, 1.05), (1.05, 1.15)]


def main() -> None:
    engine = Engine.from_corpus(ROOT / "corpus")
    chosen = dict(decision.CONFIDENCE)
    print("| threshold (zh / en) | para hit@3 | en hit@3 | none declined | conversations | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for zh, en in GRID:
        decision.CONFIDENCE.update(zh=zh, en=en)
        report = evaluate(engine, EVAL / "dev2_questions.tsv", EVAL / "dev2_conversations.tsv")
        kinds = report.by_kind()
        declined, nones = report.none_accuracy()
        right, conversations = report.conversation_accuracy()
        answerable = [o for o in report.outcomes if o.kind != "none"]
        hits = sum(1 for o in answerable if o.answered and o.rank is not None and o.rank <= 3)
        answered = sum(1 for o in report.outcomes if o.answered)
        label = f"{zh:.2f} / {en:.2f}" + (" (chosen)" if (zh, en) == (chosen["zh"], chosen["en"]) else "")
        print(f"| {label} | {kinds['para']['hit@3']:.2f} | {kinds['en']['hit@3']:.2f} | {declined}/{nones} "
              f"| {right}/{conversations} | {hits / max(answered, 1):.2f} | {hits / len(answerable):.2f} |")
    decision.CONFIDENCE.update(chosen)


if __name__ == "__main__":
    main()
