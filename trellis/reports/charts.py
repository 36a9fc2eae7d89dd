"""Charts drawn on the server as SVG: no script, no CDN, the same in the page, the email and
the PDF. Every plotted mark carries its value (`data-value`, and a `<title>` a screen reader
and a hover show), so tests compare the chart with the database.

Two shapes cover the report: stacked bars over months (participation by level) and grouped
bars (this period against the last). Pure computation.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 48
PALETTE = ("#1f5f8b", "#3f9b6d", "#e0a526", "#8aa9c4", "#c9c9c9", "#b5523b")


@dataclass(frozen=True)
class Series:
    key: str  # data-series
    label: str
    values: Sequence[float]


def _fmt(value: float) -> str:
    return f"{value:g}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def _frame(name: str, title: str, body: list[str], legend: Sequence[Series], top: float) -> str:
    height = HEIGHT + 20 * ((len(legend) + 2) // 3)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{escape(name)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#777"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#777"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end" font-size="10">{_fmt(top)}</text>',
        f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" text-anchor="end" font-size="10">0</text>',
        *body,
    ]
    for index, series in enumerate(legend):
        x = LEFT + (index % 3) * 170
        y = HEIGHT + 4 + 20 * (index // 3)
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{y + 10}" font-size="11">{escape(series.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(*, name: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """One bar per label, its segments the series' values stacked bottom up."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar = slot * 0.6
    body: list[str] = []
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        y = float(HEIGHT - BOTTOM)
        for index, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[index % len(PALETTE)]}" data-series="{escape(s.key)}" '
                f'data-label="{escape(label)}" data-value="{_fmt(value)}">'
                f"<title>{escape(label)}, {escape(s.label)}: {_fmt(value)}</title></rect>"
            )
        body.append(
            f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    return _frame(name, title, body, series, top)


def grouped_bars(*, name: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """One group per label, a bar per series side by side (this period, the last)."""
    top = _nice_max(max((v for s in series for v in s.values), default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    bar = slot * 0.7 / max(1, len(series))
    body: list[str] = []
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.15
        for index, s in enumerate(series):
            value = s.values[i]
            h = plot_h * value / top
            x = x0 + bar * index
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar - 2:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[index % len(PALETTE)]}" '
                f'data-series="{escape(s.key)}" data-label="{escape(label)}" '
                f'data-value="{_fmt(value)}"><title>{escape(label)}, {escape(s.label)}: '
                f"{_fmt(value)}</title></rect>"
            )
        body.append(
            f'<text x="{x0 + bar * len(series) / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
            f'text-anchor="middle" font-size="10">{escape(label)}</text>'
        )
    return _frame(name, title, body, series, top)
