"""What the silo map page shows, read from the stored map (one row): the map drawn, a row per
department with its figures in words, the bridges, and what was withheld and why."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from trellis.communities.models import Community
from trellis.insights.models import InsightSnapshot
from trellis.insights.silo_svg import Circle, Line, silo_map_svg
from trellis.insights.silos import (
    ANSWER,
    GUIDE,
    MIN_PEOPLE,
    OTHER,
    SESSION,
    Bridge,
    Connector,
    DepartmentLink,
    DepartmentNode,
    SiloMap,
)

OTHER_LABEL = "Other departments"
SHOWN = 5  # only links and connectors named on the page (the API has them all)
KIND_WORDS = {
    ANSWER: ("answer", "answers"),
    GUIDE: ("guide read", "guide reads"),
    SESSION: ("session attended", "sessions attended"),
}


@dataclass(frozen=True)
class StoredMap:
    silos: SiloMap
    start: datetime
    end: datetime
    window_days: int
    computed_at: datetime


def stored_map(*, community: Community | None) -> StoredMap | None:
    """The newest stored map of the organisation (None) or a community; None: none yet."""
    rows = InsightSnapshot.objects.filter(kind=InsightSnapshot.SILOS)
    if community is None:
        rows = rows.filter(community__isnull=True)
    else:
        rows = rows.filter(community=community)
    row = rows.order_by("-month").first()
    if row is None:
        return None
    figures = row.figures
    return StoredMap(
        silos=SiloMap.from_json(figures["map"]),
        start=datetime.fromisoformat(figures["start"]),
        end=datetime.fromisoformat(figures["end"]),
        window_days=int(figures["window_days"]),
        computed_at=row.computed_at,
    )


@dataclass(frozen=True)
class DepartmentRow:
    name: str
    label: str
    merged: bool
    departments: int
    people: int
    received: str  # "" when withheld
    from_inside: str  # "87%"; "" when not given
    given: str
    stayed_inside: str
    words: tuple[str, str]  # the help received, the help given


@dataclass(frozen=True)
class SiloPage:
    community: Community | None
    stored: StoredMap | None  # None: nothing computed yet
    summary: str
    inside_in_words: str
    svg: str
    rows: list[DepartmentRow]
    groups: list[str]
    bridges: list[str]
    connectors: list[str]
    withheld: list[str]
    sources: str

    @property
    def drawn(self) -> bool:
        return bool(self.rows)

    @property
    def min_people(self) -> int:
        return MIN_PEOPLE


def percent(share: float) -> str:
    """A share that never rounds help away: one piece in 300 is "<1%", not "0%"."""
    if 0 < share < 0.01:
        return "<1%"
    if 0.99 < share < 1:
        return ">99%"
    return f"{round(100 * share)}%"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _names(names: tuple[str, ...] | list[str]) -> str:
    names = [OTHER_LABEL if n == OTHER else n for n in names]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _inside_words(share: float, whole: str, inside: str, rest: str) -> str:
    """ "87% of {whole} {inside}", with none and all said as such, and the rest named."""
    if share == 0:
        return f"None of {whole} {inside}: all of it {rest}."
    if share == 1:
        return f"All of {whole} {inside}."
    return f"{percent(share)} of {whole} {inside}."


def department_words(node: DepartmentNode) -> tuple[str, str]:
    """(the help it received, the help it gave) in a sentence each."""
    who = "these departments" if node.merged else node.name
    subject = "These departments" if node.merged else node.name
    if node.received is None:
        received = f"Too few people behind the help {who} received to show it."
    elif not node.received:
        received = f"{subject} received no help here."
    elif node.received_inside_share is None:
        received = (
            f"Too few people behind the help {who} received from inside or from outside "
            "to say how it splits."
        )
    else:
        received = _inside_words(
            node.received_inside_share,
            f"the help {who} received",
            "came from inside their own department" if node.merged else f"came from {who} itself",
            "came from other departments",
        )
    if node.given is None:
        given = f"Too few people behind the help {who} gave to show it."
    elif not node.given:
        given = f"{subject} gave no help here."
    elif node.given_inside_share is None:
        given = f"Too few people behind the help {who} gave inside or outside to say how it splits."
    else:
        given = _inside_words(
            node.given_inside_share,
            f"the help {who} gave",
            "stayed inside their own department" if node.merged else f"stayed inside {who}",
            "went to other departments",
        )
    return received, given


def _row(node: DepartmentNode) -> DepartmentRow:
    return DepartmentRow(
        name=node.name,
        label=OTHER_LABEL if node.merged else node.name,
        merged=node.merged,
        departments=node.departments,
        people=node.people,
        received="" if node.received is None else f"{node.received:,}",
        from_inside=""
        if node.received_inside_share is None
        else percent(node.received_inside_share),
        given="" if node.given is None else f"{node.given:,}",
        stayed_inside="" if node.given_inside_share is None else percent(node.given_inside_share),
        words=department_words(node),
    )


def _link_words(link: DepartmentLink) -> str:
    both = f"{_plural(link.help, 'time', 'times')}, {_plural(link.people, 'person', 'people')}"
    a, b = _names([link.a]), _names([link.b])
    if link.a_to_b is None or link.b_to_a is None:
        return both
    if not link.a_to_b:
        return f"{both}: all of it {b} helping {a}"
    if not link.b_to_a:
        return f"{both}: all of it {a} helping {b}"
    return f"{both}: {a} helped {b} {link.a_to_b:,} of those times, {b} helped {a} {link.b_to_a:,}"


def bridge_words(
    bridge: Bridge, links: dict[tuple[str, str], DepartmentLink], *, busiest: int = 2
) -> str:
    """`busiest`: how many crossings are listed as the busiest (one is "the busiest")."""
    pair = f"{bridge.a} and {bridge.b}"
    figures = _link_words(links[bridge.a, bridge.b])
    if bridge.role == Bridge.ONLY_LINK:
        return f"{pair} ({figures}): the only link between {_names(bridge.cut_off)} and the rest."
    if busiest == 1:
        return f"{pair} ({figures}): the busiest crossing."
    return f"{pair} ({figures}): one of the busiest crossings."


def connector_words(connector: Connector) -> str:
    cut = connector.pieces[1:]  # the biggest piece is "the rest"
    holds = f"{connector.department} holds its departments together: without it,"
    if len(cut) == 1:
        return f"{holds} {_names(cut[0])} would have no link to the rest."
    pieces = "; ".join(_names(piece) for piece in cut)
    return f"{holds} {len(cut)} parts would have no link to the rest ({pieces})."


def _most_telling[Item](items: tuple[Item, ...], weight: Callable[[Item], int]) -> list[Item]:
    """The `SHOWN` that cut off the most departments (the map's order among equals)."""
    ranked = sorted(enumerate(items), key=lambda pair: (-weight(pair[1]), pair[0]))
    return [item for _, item in ranked[:SHOWN]]


def _groups_words(silos: SiloMap) -> list[str]:
    real = silos.groups
    if not real:
        return []
    linked = [group for group in real if len(group) > 1]
    alone = [group[0] for group in real if len(group) == 1]
    said = []
    if len(real) == 1 and linked:
        said.append("Every department on the map is linked to the others, directly or not.")
    elif len(linked) > 1:
        groups = "; ".join(_names(group) for group in linked)
        said.append(
            f"The departments fall into {len(linked)} groups with no link between them: {groups}."
        )
    if alone and (linked or len(alone) > 1):
        said.append(
            f"No link connects {_names(alone)} to another department: "
            f"{'its' if len(alone) == 1 else 'their'} help stays inside or is too thin to show."
        )
    return said


def _kinds(silos: SiloMap) -> str:
    parts = []
    for kind, (one, many) in KIND_WORDS.items():
        count = silos.by_kind.get(kind, 0)
        if count is None:
            parts.append(f"some {many} (too few people to count)")
        elif count:
            parts.append(_plural(count, one, many))
    return _names(parts)


def _withheld(silos: SiloMap) -> list[str]:
    hidden = silos.suppression
    said = [
        f"No figure here rests on fewer than {MIN_PEOPLE} people, so that nobody can be "
        "singled out; names are never shown."
    ]
    if hidden.merged_departments:
        said.append(
            f"{_plural(hidden.merged_departments, 'department', 'departments')} with fewer "
            f"than {MIN_PEOPLE} people involved each "
            f"{'is' if hidden.merged_departments == 1 else 'are'} shown together as "
            f"“{OTHER_LABEL}”."
        )
    if hidden.omitted_departments:
        said.append(
            f"{_plural(hidden.omitted_departments, 'department', 'departments')} with fewer "
            f"than {MIN_PEOPLE} people involved, even all together, "
            f"{'is' if hidden.omitted_departments == 1 else 'are'} left out."
        )
    if hidden.hidden_links:
        said.append(
            f"{_plural(hidden.hidden_links, 'link', 'links')} between departments "
            f"{'rests' if hidden.hidden_links == 1 else 'rest'} on fewer than {MIN_PEOPLE} "
            "people: their help counts in the departments' totals, but they are not shown."
        )
    if hidden.unplaced_help is None:
        said.append("Some help involved people whose department is not recorded: it is left out.")
    elif hidden.unplaced_help:
        said.append(
            f"{_plural(hidden.unplaced_help, 'piece', 'pieces')} of help involved people whose "
            "department is not recorded: left out."
        )
    return said


def _sources(community: Community | None) -> str:
    if community is None:
        return (
            "Built from the questions, guides and sessions everyone in the organisation can "
            "see: help inside private communities is not on this map (each private "
            "community's leaders see their own)."
        )
    return f"Built from {community.name}'s own questions, guides and sessions only."


def _svg(silos: SiloMap, community: Community | None) -> str:
    circles = [
        Circle(
            name=node.name,
            people=node.people,
            inside_share=node.received_inside_share,
            caption=f"{OTHER_LABEL if node.merged else node.name}: "
            f"{_plural(node.people, 'person', 'people')}. {department_words(node)[0]}",
            label=OTHER_LABEL if node.merged else "",
        )
        for node in silos.departments
    ]
    lines = [
        Line(
            a=link.a,
            b=link.b,
            help=link.help,
            people=link.people,
            caption=f"{_names([link.a])} and {_names([link.b])}: {_link_words(link)}",
        )
        for link in silos.links
    ]
    scope = community.name if community is not None else "the organisation"
    return silo_map_svg(
        name="silo-map",
        title=f"Help between departments in {scope}",
        circles=circles,
        lines=lines,
    )


def _day(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def build(*, community: Community | None) -> SiloPage:
    stored = stored_map(community=community)
    sources = _sources(community)
    if stored is None or not stored.silos.departments:
        withheld = _withheld(stored.silos) if stored is not None else []
        return SiloPage(community, stored, "", "", "", [], [], [], [], withheld, sources)
    silos = stored.silos
    departments = sum(n.departments for n in silos.departments)
    departments += silos.suppression.omitted_departments
    summary = (
        f"In the {stored.window_days} days to {_day(stored.end)}, "
        f"{_plural(silos.people, 'person', 'people')} from "
        f"{_plural(departments, 'department', 'departments')} helped colleagues "
        f"{_plural(silos.help, 'time', 'times')}: {_kinds(silos)}."
    )
    if silos.inside_share is None:
        inside = "Too few people behind the help inside or across departments to say how it splits."
    else:
        inside = (
            f"{percent(silos.inside_share)} of all that help stayed inside a department; "
            f"{percent(1 - silos.inside_share)} crossed from one department to another."
        )
    links = {(link.a, link.b): link for link in silos.links}
    only_links = tuple(b for b in silos.bridges if b.role == Bridge.ONLY_LINK)
    busiest = [b for b in silos.bridges if b.role == Bridge.BUSIEST]
    return SiloPage(
        community=community,
        stored=stored,
        summary=summary,
        inside_in_words=inside,
        svg=_svg(silos, community),
        rows=[_row(node) for node in silos.departments],
        groups=_groups_words(silos),
        bridges=[
            bridge_words(bridge, links, busiest=len(busiest))
            for bridge in _most_telling(only_links, lambda b: len(b.cut_off)) + busiest
        ],
        connectors=[
            connector_words(connector)
            for connector in _most_telling(silos.connectors, lambda c: sum(map(len, c.pieces[1:])))
        ],
        withheld=_withheld(silos),
        sources=sources,
    )
