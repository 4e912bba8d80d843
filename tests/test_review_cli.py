"""`logs`, `logs unanswered`, `logs handled` and `stats` as an admin reads them (issue 10): tables at 80
columns, full text one exchange a line when piped, tsv/json, the admin's time zone, low-confidence answers
and handled marks, ask/eval runs left out of the stats."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rich.cells import cell_len
from rich.console import Console
from storage_support import exchange, sqlite_url

from bot.cli import main
from bot.cli.views import entries_table, queue_table
from bot.config import Settings
from bot.records import Feedback, PassageRef, utcnow
from bot.storage import open_store
from bot.storage.review import Filters, recent, review_queue
from retrieval.decision import low_confidence_below

NOW = utcnow()
SHANGHAI = ZoneInfo("Asia/Shanghai")
BELOW = low_confidence_below(semantic=True)  # the default embedding model is on
LONG = ("章丘区“1226工程”中的两个统筹分别指的是什么方面，党员干部在其中具体承担哪些工作，"
        "各个街道和村居又有哪些做法、取得了哪些成效，请按时间顺序详细说明一下")  # fmt: skip
HAD = PassageRef("003_huaiyin", 2, 0.61, "槐荫区红色物业", "槐荫区推行“红色物业”，把党支部建在小区上。")
DECLINED = exchange("槐蔭區的「紅色物業」是什麼？", answered=False, reason="weak match", passages=[HAD], best_text=HAD.text,
                    channel="telegram", now=NOW, days_ago=0.3)  # fmt: skip
DECLINED_SIMP = exchange("槐荫区的红色物业是什么", answered=False, reason="weak match", now=NOW, days_ago=0.2)
LONG_ONE = exchange(LONG, now=NOW, days_ago=0.1, confidence=BELOW + 0.2, reply="统筹基层基础\n——《章丘》")
TABBED = exchange("党员\t志愿服务\n怎么参加", now=NOW, days_ago=0.05, confidence=BELOW + 0.2, reply="第一段\n第二段")
LOW = exchange("历下区有多少党员", now=NOW, days_ago=0.04, confidence=BELOW - 0.05, reply="历下区有党员……")
ASKED = exchange("ask 跑的党员问题", answered=False, now=NOW, days_ago=0.01, source="ask")
ALL = (DECLINED, DECLINED_SIMP, LONG_ONE, TABBED, LOW, ASKED)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "data" / "log.sqlite3"))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("ADMIN_TIMEZONE", raising=False)
    monkeypatch.delenv("EMBEDDING_MODEL", raising=False)
    store = open_store(Settings(_env_file=None))
    for record in ALL:
        store.record_exchange(record)
    store.record_feedback(Feedback(TABBED.exchange_id, up=False, channel="cli"))
    store.close()
    return tmp_path


def run(*args: str, code: int = 0) -> CliRunner:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result


def out(*args: str) -> str:
    return run(*args).stdout


def _rendered(renderable: object) -> str:
    console = Console(width=80, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def _fits(text: str, width: int = 80) -> None:
    too_wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not too_wide, too_wide


def test_exchanges_table_at_80_columns_gives_the_question_the_room(env: Path) -> None:
    store = open_store(Settings(_env_file=None))
    entries = recent(store, limit=None)
    store.close()
    text = _rendered(entries_table(entries, SHANGHAI))
    _fits(text)
    assert "槐蔭區的「紅色物業」是什麼？" in text and "历下区有多少党员" in text  # short questions whole, on one line
    squeezed = re.sub(r"\s+", "", text)
    assert LONG[:20] in squeezed and LONG[-12:] in squeezed  # a long one wraps, it isn't cut
    shown = DECLINED.time.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
    assert shown in text and DECLINED.time.strftime("%Y-%m-%d") not in text  # short times, in the zone asked
    assert "declined: weak match" in text and "had 003_huaiyin#2" in text


def test_review_queue_table_at_80_columns(env: Path) -> None:
    store = open_store(Settings(_env_file=None))
    items = review_queue(store, low_confidence_below=BELOW)
    store.close()
    text = _rendered(queue_table(items, 10, SHANGHAI))
    _fits(text)
    assert "(+1 variants)" in text and "declined because weak match" in text
    assert "best passage [003_huaiyin 《槐荫区红色物业》]" in text and HAD.text in re.sub(r"\s+", "", text)
    assert "1 low confidence" in text and "历下区有多少党员" in text


def test_the_cli_table_fits_80_columns(env: Path) -> None:
    for args in (["logs"], ["logs", "unanswered"], ["stats"]):
        text = out(*args, "--format", "table")
        _fits(text)
        assert "\t" not in text


def test_piped_logs_are_one_full_line_per_exchange(env: Path) -> None:
    lines = out("logs").splitlines()  # CliRunner's stdout is not a terminal
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"))) for line in lines[1:]]
    assert all(len(line.split("\t")) == len(header) for line in lines)
    assert len(rows) == len(ALL) - 1  # the ask run is not user traffic
    by_id = {r["exchange_id"]: r for r in rows}
    assert by_id[LONG_ONE.exchange_id]["question"] == LONG  # no truncation
    assert by_id[TABBED.exchange_id]["question"] == "党员␉志愿服务␊怎么参加"  # tab and line break made visible
    assert by_id[TABBED.exchange_id]["reply"] == "第一段␊第二段" and by_id[TABBED.exchange_id]["down"] == "1"
    assert by_id[DECLINED.exchange_id]["reason"] == "weak match" and by_id[DECLINED.exchange_id]["passage"] == "003_huaiyin#2"
    grep = [line for line in lines if "党员" in line]  # `logs | grep 党员` finds whole questions
    assert {line.split("\t")[5] for line in grep} == {LONG, "党员␉志愿服务␊怎么参加", LOW.message}
    assert "\x1b" not in "".join(lines)


def test_json_logs_are_one_object_per_line(env: Path) -> None:
    rows = [json.loads(line) for line in out("logs", "--format", "json", "--source", "all").splitlines()]
    assert {r["exchange_id"] for r in rows} == {r.exchange_id for r in ALL}
    [long_one] = [r for r in rows if r["exchange_id"] == LONG_ONE.exchange_id]
    assert (long_one["message"], long_one["reply"], long_one["source"]) == (LONG, LONG_ONE.reply, "user")
    assert long_one["confidence"] == pytest.approx(LONG_ONE.confidence)


def test_times_follow_tz_then_admin_timezone(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def times(*args: str) -> set[str]:
        return {line.split("\t")[0][-6:] for line in out("logs", *args).splitlines()[1:]}

    assert times("--tz", "Asia/Shanghai") == {"+08:00"}
    monkeypatch.setenv("ADMIN_TIMEZONE", "America/New_York")
    assert times() <= {"-05:00", "-04:00"} and times()
    assert times("--tz", "UTC") == {"+00:00"}
    run("logs", "--tz", "Mars/Olympus", code=2)  # a usage error naming the option
    monkeypatch.setenv("ADMIN_TIMEZONE", "Nowhere/Land")
    assert "ADMIN_TIMEZONE" in run("logs", code=1).stderr


def test_unanswered_lists_declines_with_their_best_passage_and_low_confidence_answers(env: Path) -> None:
    lines = out("logs", "unanswered").splitlines()
    header = lines[0].split("\t")
    rows = {r["key"]: r for r in (dict(zip(header, line.split("\t"))) for line in lines[1:])}
    red = rows["槐荫区的红色物业是什么"]  # traditional and simplified wordings: one question
    assert (red["count"], red["unanswered"], red["best_article"], red["best_text"]) == ("2", "2", HAD.article, HAD.text)
    assert rows["历下区有多少党员"]["low_confidence"] == "1"  # below retrieval.decision's threshold
    assert "章丘区1226工程中的两个统筹分别指的是什么方面" not in "".join(rows)  # above it: not listed
    assert rows["党员志愿服务怎么参加"]["negative"] == "1"
    assert "历下区有多少党员" not in out("logs", "unanswered", "--low-confidence-below", "0")
    items = [json.loads(line) for line in out("logs", "unanswered", "--format", "json").splitlines()]
    assert {i["key"] for i in items} == set(rows)
    assert items[0]["best_passage"]["text"] == HAD.text and items[0]["variants"][1:]


def test_logs_handled_takes_a_question_off_the_queue_until_it_is_asked_again(env: Path) -> None:
    assert "marked handled" in out("logs", "handled", "槐荫区的红色物业是什么？", "--note", "article added")
    assert "红色物业" not in out("logs", "unanswered")
    kept = out("logs", "unanswered", "--include-handled")
    assert "槐蔭區的「紅色物業」是什麼？" in kept and "\tyes\t" in kept
    store = open_store(Settings(_env_file=None))
    store.record_exchange(exchange("槐荫区的红色物业是什么?", answered=False, now=utcnow()))  # asked again, now
    store.close()
    assert "槐蔭區的「紅色物業」是什麼？" in out("logs", "unanswered")
    assert "not marked handled" in run("logs", "handled", "火星上有什么", "--undo", code=1).stderr
    assert "unmarked" in out("logs", "handled", "槐荫区的红色物业是什么", "--undo")


@pytest.mark.parametrize("question", ["火星上有什么", "？！", ""])
def test_logs_handled_refuses_what_is_not_on_the_queue(env: Path, question: str) -> None:
    result = CliRunner().invoke(main, ["logs", "handled", question])
    assert result.exit_code in (1, 2) and "Error" in result.stderr and "Traceback" not in result.output


def test_stats_leave_out_ask_runs_and_say_so(env: Path) -> None:
    table = out("stats", "--format", "table")
    assert "5 questions" in table and "1 ask/eval exchange(s) left out" in table
    piped = run("stats")
    assert "left out" in piped.stderr  # the note is not mixed into the data
    assert "total\tall\t5\t" in piped.stdout and "ask 跑的" not in piped.stdout
    data = json.loads(out("stats", "--format", "json", "--all-sources"))
    assert (data["questions"], data["left_out"], data["sources"]) == (6, 0, None)
    assert json.loads(out("stats", "--format", "json"))["questions"] == 5
    assert "Every source counted" in out("stats", "--all-sources", "--format", "table")
