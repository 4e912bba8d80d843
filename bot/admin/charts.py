"""Small SVG charts drawn on the server: no script, no font, nothing from the internet.

Colours are presentation attributes (not ``style=``), so a strict CSP allows them; every label
is escaped. Each bar or point carries a ``<title>``: the browser shows it on hover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 40
COLORS = ("#2f6fb0", "#d9822b", "#3a9d5d", "#c23b3b", "#7a5cb8", "#8a8a8a")


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    color: str


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** len(str(int(value))) / 10 or 1
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return factor * step
    return value


def _number(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def _frame(labels: Sequence[str], top: float, unit: str, title: str) -> list[str]:
    """The SVG's opening, y grid with values, and every nth x label."""
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']  # fmt: skip
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        y = TOP + plot_h * i / 4
        value = top * (4 - i) / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">'
                     f"{escape(_number(value) + unit)}</text>")  # fmt: skip
    every = max(1, len(labels) // 10)
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for i, label in enumerate(labels):
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
                         f'fill="#555">{escape(label)}</text>')  # fmt: skip
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], LEFT
    for s in series:
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{escape(s.color)}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="11" fill="#333">{escape(s.name)}</text>')
        x += 24 + 7 * len(s.name) + 6 * sum(ord(c) > 0x2E80 for c in s.name)
    return parts


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "") -> Markup:
    """Stacked bars, one per label (e.g. answered + declined questions per day)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    parts = _frame(labels, top, unit, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    width = max(1.0, slot * 0.7)
    for i, label in enumerate(labels):
        base = 0.0
        x = LEFT + slot * i + (slot - width) / 2
        for s in series:
            value = s.values[i] or 0
            if value <= 0:
                continue
            h = plot_h * value / top
            y = TOP + plot_h * (1 - (base + value) / top)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" fill="{escape(s.color)}">'
                         f"<title>{escape(f'{label} · {s.name}: {_number(value)}{unit}')}</title></rect>")  # fmt: skip
            base += value
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, unit: str = "", top: float | None = None) -> Markup:
    """One line per series (None: no point that day), with dots carrying their value."""
    values = [v for s in series for v in s.values if v is not None]
    top = top if top is not None else _nice_max(max(values, default=0))
    parts = _frame(labels, top, unit, title)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    for s in series:
        points = [(LEFT + slot * (i + 0.5), TOP + plot_h * (1 - v / top), labels[i], v)
                  for i, v in enumerate(s.values) if v is not None]  # fmt: skip
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{escape(s.color)}" stroke-width="2"/>')
        for x, y, label, v in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{escape(s.color)}">'
                         f"<title>{escape(f'{label} · {s.name}: {_number(v)}{unit}')}</title></circle>")  # fmt: skip
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))
