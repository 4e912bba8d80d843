"""The overview's numbers (bot/storage/overview.py) and the SVG charts that draw them."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from storage_support import exchange, filled_store

from bot.admin.charts import Series, bar_chart, line_chart
from bot.records import Feedback
from bot.storage.overview import compute_overview

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_days_are_the_admins_days_and_only_user_traffic_counts(tmp_path: Path) -> None:
    late = datetime(2026, 11, 23, 17, 30, tzinfo=timezone.utc)  # 01:30 on the 24th in Shanghai
    records = [
        exchange("a", time=late, latency_ms=100, channel="telegram"),
        exchange("b", answered=False, time=datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc), latency_ms=300, channel="wechat"),
        exchange("c", time=datetime(2026, 11, 21, 3, 0, tzinfo=timezone.utc), latency_ms=200, channel="telegram"),
        exchange("batch", time=late, source="ask", latency_ms=9999),
        exchange("help", kind="help", time=late),
    ]
    records.append(Feedback(records[0].exchange_id, up=False, time=late))
    records.append(Feedback(records[2].exchange_id, up=True, time=late))
    records.append(Feedback(records[3].exchange_id, up=True, time=late))  # on an `ask` run: not counted
    store = filled_store(tmp_path / "o.sqlite3", *records)
    found = compute_overview(store, tz=SHANGHAI)
    assert (found.total.questions, found.total.answered, found.total.up, found.total.down) == (3, 2, 1, 1)
    days = {row.day: row.counts for row in found.days}
    assert list(days) == [date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23), date(2026, 11, 24)]  # gap filled
    assert days[date(2026, 11, 24)].questions == 1 and days[date(2026, 11, 24)].down == 1
    assert days[date(2026, 11, 22)].questions == 0
    assert days[date(2026, 11, 21)].up == 1  # a vote counts on the day of the answer it judges
    assert list(found.channels) == ["telegram", "wechat"] and found.channels["wechat"].answered == 0
    assert (found.latency_p50_ms, found.latency_p95_ms) == (200, 300)
    in_utc = compute_overview(store, tz=timezone.utc)
    assert in_utc.days[-1].day == date(2026, 11, 23) and in_utc.days[-1].counts.questions == 2
    store.close()


def test_period_bounds(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "p.sqlite3", exchange("old", days_ago=10), exchange("new", days_ago=1))
    now = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)
    assert compute_overview(store, tz=timezone.utc, since=datetime(2025, 3, 5, tzinfo=timezone.utc)).total.questions == 1
    assert compute_overview(store, tz=timezone.utc, until=datetime(2025, 3, 5, tzinfo=timezone.utc)).total.questions == 1
    assert compute_overview(store, tz=timezone.utc, since=now).days == []
    store.close()


def test_bar_chart_stacks_values_and_escapes_labels() -> None:
    svg = str(bar_chart(["<b>", "d2"], [Series("yes", [3, 0], "#000"), Series("no & more", [1, 4], "#111")], title="T<i>"))
    assert "&lt;b&gt;" in svg and "no &amp; more" in svg and "T&lt;i&gt;" in svg
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" fill="[^"]+"><title>', svg)]
    assert len(heights) == 3  # a zero draws nothing
    assert abs(heights[0] - 3 * heights[1]) < 0.2  # 3 vs 1 on the first day
    assert "style=" not in svg  # presentation attributes only: allowed by the CSP


def test_line_chart_skips_missing_points() -> None:
    svg = str(line_chart(["a", "b", "c"], [Series("p50", [10, None, 30], "#000")], title="latency", unit=" ms"))
    assert svg.count("<circle") == 2 and "30 ms" in svg
