"""The silo map: which departments help which, and where help never crosses (pure).

A fact is one piece of help between two colleagues: an answer to someone's question (the
answerer's department helped the asker's), a guide read (its authors' department helped the
reader's) or a session attended (its facilitator's department helped the attendee's). Each
piece counts once per pair of departments, however many authors from one department a guide
has (`HelpFact.act`). Help someone gives themselves, and help where a side's department is not
recorded, is left off the map (the latter counted apart, `Suppression.unplaced_help`).

The map is aggregates only, and no figure on it rests on fewer than `MIN_PEOPLE` distinct
people, so none singles anyone out:

- a department with fewer than `MIN_PEOPLE` people involved (giving or receiving) is merged
  into `OTHER`; when the merged ones together are still fewer, they are left out;
- a department's help received (or given) in all, when it rests on fewer people, is withheld;
- a link (two departments, help both ways) whose help involves fewer people is not shown as a
  link; its help still counts in the two departments' totals;
- a share ("87% from inside") is given only when the help inside and the help from outside
  each rest on enough people (or are none at all): otherwise the share would give away the
  smaller part;
- a link's split by direction, only when each direction rests on enough people (or is none).

Bridges come from the graph of real departments joined by the links shown: the groups that
have no shown link between them, the links that are the only one between two parts of a group
(graph bridges), the departments without which others would be cut off (articulation points),
and the busiest crossings. Departments merged into `OTHER` are not one department, so they take
no part in these.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import igraph

ANSWER, GUIDE, SESSION = "answer", "guide", "session"
KINDS = (ANSWER, GUIDE, SESSION)
MIN_PEOPLE = 5
OTHER = f"Other departments (fewer than {MIN_PEOPLE} people each)"
BUSIEST = 5  # crossings listed as the busiest

NodeOf = Callable[[str], str | None]  # a department's node on the map; None: left out


@dataclass(frozen=True, slots=True)
class HelpFact:
    """One piece of help: who gave it, who received it, their departments (None: not
    recorded) and its kind. Facts with the same `act` (a guide read, one fact per author) count
    once per pair of departments; None: a piece of its own."""

    giver_department: str | None
    receiver_department: str | None
    giver: int
    receiver: int
    kind: str
    act: Hashable = None


@dataclass(frozen=True)
class DepartmentNode:
    name: str
    people: int  # distinct people of the department who gave or received help
    received: int | None  # None: resting on fewer than `MIN_PEOPLE` people
    # From inside (for OTHER: from each one's own department); None: resting on too few
    # people to say (no count of it is kept, or the total would give it away).
    received_inside_share: float | None
    given: int | None
    given_inside_share: float | None
    departments: int = 1  # how many departments it stands for (OTHER: several)

    @property
    def merged(self) -> bool:
        return self.name == OTHER


@dataclass(frozen=True)
class DepartmentLink:
    """Help between two departments, both ways (`a` sorts before `b`)."""

    a: str
    b: str
    help: int
    people: int  # distinct people on either side of it
    a_to_b: int | None  # None: a direction rests on too few people (so both are withheld)
    b_to_a: int | None


@dataclass(frozen=True)
class Bridge:
    """A link that matters for how departments connect: `ONLY_LINK` is the only link between
    `cut_off` and the rest of its group; `BUSIEST` one of the busiest crossings."""

    ONLY_LINK = "only-link"
    BUSIEST = "busiest"

    a: str
    b: str
    help: int
    people: int
    role: str
    cut_off: tuple[str, ...] = ()


@dataclass(frozen=True)
class Connector:
    """A department without which its group would fall into `pieces` (biggest first) with no
    shown link between them."""

    department: str
    pieces: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Suppression:
    merged_departments: int  # departments in OTHER
    omitted_departments: int  # departments left out (OTHER itself too small)
    hidden_links: int  # links resting on too few people
    unplaced_help: int | None  # help with a side's department unknown; None: too few to say


@dataclass(frozen=True)
class SiloMap:
    departments: tuple[DepartmentNode, ...]  # most people first
    links: tuple[DepartmentLink, ...]  # most help first
    groups: tuple[tuple[str, ...], ...]  # real departments joined by shown links, biggest first
    bridges: tuple[Bridge, ...]
    connectors: tuple[Connector, ...]
    help: int  # every piece placed on the map (departments known on both sides)
    people: int
    inside_share: float | None  # of all help, the share within a department
    by_kind: dict[str, int | None]  # None: resting on too few people
    suppression: Suppression = field(default_factory=lambda: Suppression(0, 0, 0, 0))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SiloMap":
        return cls(
            departments=tuple(DepartmentNode(**d) for d in data["departments"]),
            links=tuple(DepartmentLink(**d) for d in data["links"]),
            groups=tuple(tuple(g) for g in data["groups"]),
            bridges=tuple(Bridge(**{**b, "cut_off": tuple(b["cut_off"])}) for b in data["bridges"]),
            connectors=tuple(
                Connector(c["department"], tuple(tuple(p) for p in c["pieces"]))
                for c in data["connectors"]
            ),
            help=data["help"],
            people=data["people"],
            inside_share=data["inside_share"],
            by_kind=dict(data["by_kind"]),
            suppression=Suppression(**data["suppression"]),
        )


EMPTY = SiloMap((), (), (), (), (), 0, 0, None, dict.fromkeys(KINDS, 0))


@dataclass
class _Part:
    """Pieces of help and the people they rest on."""

    help: int = 0
    people: set[int] = field(default_factory=set)

    def add(self, pieces: int, people: Iterable[int]) -> None:
        self.help += pieces
        self.people.update(people)

    def safe(self, min_people: int) -> bool:
        return self.help == 0 or len(self.people) >= min_people


def _share(inside: _Part, outside: _Part, min_people: int) -> float | None:
    total = inside.help + outside.help
    if not total or not (inside.safe(min_people) and outside.safe(min_people)):
        return None
    return inside.help / total


def silo_map(facts: Iterable[HelpFact], *, min_people: int = MIN_PEOPLE) -> SiloMap:
    """The map of `facts`, with every figure resting on fewer than `min_people` withheld."""
    pieces: dict[tuple[str, str], _Part] = defaultdict(_Part)  # (giver's, receiver's)
    seen: set[tuple[Hashable, str, str]] = set()
    people_of: dict[str, set[int]] = defaultdict(set)
    by_kind: dict[str, _Part] = {kind: _Part() for kind in KINDS}
    unplaced = _Part()
    for index, fact in enumerate(facts):
        if fact.giver == fact.receiver:
            continue
        given, received = fact.giver_department, fact.receiver_department
        if given is None or received is None:
            unplaced.add(1, (fact.giver, fact.receiver))
            continue
        act = ("fact", index) if fact.act is None else fact.act
        first = (act, given, received) not in seen
        seen.add((act, given, received))
        pieces[given, received].add(int(first), (fact.giver, fact.receiver))
        by_kind.setdefault(fact.kind, _Part()).add(int(first), (fact.giver, fact.receiver))
        people_of[given].add(fact.giver)
        people_of[received].add(fact.receiver)
    everyone = set().union(*people_of.values())
    if len(everyone) < min_people:  # no department, nor all of them together, is enough
        return _empty(unplaced, min_people, omitted=len(people_of))

    small = {d for d, people in people_of.items() if len(people) < min_people}
    merged_people = set().union(*(people_of[d] for d in small)) if small else set()
    other_shown = bool(small) and len(merged_people) >= min_people

    def node_of(department: str) -> str | None:
        if department not in small:
            return department
        return OTHER if other_shown else None

    nodes = _nodes(pieces, people_of, node_of, min_people)
    links, hidden = _links(pieces, node_of, min_people)
    real = [n.name for n in nodes if not n.merged]
    groups, bridges, connectors = _structure(real, links)
    everything_inside, everything_outside = _Part(), _Part()
    for (given, received), part in pieces.items():
        (everything_inside if given == received else everything_outside).add(part.help, part.people)
    return SiloMap(
        departments=nodes,
        links=links,
        groups=groups,
        bridges=bridges,
        connectors=connectors,
        help=everything_inside.help + everything_outside.help,
        people=len(everyone),
        inside_share=_share(everything_inside, everything_outside, min_people),
        by_kind={k: p.help if p.safe(min_people) else None for k, p in by_kind.items()},
        suppression=Suppression(
            merged_departments=len(small) if other_shown else 0,
            omitted_departments=0 if other_shown else len(small),
            hidden_links=hidden,
            unplaced_help=unplaced.help if unplaced.safe(min_people) else None,
        ),
    )


def _empty(unplaced: _Part, min_people: int, *, omitted: int) -> SiloMap:
    shown = unplaced.help if unplaced.safe(min_people) else None
    return replace(EMPTY, suppression=Suppression(0, omitted, 0, shown))


def _nodes(
    pieces: dict[tuple[str, str], _Part],
    people_of: dict[str, set[int]],
    node_of: NodeOf,
    min_people: int,
) -> tuple[DepartmentNode, ...]:
    inside: dict[str, _Part] = defaultdict(_Part)
    outside_received: dict[str, _Part] = defaultdict(_Part)
    outside_given: dict[str, _Part] = defaultdict(_Part)
    for (given, received), part in pieces.items():
        giver_node, receiver_node = node_of(given), node_of(received)
        if given == received:
            if receiver_node is not None:
                inside[receiver_node].add(part.help, part.people)
            continue
        if receiver_node is not None:
            outside_received[receiver_node].add(part.help, part.people)
        if giver_node is not None:
            outside_given[giver_node].add(part.help, part.people)
    names = {node for d in people_of if (node := node_of(d)) is not None}
    nodes = []
    for name in names:
        members = [d for d in people_of if node_of(d) == name]
        within = inside[name]
        got, gave = _Part(), _Part()
        for whole, part in ((got, within), (got, outside_received[name]),
                            (gave, within), (gave, outside_given[name])):  # fmt: skip
            whole.add(part.help, part.people)
        nodes.append(
            DepartmentNode(
                name=name,
                people=len(set().union(*(people_of[d] for d in members))),
                received=got.help if got.safe(min_people) else None,
                received_inside_share=_share(within, outside_received[name], min_people),
                given=gave.help if gave.safe(min_people) else None,
                given_inside_share=_share(within, outside_given[name], min_people),
                departments=len(members) if name == OTHER else 1,
            )
        )
    return tuple(sorted(nodes, key=lambda n: (n.merged, -n.people, n.name)))


def _links(
    pieces: dict[tuple[str, str], _Part], node_of: NodeOf, min_people: int
) -> tuple[tuple[DepartmentLink, ...], int]:
    """The links shown, most help first, and how many were withheld."""
    directed: dict[tuple[str, str], _Part] = defaultdict(_Part)
    for (given, received), part in pieces.items():
        giver_node, receiver_node = node_of(given), node_of(received)
        if giver_node is None or receiver_node is None or giver_node == receiver_node:
            continue  # left out, or inside one node
        directed[giver_node, receiver_node].add(part.help, part.people)
    pairs = {tuple(sorted(key)) for key in directed}
    shown, hidden = [], 0
    for a, b in pairs:
        forth, back = directed.get((a, b), _Part()), directed.get((b, a), _Part())
        people = forth.people | back.people
        if len(people) < min_people:
            hidden += 1
            continue
        split = forth.safe(min_people) and back.safe(min_people)
        shown.append(
            DepartmentLink(
                a=a,
                b=b,
                help=forth.help + back.help,
                people=len(people),
                a_to_b=forth.help if split else None,
                b_to_a=back.help if split else None,
            )
        )
    return tuple(sorted(shown, key=lambda link: (-link.help, link.a, link.b))), hidden


def _structure(
    departments: list[str], links: tuple[DepartmentLink, ...]
) -> tuple[tuple[tuple[str, ...], ...], tuple[Bridge, ...], tuple[Connector, ...]]:
    """Groups, bridges and connectors among real departments joined by the links shown."""
    index = {name: i for i, name in enumerate(sorted(departments))}
    names = sorted(departments)
    crossing = [link for link in links if link.a in index and link.b in index]
    graph = igraph.Graph(n=len(names), edges=[(index[x.a], index[x.b]) for x in crossing])
    groups = sorted(
        (tuple(sorted(names[i] for i in part)) for part in graph.connected_components()),
        key=lambda g: (-len(g), g),
    )
    group_size = {name: len(group) for group in groups for name in group}
    bridges: list[Bridge] = []
    for edge in graph.bridges():
        link = crossing[edge]
        if group_size[link.a] < 3:  # two departments alone: the groups already say so
            continue
        rest = graph.copy()
        rest.delete_edges([edge])
        sides = [
            tuple(sorted(names[i] for i in part))
            for part in rest.connected_components()
            if index[link.a] in part or index[link.b] in part
        ]
        smaller = min(sides, key=lambda side: (len(side), side))
        bridges.append(
            Bridge(link.a, link.b, link.help, link.people, Bridge.ONLY_LINK, cut_off=smaller)
        )
    bridges.sort(key=lambda b: (-b.help, b.a, b.b))
    listed = {(b.a, b.b) for b in bridges}
    busiest = [link for link in crossing if (link.a, link.b) not in listed][:BUSIEST]
    bridges += [Bridge(x.a, x.b, x.help, x.people, Bridge.BUSIEST) for x in busiest]
    connectors = []
    for point in graph.articulation_points():
        group = next(g for g in groups if names[point] in g)
        others = sorted(index[name] for name in group if name != names[point])
        rest = graph.induced_subgraph(others)
        pieces = sorted(
            (tuple(sorted(names[others[i]] for i in part)) for part in rest.connected_components()),
            key=lambda piece: (-len(piece), piece),
        )
        connectors.append(Connector(names[point], tuple(pieces)))
    connectors.sort(key=lambda c: (-sum(map(len, c.pieces[1:])), c.department))
    return tuple(groups), tuple(bridges), tuple(connectors)
