"""Charts drawn on the server as SVG: no script, no CDN, the same in the page, the email and
the PDF. Every plotted mark carries its value (`data-value`, and a `<title>` a screen reader
and a hover show), so tests compare the chart with the database.

Four shapes: stacked bars over months (the report's participation by level), grouped bars
(this period against the last), a flow from one month's levels to the next (insights), and
lines over months with gaps where a month has no figure (community health).
Pure computation.
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


FLOW_WIDTH, FLOW_HEIGHT, FLOW_NODE, FLOW_GAP, FLOW_LABEL, FLOW_TOP = 560, 300, 14, 8, 120, 28
FLOW_PALETTE = (*PALETTE, "#7d6b9e", "#5c5c5c")


def _flow_column(
    keys: Sequence[str], totals: dict[str, float], scale: float
) -> dict[str, tuple[float, float]]:
    """Each node's top and height in one column, in order, with a gap between them."""
    placed, y = {}, float(FLOW_TOP)
    for key in keys:
        height = totals.get(key, 0) * scale
        placed[key] = (y, height)
        y += height + (FLOW_GAP if height else 0)
    return placed


def flow(
    *,
    name: str,
    title: str,
    nodes: Sequence[tuple[str, str]],
    flows: dict[tuple[str, str], float],
    left_title: str,
    right_title: str,
) -> str:
    """People moving from the left column's nodes (last month) to the right's (this month):
    `nodes` gives each node's key and label, top to bottom, on both sides; each band's width
    is its count. Every band carries data-from, data-to and data-value."""
    keys = [key for key, _ in nodes]
    labels = dict(nodes)
    out_totals = {key: sum(v for (a, _), v in flows.items() if a == key) for key in keys}
    in_totals = {key: sum(v for (_, b), v in flows.items() if b == key) for key in keys}
    biggest = max(sum(out_totals.values()), sum(in_totals.values()), 1)
    shown = sum(1 for k in keys if out_totals[k]), sum(1 for k in keys if in_totals[k])
    usable = FLOW_HEIGHT - FLOW_TOP - TOP - FLOW_GAP * max(0, max(shown) - 1)
    scale = max(usable, 1) / biggest
    left = _flow_column(keys, out_totals, scale)
    right = _flow_column(keys, in_totals, scale)
    x0, x1 = FLOW_LABEL, FLOW_WIDTH - FLOW_LABEL
    colour = {key: FLOW_PALETTE[i % len(FLOW_PALETTE)] for i, key in enumerate(keys)}
    body: list[str] = [
        f'<text x="{x0 + FLOW_NODE}" y="{FLOW_TOP - 10}" font-size="12" text-anchor="end" '
        f'font-weight="bold">{escape(left_title)}</text>',
        f'<text x="{x1}" y="{FLOW_TOP - 10}" font-size="12" font-weight="bold">'
        f"{escape(right_title)}</text>",
    ]
    out_y = {key: left[key][0] for key in keys}
    in_y = {key: right[key][0] for key in keys}
    for a in keys:  # bands, in node order on both sides so that they do not cross needlessly
        for b in keys:
            value = flows.get((a, b), 0)
            if not value:
                continue
            width = value * scale
            ya, yb = out_y[a], in_y[b]
            out_y[a] += width
            in_y[b] += width
            mid = (x0 + FLOW_NODE + x1) / 2
            path = (
                f"M{x0 + FLOW_NODE:.1f},{ya:.1f} C{mid:.1f},{ya:.1f} {mid:.1f},{yb:.1f} "
                f"{x1:.1f},{yb:.1f} L{x1:.1f},{yb + width:.1f} C{mid:.1f},{yb + width:.1f} "
                f"{mid:.1f},{ya + width:.1f} {x0 + FLOW_NODE:.1f},{ya + width:.1f} Z"
            )
            body.append(
                f'<path d="{path}" fill="{colour[a]}" fill-opacity="0.35" '
                f'data-from="{escape(a)}" data-to="{escape(b)}" data-value="{_fmt(value)}">'
                f"<title>{escape(labels[a])} → {escape(labels[b])}: {_fmt(value)}</title></path>"
            )
    for key in keys:
        for side, (y, height), x, total in (
            ("from", left[key], x0, out_totals[key]),
            ("to", right[key], x1, in_totals[key]),
        ):
            if not height:
                continue
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{FLOW_NODE}" height="{height:.1f}" '
                f'fill="{colour[key]}" data-node="{escape(key)}" data-side="{side}" '
                f'data-value="{_fmt(total)}"><title>{escape(labels[key])}: {_fmt(total)}</title>'
                "</rect>"
            )
            label_x, anchor = (x - 4, "end") if side == "from" else (x + FLOW_NODE + 4, "start")
            body.append(
                f'<text x="{label_x:.1f}" y="{y + height / 2 + 4:.1f}" font-size="11" '
                f'text-anchor="{anchor}">{escape(labels[key])} ({_fmt(total)})</text>'
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{escape(name)}" '
        f'viewBox="0 0 {FLOW_WIDTH} {FLOW_HEIGHT}" width="{FLOW_WIDTH}" height="{FLOW_HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


@dataclass(frozen=True)
class Line:
    key: str  # data-series
    label: str
    values: Sequence[float | None]  # None: no figure for that label (a gap in the line)


def lines(
    *,
    name: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Line],
    top: float | None = None,
) -> str:
    """A line per series over the labels (months), a dot on each value; a None leaves a gap
    rather than a drop to zero. `top` fixes the axis (100 for percentages)."""
    known = [v for s in series for v in s.values if v is not None]
    top = top or _nice_max(max(known, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    paths: list[str] = []
    dots: list[str] = []
    for index, s in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x = LEFT + slot * i + slot / 2
            y = HEIGHT - BOTTOM - plot_h * value / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            dots.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}" '
                f'data-series="{escape(s.key)}" data-label="{escape(labels[i])}" '
                f'data-value="{_fmt(value)}"><title>{escape(labels[i])}, {escape(s.label)}: '
                f"{_fmt(value)}</title></circle>"
            )
        paths.extend(
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
            f'stroke-width="2" data-series="{escape(s.key)}"/>'
            for run in runs
            if len(run) > 1
        )
    ticks = [
        f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" '
        f'text-anchor="middle" font-size="10">{escape(label)}</text>'
        for i, label in enumerate(labels)
    ]
    legend = [Series(s.key, s.label, ()) for s in series]
    return _frame(name, title, [*paths, *dots, *ticks], legend, top)
