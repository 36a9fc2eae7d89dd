"""The silo map drawn on the server as SVG (pure): departments as circles on a ring, sized by
the people involved and coloured by how much of their help stays inside; links as lines as
thick as the help they carry.

The layout is deterministic, so the same map draws the same picture: clockwise from the top,
the biggest department first, then depth first along its busiest links, so that departments
that help each other sit side by side and fewer lines cross the ring. At most `MAX_LINKS`
links are drawn, the busiest: the table beside it has every figure. Every mark carries its
figures (`data-*`, and a `<title>` a screen reader and a hover show), as `core.charts` does.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 560
RING = 180  # the radius of the ring the departments sit on
SMALLEST, LARGEST = 6.0, 30.0  # circle radii
THINNEST, THICKEST = 1.0, 12.0  # line widths
MAX_LINKS = 40
LEGEND_TOP = HEIGHT - 36

# How much of the help a department received came from inside it.
INSIDE_COLOURS = (
    (0.8, "#b5523b", "80% or more from inside"),
    (0.5, "#e0a526", "50 to 79% from inside"),
    (0.0, "#3f9b6d", "less than half from inside"),
)
UNKNOWN_COLOUR, UNKNOWN_LABEL = "#c9c9c9", "too few people to say"


@dataclass(frozen=True)
class Circle:
    name: str
    people: int
    inside_share: float | None  # of the help received
    caption: str  # the <title>: its figures in words
    label: str = ""  # beside it, when shorter than its name


@dataclass(frozen=True)
class Line:
    a: str
    b: str
    help: int
    people: int
    caption: str


def inside_colour(share: float | None) -> str:
    if share is None:
        return UNKNOWN_COLOUR
    return next(colour for floor, colour, _ in INSIDE_COLOURS if share >= floor)


def ring_order(circles: Sequence[Circle], lines: Sequence[Line]) -> list[Circle]:
    """The circles in the order they go round the ring: from each one not placed yet (in the
    order given), depth first along the busiest links."""
    by_name = {circle.name: circle for circle in circles}
    neighbours: dict[str, list[str]] = {name: [] for name in by_name}
    for line in sorted(lines, key=lambda line: (-line.help, line.a, line.b)):
        if line.a in by_name and line.b in by_name:
            neighbours[line.a].append(line.b)
            neighbours[line.b].append(line.a)
    order: list[str] = []
    for circle in circles:
        stack = [circle.name]
        while stack:
            name = stack.pop()
            if name in order:
                continue
            order.append(name)
            stack.extend(reversed([n for n in neighbours[name] if n not in order]))
    return [by_name[name] for name in order]


def _positions(count: int) -> list[tuple[float, float, float]]:
    """(x, y, angle) of each place on the ring, clockwise from the top; one alone in the
    middle."""
    cx, cy = WIDTH / 2, (LEGEND_TOP - 10) / 2
    if count == 1:
        return [(cx, cy, -math.pi / 2)]
    places = []
    for i in range(count):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        places.append((cx + RING * math.cos(angle), cy + RING * math.sin(angle), angle))
    return places


def silo_map_svg(*, name: str, title: str, circles: Sequence[Circle], lines: Sequence[Line]) -> str:
    most_people = max((c.people for c in circles), default=1) or 1
    drawn = sorted(lines, key=lambda line: -line.help)[:MAX_LINKS]
    most_help = max((line.help for line in drawn), default=1) or 1
    circles = ring_order(circles, drawn)
    place = {c.name: xy for c, xy in zip(circles, _positions(len(circles)), strict=True)}
    body: list[str] = []
    for line in drawn:
        if line.a not in place or line.b not in place:
            continue
        (x1, y1, _), (x2, y2, _) = place[line.a], place[line.b]
        width = THINNEST + (THICKEST - THINNEST) * line.help / most_help
        body.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#1f5f8b" '
            f'stroke-opacity="0.45" stroke-width="{width:.1f}" stroke-linecap="round" '
            f'data-from="{escape(line.a)}" data-to="{escape(line.b)}" '
            f'data-value="{line.help}" data-people="{line.people}">'
            f"<title>{escape(line.caption)}</title></line>"
        )
    for circle in circles:
        x, y, angle = place[circle.name]
        radius = SMALLEST + (LARGEST - SMALLEST) * math.sqrt(circle.people / most_people)
        share = "" if circle.inside_share is None else f"{circle.inside_share:.4f}"
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" '
            f'fill="{inside_colour(circle.inside_share)}" stroke="#fff" stroke-width="2" '
            f'data-department="{escape(circle.name)}" data-people="{circle.people}" '
            f'data-inside="{share}"><title>{escape(circle.caption)}</title></circle>'
        )
        cos = math.cos(angle)
        anchor = "start" if cos > 0.2 else "end" if cos < -0.2 else "middle"
        lx = x + (radius + 6) * cos
        ly = y + (radius + 12) * math.sin(angle) + 4
        if len(circles) == 1:
            anchor, lx, ly = "middle", x, y + radius + 16
        body.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" font-size="11" text-anchor="{anchor}">'
            f"{escape(circle.label or circle.name)} ({circle.people})</text>"
        )
    legend = [*INSIDE_COLOURS, (None, UNKNOWN_COLOUR, UNKNOWN_LABEL)]
    for index, (_, colour, label) in enumerate(legend):
        x = 20 + index * 155
        body.append(
            f'<circle cx="{x + 6}" cy="{LEGEND_TOP + 6}" r="6" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{LEGEND_TOP + 10}" font-size="11">{escape(label)}</text>'
        )
    body.append(
        f'<text x="20" y="{LEGEND_TOP + 28}" font-size="11">Circle: people involved. '
        "Line: help between two departments, both ways.</text>"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{escape(name)}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )
