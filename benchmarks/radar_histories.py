"""Synthetic month-by-month community histories for the pitfall radar benchmark.

    .venv/bin/python benchmarks/radar_histories.py      # counts per kind and a few months

Written from the product issue's description of the four pitfalls, independently of the
detector, so that the benchmark measures the detector rather than echoing it. Each history is
simulated at person level: a population of people with heavy-tailed activity that drifts
(a mean-reverting random walk in log activity, newcomers starting low and warming up), members
joining and leaving, 1-3 leaders, 0-4 events a month with rotating facilitators, questions
answered by people in proportion to their activity, a library whose guides go stale unless
verified, and 1-2 sponsors. Levels (and so `core` and `moved_inward`) follow the product's
rules (docs/PARTICIPATION.md): a trailing window of 3 months, core at 15 contributions in
every month of it, facilitation weighing 3. Six months are simulated before the first one kept,
so the first month already has its window, its core and its movement.

About half the histories are healthy controls (growing, seasonal, changing leaders, steady);
the rest have one pitfall injected at a random onset (months 14 to the 4th-last) and strength
(0.3-1.0), ramping in over 1-3 months, on top of a background drawn from the control kinds so
that "not seasonal" or "not growing" says nothing about the label. The injected effects are
only those the issue names; everything else (unanswered questions after a leader stops, fewer
members after joins dry up) follows from the simulation.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from trellis.radar.facts import MonthFacts, SponsorMonth

PITFALLS = ("meetings_without_practice", "leader_burnout", "sponsor_disengagement", "stagnation")
CONTROL_KINDS = ("growing", "seasonal", "leader_change", "steady")

START = date(2022, 1, 1)
BURN_IN = 6  # months simulated before the first one kept, so levels have their window
IDS_PER_HISTORY = 100_000  # person ids of history i are in [(i+1)*100000, (i+2)*100000)
SPONSOR_ID_OFFSET = 90_000  # sponsors are people outside the community's population

# Levels (docs/PARTICIPATION.md): window, thresholds, and the rank that makes "inward" up.
WINDOW = 3
CORE_CONTRIBUTIONS = 15
ACTIVE_CONTRIBUTIONS = 4
TRANSACTIONAL_ACTIONS = 3
FACILITATION_WEIGHT = 3
INACTIVE, TRANSACTIONAL, PERIPHERAL, OCCASIONAL, ACTIVE, CORE = range(6)
NOT_COUNTED = -1

# Share of the year's dip by calendar month: summer holidays and the end of the year.
SEASONAL_DIP = {7: 0.35, 8: 1.0, 12: 0.8, 1: 0.15}

# Ordinary person-level dynamics (every community).
DRIFT_PULL = 0.15  # how fast log activity returns to a person's long-run level
DRIFT_NOISE = 0.25  # month-to-month noise in log activity
MAX_MEMBER_LOG_ACTIVITY = math.log(12.0)  # nobody but a leader writes much over 12 a month
LURKER_SHARE = 0.45  # people who mostly read: long-run activity e^-2.5 times lower
ACTIVITY_SPREAD = 1.7  # sd of long-run log activity across people
CHURN_QUIET = 0.014  # monthly chance that a member below the median activity leaves
CHURN_ENGAGED = 0.004  # the same above the median
QUIET_MONTH_CHANCE = 0.03  # an ordinary quiet month (activity and events x 0.55-0.8)
LEADER_CAP_CHANCE = 0.03  # a healthy leader at their routing cap in a month
# How hard each named effect of a pitfall hits: the strength times its own jitter (0.6-1.0).
SYMPTOMS = (
    *("outputs", "agenda", "attendance"),  # meetings without practice
    *("share", "concentration", "rotation", "cap", "decline"),  # leader burnout
    *("open", "attend", "stories"),  # sponsor disengagement
    *("joins", "newcomers", "inward", "unanswered", "staleness", "drift"),  # stagnation
)
STALE_AFTER = 12  # months after verification before a guide is overdue
ANSWER_CONCENTRATION = 1.3  # answer weight = activity^this: experts answer most (as on SE sites)


@dataclass(frozen=True)
class History:
    """One generated community: its months and what was injected into them, if anything."""

    name: str  # e.g. "h017-seasonal" / "h018-leader_burnout"
    kind: str  # a control kind or the pitfall injected
    months: tuple[MonthFacts, ...]
    pitfall: str | None  # None for controls
    onset: int | None  # index into months where the pitfall starts
    strength: float | None  # 0..1, how hard it hits
    background: str = ""  # the control kind whose behaviour the history also has
    notes: dict[str, float] = field(default_factory=dict)  # drawn parameters, for reading


def generate(*, seed: int, communities: int = 240, months: int = 36) -> list[History]:
    """`communities` histories of `months` months; the same seed gives the same histories."""
    if months < 20:
        raise ValueError("months must be at least 20 (onsets fall in months 14 to months-4)")
    master = np.random.default_rng(seed)
    controls = communities // 2
    kinds = [CONTROL_KINDS[i % len(CONTROL_KINDS)] for i in range(controls)]
    kinds += [PITFALLS[i % len(PITFALLS)] for i in range(communities - controls)]
    order = master.permutation(communities)
    children = np.random.SeedSequence(seed).spawn(communities)
    histories = []
    for index in range(communities):
        kind = kinds[int(order[index])]
        rng = np.random.default_rng(children[index])
        histories.append(_simulate(index, kind, months, rng))
    return histories


# --- planning ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """Everything drawn once per history before the months are simulated."""

    kind: str
    background: str
    pitfall: str | None
    onset: int | None
    strength: float
    ramp_months: int
    symptom: dict[str, float]  # per-symptom strength (strength x jitter)
    start_members: int
    growth: float  # net monthly growth target (growing background)
    capacity: int  # where growth levels off
    season_amplitude: float
    no_events_in_august: bool
    leader_change_month: int | None
    new_leader_delay: int
    transition_months: int
    burnout_decline_delay: int
    sponsor_exit: str | None  # "changed_role" / "left" at onset, or None (fading)
    sponsor_replacement: bool  # a new passive sponsor after the exit


def _plan(kind: str, months: int, rng: np.random.Generator) -> _Plan:
    pitfall = kind if kind in PITFALLS else None
    background = kind if pitfall is None else CONTROL_KINDS[int(rng.integers(4))]
    onset = int(rng.integers(14, months - 4 + 1)) if pitfall else None
    strength = float(rng.uniform(0.3, 1.0)) if pitfall else 0.0
    symptom = {name: strength * float(rng.uniform(0.6, 1.0)) for name in SYMPTOMS}
    if background == "growing":
        start_members = round(math.exp(rng.uniform(math.log(15), math.log(120))))
        capacity = int(rng.uniform(max(3 * start_members, 80), 450))
        growth = float(rng.uniform(0.02, 0.08))
    else:
        start_members = round(math.exp(rng.uniform(math.log(15), math.log(400))))
        capacity, growth = start_members, 0.0
    seasonal = background == "seasonal"
    amplitude = float(rng.uniform(0.2, 0.5)) if seasonal else float(rng.uniform(0.0, 0.08))
    change_month = None
    if background == "leader_change":
        last = months - 6 if onset is None else onset - 4
        change_month = int(rng.integers(4 if onset else 6, last + 1))
    exit_roll = float(rng.random())
    sponsor_exit = None
    if pitfall == "sponsor_disengagement" and exit_roll < 1 / 3:
        sponsor_exit = "changed_role" if rng.random() < 0.5 else "left"
    return _Plan(
        kind=kind,
        background=background,
        pitfall=pitfall,
        onset=onset,
        strength=strength,
        ramp_months=int(rng.integers(1, 4)),
        symptom=symptom,
        start_members=start_members,
        growth=growth,
        capacity=capacity,
        season_amplitude=amplitude,
        no_events_in_august=seasonal and amplitude >= 0.3 and bool(rng.random() < 0.5),
        leader_change_month=change_month,
        new_leader_delay=int(rng.random() < 0.3),
        transition_months=int(rng.integers(1, 3)),
        burnout_decline_delay=int(rng.integers(3, 7)),
        sponsor_exit=sponsor_exit,
        sponsor_replacement=bool(rng.random() < 0.5),
    )


# --- the simulation ---------------------------------------------------------------------

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class _Sponsor:
    person_id: int
    open_chance: float
    attend_chance: float  # per event
    story_rate: float  # value stories told to them per month
    passive: bool = False


class _Community:
    """Person-level state of one community, stepped one month at a time."""

    def __init__(self, index: int, plan: _Plan, rng: np.random.Generator) -> None:
        self.plan, self.rng = plan, rng
        self.next_id = (index + 1) * IDS_PER_HISTORY
        self.sponsor_id_base = self.next_id + SPONSOR_ID_OFFSET
        # Community-level character.
        self.log_base = math.log(rng.uniform(0.2, 0.55))
        self.ask_rate = float(rng.uniform(0.08, 0.2))  # questions per member-month, median
        self.answer_base = float(rng.uniform(0.86, 0.97))
        self.extra_answers = float(rng.uniform(0.2, 0.8))  # answers beyond the first
        self.read_base = float(rng.uniform(0.35, 0.8))
        size_factor = min(1.0, 0.4 + plan.start_members / 150)
        self.event_rate = float(rng.uniform(0.8, 3.2)) * size_factor
        self.outputs_per_event = float(rng.uniform(1.5, 4.0))
        self.agenda_per_event = float(rng.uniform(2.0, 4.5))
        self.member_agenda_share = float(rng.uniform(0.35, 0.75))
        self.moderation_per_question = float(rng.uniform(0.15, 0.45))
        self.leader_moderation_share = float(rng.uniform(0.35, 0.7))
        self.verify_chance = float(rng.uniform(0.2, 0.45))
        self.charter_mean = float(rng.uniform(0.6, 0.8))
        self.charter_walk = 0.0
        # People: arrays over everyone ever in the population (members and those who left).
        n = plan.start_members
        self.ids: IntArray = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        self.mu = self._long_run(n)
        self.z = self.mu + rng.normal(0.0, 0.4, n)
        self.ask = np.exp(rng.normal(0.0, 0.6, n))
        self.reads = np.exp(rng.normal(0.0, 0.5, n))
        self.member: BoolArray = np.ones(n, dtype=np.bool_)
        self.ever_contributed: BoolArray = rng.random(n) < 0.6  # the community existed before
        self.ever_acted: BoolArray = np.ones(n, dtype=np.bool_)
        self.total_actions: IntArray = np.full(n, 10, dtype=np.int64)
        self.rank: IntArray = np.full(n, NOT_COUNTED, dtype=np.int64)
        self.contrib_window: list[IntArray] = []  # the last WINDOW months' contributions
        self.action_window: list[IntArray] = []
        self.last_facilitated: IntArray = np.full(n, -99, dtype=np.int64)
        # Leaders: 1-3 of the most active, pulled up to a leader's level of activity.
        leader_count = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        leader_count = min(leader_count, max(1, n // 12))
        order = np.argsort(-self.mu)
        self.leaders: list[int] = [int(i) for i in order[:leader_count]]
        for position, person in enumerate(self.leaders):
            pace = rng.uniform(7.0, 14.0) if position == 0 else rng.uniform(3.0, 8.0)
            self.mu[person] = math.log(pace)
            self.z[person] = self.mu[person]
        self.primary_leader = self.leaders[0]
        self.step_down: int | None = None
        self.leader_boost = 1.2  # leaders answer a little more than their activity says
        # Facilitators: leaders plus a few engaged members (more in larger communities).
        extra = int(rng.integers(1, 3 if n < 40 else 5))
        self.facilitators: list[int] = self.leaders + [
            int(i) for i in order[leader_count : leader_count + extra]
        ]
        # Attendance calibrated to about 4 + 7% of members per event.
        target = 4 + 0.07 * n
        self.attend_base = target / float(np.sqrt(0.1 + np.exp(self.z)).sum())
        # Library: guides with months since verification, spread so a modest share is stale.
        guides = int(rng.poisson(5 + 0.3 * n))
        self.guide_age: IntArray = np.zeros(guides, dtype=np.int64)
        for _ in range(36):  # age the library into its steady state before month 0
            self._verify_guides(self.verify_chance)
        self.reference_supply: float | None = None
        self.supply_ratios: list[float] = []
        # Sponsors: one, sometimes two.
        self.sponsors = [self._sponsor(k) for k in range(1 if rng.random() < 0.75 else 2)]
        self.exited_sponsor = False

    # people ------------------------------------------------------------------------

    def _long_run(self, n: int) -> FloatArray:
        lurker = self.rng.random(n) < LURKER_SHARE
        spread = self.rng.normal(0.0, ACTIVITY_SPREAD, n)
        return self.log_base + spread - 2.5 * lurker

    def _join(self, count: int, newcomer_penalty: float) -> None:
        if count <= 0:
            return
        mu = self._long_run(count) - newcomer_penalty
        z = mu - self.rng.uniform(0.5, 2.0, count)  # newcomers warm up
        self.ids = np.concatenate([self.ids, np.arange(self.next_id, self.next_id + count)])
        self.next_id += count
        self.mu = np.concatenate([self.mu, mu])
        self.z = np.concatenate([self.z, z])
        self.ask = np.concatenate([self.ask, np.exp(self.rng.normal(0.3, 0.6, count))])
        self.reads = np.concatenate([self.reads, np.exp(self.rng.normal(0.2, 0.5, count))])
        self.member = np.concatenate([self.member, np.ones(count, dtype=np.bool_)])
        zeros = np.zeros(count, dtype=np.bool_)
        self.ever_contributed = np.concatenate([self.ever_contributed, zeros])
        self.ever_acted = np.concatenate([self.ever_acted, zeros])
        self.total_actions = np.concatenate([self.total_actions, np.zeros(count, np.int64)])
        self.rank = np.concatenate([self.rank, np.full(count, NOT_COUNTED, np.int64)])
        self.last_facilitated = np.concatenate([self.last_facilitated, np.full(count, -99)])
        pad = np.zeros(count, dtype=np.int64)
        self.contrib_window = [np.concatenate([w, pad]) for w in self.contrib_window]
        self.action_window = [np.concatenate([w, pad]) for w in self.action_window]

    def _sponsor(self, k: int, *, passive: bool = False) -> _Sponsor:
        rng = self.rng
        if passive:
            return _Sponsor(
                self.sponsor_id_base + k,
                open_chance=float(rng.uniform(0.05, 0.3)),
                attend_chance=float(rng.uniform(0.0, 0.03)),
                story_rate=float(rng.uniform(0.0, 0.1)),
                passive=True,
            )
        return _Sponsor(
            self.sponsor_id_base + k,
            open_chance=float(rng.uniform(0.65, 0.95)),
            attend_chance=float(rng.uniform(0.06, 0.25)),
            story_rate=float(rng.uniform(0.15, 0.4)) * (1 + self.plan.start_members / 300),
        )

    # the pitfall's ramp --------------------------------------------------------------

    def _ramp(self, t: int, pitfall: str) -> float:
        plan = self.plan
        if plan.pitfall != pitfall or plan.onset is None or t < plan.onset:
            return 0.0
        return min(1.0, (t - plan.onset + 1) / plan.ramp_months)

    def _since_onset(self, t: int) -> int:
        return -1 if self.plan.onset is None else t - self.plan.onset

    # one month -----------------------------------------------------------------------

    def step(self, t: int, month: date) -> MonthFacts:
        plan, rng = self.plan, self.rng
        sym = plan.symptom
        season = 1.0 - plan.season_amplitude * SEASONAL_DIP.get(month.month, 0.0)
        quiet = float(rng.uniform(0.55, 0.8)) if rng.random() < QUIET_MONTH_CHANCE else 1.0
        activity = season * quiet
        stagnation = self._ramp(t, "stagnation")
        burnout = self._ramp(t, "leader_burnout")
        meetings = self._ramp(t, "meetings_without_practice")
        sponsor_fade = self._ramp(t, "sponsor_disengagement")
        transition = 1.0
        change = plan.leader_change_month
        if change is not None and change <= t < change + plan.transition_months:
            transition = float(rng.uniform(0.5, 0.8))  # on events; on activity half as much
            activity *= 0.5 + 0.5 * transition

        # Members leave and join.
        members_before = int(self.member.sum())
        median_mu = float(np.median(self.mu[self.member])) if members_before else 0.0
        churn = np.where(self.mu < median_mu, CHURN_QUIET, CHURN_ENGAGED)
        leaving = self.member & (rng.random(self.mu.size) < churn)
        leaving[self.leaders] = False
        if self.step_down is not None:
            leaving[self.step_down] = False
        self.member &= ~leaving
        expected_churn = 0.5 * (CHURN_QUIET + CHURN_ENGAGED)
        join_rate = expected_churn
        if plan.growth:
            join_rate += plan.growth * max(0.0, 1.0 - members_before / plan.capacity)
        join_rate *= season * (1.0 - 0.85 * sym["joins"] * stagnation)
        joins = int(rng.poisson(join_rate * max(members_before, 5)))
        self._join(joins, newcomer_penalty=1.5 * sym["newcomers"] * stagnation)
        n = self.mu.size
        newly_joined = np.zeros(n, dtype=np.bool_)
        newly_joined[n - joins :] = True

        # Activity drifts; under stagnation everyone outside the core settles lower and the
        # drift itself calms down, so nobody rises towards the core.
        target = self.mu.copy()
        if stagnation:
            target[self.rank < CORE] -= 1.3 * sym["inward"] * stagnation
        noise_scale = DRIFT_NOISE * (1.0 - 0.5 * sym["inward"] * stagnation)
        old = ~newly_joined
        self.z[old] += DRIFT_PULL * (target[old] - self.z[old]) + rng.normal(
            0.0, noise_scale, int(old.sum())
        )
        self._leader_changes(t)
        for person in self.leaders:  # leaders hold their pace, give or take
            self.z[person] = self.mu[person] + rng.normal(0.0, 0.15)
        others = np.ones(n, dtype=np.bool_)
        others[self.leaders] = False
        self.z[others] = np.minimum(self.z[others], MAX_MEMBER_LOG_ACTIVITY)
        rate = np.exp(self.z) * activity * self.member
        burning = self.primary_leader if plan.pitfall == "leader_burnout" else None
        decline = 0.0
        if burning is not None and plan.onset is not None:
            months_declining = t - plan.onset - plan.burnout_decline_delay + 1
            decline = min(1.0, max(0.0, months_declining / 3)) * sym["decline"]
            # Carrying more and more, then (after a few months) less and less.
            rate[burning] *= (1.0 + 0.5 * sym["share"] * burnout) * (1.0 - 0.8 * decline)
        if self.step_down is not None:
            rate[self.step_down] *= 0.03

        # Events, attendance, facilitation, agenda and what came out of them.
        events = min(4, int(rng.poisson(self.event_rate * season * quiet * transition)))
        if plan.no_events_in_august and month.month == 8:
            events = 0
        attend_fall = 0.0
        if meetings:
            attend_fall = 0.65 * sym["attendance"] * min(1.0, (self._since_onset(t) + 1) / 6)
        attend_chance = np.clip(
            self.attend_base * np.sqrt(0.1 + rate) * (1.0 - attend_fall), 0.0, 0.9
        )
        attended = rng.binomial(events, attend_chance) * self.member
        facilitations = np.zeros(n, dtype=np.int64)
        self._refresh_facilitators()
        leader_facilitates = min(1.0, 1.3 * sym["rotation"] * burnout)
        for _ in range(events):
            pool = [p for p in self.facilitators if self.member[p] and p != self.step_down]
            if not pool:
                pool = [self.leaders[0]] if self.leaders else [int(np.argmax(rate))]
            if burning is not None and rng.random() < leader_facilitates:
                person = burning
            else:
                weights = np.array(
                    [
                        (1.5 if p in self.leaders else 1.0)
                        * (0.3 if self.last_facilitated[p] >= t - 1 else 1.0)
                        for p in pool
                    ]
                )
                person = pool[int(rng.choice(len(pool), p=weights / weights.sum()))]
            facilitations[person] += 1
            self.last_facilitated[person] = t
        outputs = int(
            rng.poisson(events * self.outputs_per_event * (1.0 - 0.9 * sym["outputs"] * meetings))
        )
        agenda = int(rng.poisson(events * self.agenda_per_event))
        member_share = self.member_agenda_share * (1.0 - 0.85 * sym["agenda"] * meetings)
        agenda_from_members = int(rng.binomial(agenda, member_share))
        event_questions = int(rng.binomial(outputs, 0.3))
        event_guides = int(rng.binomial(outputs - event_questions, 0.2))

        # Questions: asked by members; a few come out of events, asked by attendees.
        ask = self.ask_rate * self.ask * np.sqrt(rate / math.exp(self.log_base)) * activity
        asked = rng.poisson(np.where(self.member, ask, 0.0))
        if event_questions and attended.sum():
            asked += rng.multinomial(event_questions, attended / attended.sum())
        questions = int(asked.sum())

        # Answers: answerers in proportion to activity; leaders more so, far more under burnout.
        weights = rate**ANSWER_CONCENTRATION
        leader_mask = np.zeros(n, dtype=np.bool_)
        leader_mask[self.leaders] = True
        weights[leader_mask] *= self.leader_boost * (1.0 + 4.0 * sym["share"] * burnout)
        weights[~leader_mask] *= 1.0 - 0.7 * sym["concentration"] * burnout
        supply = float(weights.sum())
        ratio = supply / (questions + 1.0)
        if t < 6:
            self.supply_ratios.append(ratio)
        elif self.reference_supply is None:
            self.reference_supply = float(np.median(self.supply_ratios))
        reference = self.reference_supply or float(np.median(self.supply_ratios))
        capacity = min(1.0, (ratio / reference) ** 0.3) if reference > 0 else 1.0
        answer_chance = self.answer_base * capacity * (1.0 - 0.4 * sym["unanswered"] * stagnation)
        answered = int(rng.binomial(questions, min(0.99, answer_chance)))
        answer_count = answered + int(rng.poisson(self.extra_answers * answered))
        answers = (
            rng.multinomial(answer_count, weights / supply) if supply > 0 else np.zeros(n, np.int64)
        )

        # Moderation: leaders and regulars; leaders take it over under burnout.
        moderation_count = int(
            rng.poisson(self.moderation_per_question * questions + 0.01 * members_before)
        )
        leader_share = self.leader_moderation_share
        leader_share += (1.0 - leader_share) * min(1.0, 1.2 * sym["share"] * burnout)
        leader_share *= 1.0 - 0.8 * decline
        by_leaders = int(rng.binomial(moderation_count, leader_share))
        moderation = np.zeros(n, dtype=np.int64)
        active_leaders = [p for p in self.leaders if p != self.step_down]
        if active_leaders and by_leaders:
            lw = rate[active_leaders] + 1e-9
            moderation[active_leaders] += rng.multinomial(by_leaders, lw / lw.sum())
        regular_weights = np.where(leader_mask | ~self.member, 0.0, rate**2)
        if regular_weights.sum() > 0:
            moderation += rng.multinomial(
                moderation_count - by_leaders, regular_weights / regular_weights.sum()
            )

        # Agenda items are contributions of those who proposed them.
        agenda_work = np.zeros(n, dtype=np.int64)
        proposer_weights = np.where(leader_mask | ~self.member, 0.0, rate + attended)
        if agenda_from_members and proposer_weights.sum() > 0:
            agenda_work += rng.multinomial(
                agenda_from_members, proposer_weights / proposer_weights.sum()
            )
        if active_leaders:
            agenda_work[active_leaders[0]] += agenda - agenda_from_members

        # Everything else people write (comments, votes, edits, guide work, stories ...).
        other = rng.poisson(rate)
        writes = asked + answers + other + moderation + agenda_work + facilitations
        contributions = writes + (FACILITATION_WEIGHT - 1) * facilitations
        read_chance = 1.0 - np.exp(-self.read_base * self.reads * (0.4 + rate) * activity)
        reads = (rng.random(n) < read_chance) * self.member * (1 + rng.poisson(2.0, n))
        actions = contributions + reads + attended

        # Levels and movement.
        self.contrib_window = [*self.contrib_window[-(WINDOW - 1) :], contributions]
        self.action_window = [*self.action_window[-(WINDOW - 1) :], actions]
        window_contrib = np.sum(self.contrib_window, axis=0)
        every_month = np.all(np.array(self.contrib_window) > 0, axis=0) & (
            len(self.contrib_window) == WINDOW
        )
        window_actions = np.sum(self.action_window, axis=0)
        acted_before = self.ever_acted & (self.total_actions - (window_actions - actions) > 0)
        self.total_actions += actions
        rank = np.full(n, PERIPHERAL, dtype=np.int64)
        rank[window_contrib >= 1] = OCCASIONAL
        rank[~acted_before & (self.total_actions <= TRANSACTIONAL_ACTIONS)] = TRANSACTIONAL
        rank[window_contrib >= ACTIVE_CONTRIBUTIONS] = ACTIVE
        rank[(window_contrib >= CORE_CONTRIBUTIONS) & every_month] = CORE
        rank[window_actions == 0] = INACTIVE
        rank[~self.member] = NOT_COUNTED
        moved_inward = int(((self.rank != NOT_COUNTED) & (rank > self.rank)).sum())
        self.rank = rank
        self.ever_acted |= actions > 0
        first_contribution = (contributions > 0) & ~self.ever_contributed
        self.ever_contributed |= contributions > 0

        # Library: new guides, verification of overdue ones, a few retired.
        self._verify_guides(self.verify_chance * (1.0 - 0.85 * sym["staleness"] * stagnation))
        guide_rate = (0.1 + 0.005 * members_before) * activity
        guide_rate *= 1.0 - 0.7 * sym["staleness"] * stagnation
        new_guides = event_guides + int(rng.poisson(guide_rate))
        self.guide_age = np.concatenate([self.guide_age, np.zeros(new_guides, np.int64)])

        # Charter fit: the mean over this month's questions, drifting away under stagnation.
        self.charter_walk = 0.85 * self.charter_walk + float(rng.normal(0.0, 0.015))
        fit_mean = self.charter_mean + self.charter_walk - 0.35 * sym["drift"] * stagnation
        fit_mean = min(0.95, max(0.05, fit_mean))
        charter_fit = None
        if questions:
            fits = rng.beta(fit_mean * 8, (1.0 - fit_mean) * 8, questions)
            charter_fit = round(float(fits.mean()), 3)

        # Leaders at their routing cap: rare, common under burnout.
        at_cap = []
        for person in self.leaders:
            chance = LEADER_CAP_CHANCE
            if person == burning:
                chance += 0.8 * sym["cap"] * burnout
            elif burning is not None:
                chance += 0.25 * sym["cap"] * burnout
            if rng.random() < chance:
                at_cap.append(int(self.ids[person]))

        sponsors = self._sponsor_month(t, events, season, sponsor_fade)
        members = int(self.member.sum())
        return MonthFacts(
            month=month,
            members=members,
            new_members=joins,
            active=int(((actions > 0) & self.member).sum()),
            contributors=int((contributions > 0).sum()),
            new_contributors=int(first_contribution.sum()),
            questions=questions,
            unanswered=questions - answered,
            answers_by_person=_by_person(self.ids, answers),
            moderation_by_person=_by_person(self.ids, moderation),
            actions_by_leader={
                int(self.ids[p]): int(writes[p]) for p in self.leaders if p != self.step_down
            },
            leaders=frozenset(int(self.ids[p]) for p in self.leaders),
            leaders_at_cap=frozenset(at_cap),
            events=events,
            attendance=int(attended.sum()),
            facilitations_by_person=_by_person(self.ids, facilitations),
            event_outputs=outputs,
            agenda_items=agenda,
            agenda_items_from_members=agenda_from_members,
            core=frozenset(int(i) for i in self.ids[rank == CORE]),
            moved_inward=moved_inward,
            guides=int(self.guide_age.size),
            stale_guides=int((self.guide_age >= STALE_AFTER).sum()),
            charter_fit=charter_fit,
            sponsors=sponsors,
        )

    def _verify_guides(self, verify_chance: float) -> None:
        """A month of the library: guides age, overdue ones get verified, a few retire."""
        rng = self.rng
        self.guide_age += 1
        overdue = self.guide_age >= STALE_AFTER
        draws = rng.random(self.guide_age.size)
        verified = np.where(overdue, draws < verify_chance, draws < 0.02)
        self.guide_age[verified] = 0
        self.guide_age = self.guide_age[rng.random(self.guide_age.size) >= 0.01]

    def _refresh_facilitators(self) -> None:
        """Someone who left the community leaves the rotation; the most active member joins."""
        kept = [p for p in self.facilitators if self.member[p]]
        if len(kept) < len(self.facilitators):
            eligible = self.member.copy()
            eligible[kept] = False
            if self.step_down is not None:
                eligible[self.step_down] = False
            for _ in range(len(self.facilitators) - len(kept)):
                if not eligible.any():
                    break
                newcomer = int(np.argmax(np.where(eligible, self.z, -np.inf)))
                kept.append(newcomer)
                eligible[newcomer] = False
        self.facilitators = kept

    def _leader_changes(self, t: int) -> None:
        """A leader steps down (leader_change); the most active core member takes over."""
        plan = self.plan
        change = plan.leader_change_month
        if change is None:
            return
        if t == change:
            self.step_down = self.primary_leader
            self.leaders.remove(self.step_down)
            self.facilitators.remove(self.step_down)
            self.mu[self.step_down] = self.log_base - 2.0
            self.z[self.step_down] = self.mu[self.step_down]
        if t == change + plan.new_leader_delay:
            eligible = self.member.copy()
            eligible[self.leaders] = False
            if self.step_down is not None:
                eligible[self.step_down] = False
            candidates = eligible & (self.rank == CORE)
            if not candidates.any():
                candidates = eligible & (self.rank >= ACTIVE)
            if not candidates.any():
                candidates = eligible
            successor = int(np.argmax(np.where(candidates, self.z, -np.inf)))
            self.leaders.insert(0, successor)
            self.primary_leader = successor
            self.mu[successor] = math.log(self.rng.uniform(6.0, 12.0))
            self.z[successor] = 0.5 * (self.z[successor] + self.mu[successor])
            if successor not in self.facilitators:
                self.facilitators.append(successor)
        if t == change + plan.new_leader_delay + 3:
            self.step_down = None  # now just a quiet member

    def _sponsor_month(
        self, t: int, events: int, season: float, fade: float
    ) -> tuple[SponsorMonth, ...]:
        plan, rng = self.plan, self.rng
        sym = plan.symptom
        exit_now = plan.sponsor_exit is not None and t == plan.onset
        after_exit = plan.sponsor_exit is not None and plan.onset is not None and t > plan.onset
        if after_exit and not self.exited_sponsor:
            self.exited_sponsor = True
            survivors = self.sponsors[1:]
            if plan.sponsor_replacement:
                survivors = [self._sponsor(5, passive=True), *survivors]
            self.sponsors = survivors
        fading = fade if plan.sponsor_exit is None or after_exit else 0.0
        out = []
        for position, sponsor in enumerate(self.sponsors):
            open_chance = sponsor.open_chance * (1.0 - 0.3 * (1.0 - season))
            attend_chance = sponsor.attend_chance
            story_rate = sponsor.story_rate * season
            if not sponsor.passive:
                open_chance *= 1.0 - 0.95 * sym["open"] * fading
                attend_chance *= 1.0 - sym["attend"] * fading
                story_rate *= 1.0 - sym["stories"] * fading
            exiting = exit_now and position == 0
            out.append(
                SponsorMonth(
                    person_id=sponsor.person_id,
                    opened_report=bool(rng.random() < open_chance),
                    attended=int(rng.binomial(events, attend_chance)),
                    stories_told=int(rng.poisson(story_rate)),
                    changed_role=exiting and plan.sponsor_exit == "changed_role",
                    left=exiting and plan.sponsor_exit == "left",
                )
            )
        return tuple(out)


def _by_person(ids: IntArray, counts: IntArray) -> dict[int, int]:
    nonzero = np.flatnonzero(counts)
    return {int(ids[i]): int(counts[i]) for i in nonzero}


def _month(index: int) -> date:
    year, month = divmod(START.month - 1 + index, 12)
    return date(START.year + year, month + 1, 1)


def _notes(plan: _Plan) -> dict[str, float]:
    """The drawn parameters worth seeing when reading a history."""
    notes: dict[str, float] = {"ramp_months": plan.ramp_months, "members": plan.start_members}
    if plan.leader_change_month is not None:
        notes["leader_change_month"] = plan.leader_change_month
    if plan.pitfall == "leader_burnout":
        notes["decline_after"] = plan.burnout_decline_delay
    if plan.sponsor_exit:
        notes[f"sponsor_{plan.sponsor_exit}"] = 1
        notes["sponsor_replaced"] = int(plan.sponsor_replacement)
    return notes


def _simulate(index: int, kind: str, months: int, rng: np.random.Generator) -> History:
    plan = _plan(kind, months, rng)
    community = _Community(index, plan, rng)
    for t in range(-BURN_IN, 0):
        community.step(t, _month(t))
    facts = tuple(community.step(t, _month(t)) for t in range(months))
    return History(
        name=f"h{index:03d}-{kind}",
        kind=kind,
        months=facts,
        pitfall=plan.pitfall,
        onset=plan.onset,
        strength=round(plan.strength, 3) if plan.pitfall else None,
        background=plan.background,
        notes=_notes(plan),
    )


# --- eyeballing ------------------------------------------------------------------------


def _top10_share(month: MonthFacts) -> float:
    counts = sorted(month.answers_by_person.values(), reverse=True)
    return sum(counts[:10]) / sum(counts) if counts else float("nan")


def _summary(month: MonthFacts) -> dict[str, float]:
    answers = month.answers
    leader_answers = sum(month.answers_by_person.get(p, 0) for p in month.leaders)
    return {
        "members": month.members,
        "active": month.active,
        "contributors": month.contributors,
        "new_members": month.new_members,
        "new_contrib": month.new_contributors,
        "questions": month.questions,
        "answers": answers,
        "unanswered_share": month.unanswered / month.questions if month.questions else 0.0,
        "top10_share": _top10_share(month),
        "leader_answer_share": leader_answers / answers if answers else 0.0,
        "events": month.events,
        "attendance": month.attendance,
        "outputs": month.event_outputs,
        "member_agenda": (
            month.agenda_items_from_members / month.agenda_items if month.agenda_items else 0.0
        ),
        "core": len(month.core),
        "moved_inward": month.moved_inward,
        "stale_share": month.stale_guides / month.guides if month.guides else 0.0,
        "charter_fit": month.charter_fit if month.charter_fit is not None else float("nan"),
        "leaders_at_cap": len(month.leaders_at_cap),
        "sponsor_opened": (
            sum(s.opened_report for s in month.sponsors) / len(month.sponsors)
            if month.sponsors
            else 0.0
        ),
    }


def main() -> None:
    started = time.perf_counter()
    histories = generate(seed=1)
    seconds = time.perf_counter() - started
    kinds = CONTROL_KINDS + PITFALLS
    counts = {kind: sum(h.kind == kind for h in histories) for kind in kinds}
    print(f"{len(histories)} histories x {len(histories[0].months)} months in {seconds:.1f} s")
    print("per kind:", counts)
    for at in (6, 30):
        print(f"\nmeans per kind at month {at} (pitfalls at 30: onset <= 28, so under way):")
        rows = []
        for kind in kinds:
            chosen = [h for h in histories if h.kind == kind and (at < 30 or (h.onset or 0) <= 28)]
            figures = [_summary(h.months[at]) for h in chosen]
            keys = list(figures[0]) if figures else []
            means = {k: float(np.nanmean([f[k] for f in figures])) for k in keys}
            rows.append((kind, len(chosen), means))
        keys = list(rows[0][2])
        print(f"{'':26}" + "".join(f"{k[:12]:>13}" for k in keys))
        for kind, size, means in rows:
            label = f"{kind} (n={size})"
            print(f"{label:26}" + "".join(f"{means[k]:13.2f}" for k in keys))
    print("\ncontrols by size at month 12 (compare: a Stack Exchange site with 200 answers")
    print("a month from 53 answerers has a top-10 share near 0.67, one with 70 from 23 near 0.77):")
    for low, high in ((0, 40), (40, 100), (100, 200), (200, 10_000)):
        sized = [
            h.months[12]
            for h in histories
            if h.pitfall is None and low <= h.months[12].members < high
        ]
        answers = [m.answers for m in sized]
        answerers = [len(m.answers_by_person) for m in sized]
        top10 = [_top10_share(m) for m in sized]
        print(
            f"  members {low}-{high}: n={len(sized)} answers={np.mean(answers):.1f} "
            f"answerers={np.mean(answerers):.1f} top10={np.nanmean(top10):.2f} "
            f"core={np.mean([len(m.core) for m in sized]):.1f}"
        )
    for kind in kinds:
        history = next(h for h in histories if h.kind == kind)
        print(
            f"\n{history.name}: background={history.background} onset={history.onset} "
            f"strength={history.strength} {history.notes}"
        )
        keys = ["members", "active", "questions", "answers", "unanswered_share", "top10_share"]
        keys += ["leader_answer_share", "events", "attendance", "outputs", "member_agenda"]
        keys += ["core", "moved_inward", "stale_share", "charter_fit", "sponsor_opened"]
        print("  month   " + "".join(f"{k[:9]:>10}" for k in keys))
        focus = history.onset or int(history.notes.get("leader_change_month", -99))
        for t, month in enumerate(history.months):
            if t % 3 and not focus - 2 <= t <= focus + 6:
                continue
            row = _summary(month)
            print(f"  {t:2d} {month.month:%Y-%m}" + "".join(f"{row[k]:10.2f}" for k in keys))


if __name__ == "__main__":
    main()
