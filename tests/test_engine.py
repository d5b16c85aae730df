"""The engine on tiny models whose state spaces are counted by hand.

Every count below is derived in the comment next to it; `depth` follows TLC (the
initial states are depth 1), `generated` counts the initial states plus every
successor produced by an expanded state, duplicates included.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest

from checker import (
    CheckOptions,
    Choice,
    Spec,
    State,
    Strategy,
    Verdict,
    action,
    check,
    compile_spec,
    constraint,
    fault,
    invariant,
    reachable,
    step_invariant,
    terminal,
    with_item,
)
from checker.engine import ActionCoverage, Progress, ViolationKind
from checker.state import fingerprint
from specs.echo import Echo
from specs.paxos import PaxosSmallQuorums
from specs.paxos_lamport import PaxosLamport
from specs.registers import LockRegister

STRATEGIES = [Strategy.BFS, Strategy.DFS]
by_strategy = pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.value)


def labels(trace) -> list[str]:
    return [str(step.label) for step in trace.steps[1:]]


def states(trace) -> list:
    return [step.state for step in trace.steps]


# --- the models -------------------------------------------------------------------------


class Counter(Spec):
    """n goes 0, 1, ..., limit and is stuck there (a deadlock: no terminal state)."""

    def __init__(self, limit: int = 3, bad: int | None = None):
        self.limit = limit
        self.bad = bad

    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        return s.set(n=s.n + 1) if s.n < self.limit else None

    @invariant
    def not_bad(self, s):
        return s.n != self.bad


class FinishingCounter(Counter):
    """The same counter, whose top value is a proper end state."""

    @terminal
    def at_top(self, s):
        return s.n == self.limit


class TwoStarts(FinishingCounter):
    """Counts to `limit` from 0 and from 5."""

    def init_states(self):
        yield State(n=0)
        yield State(n=5)


class Grid(Spec):
    """Two independent counters a in 0..A and b in 0..B."""

    def __init__(self, a: int = 2, b: int = 3):
        self.a = a
        self.b = b

    def init_states(self):
        yield State(a=0, b=0)

    @action()
    def inc_a(self, s):
        return s.set(a=s.a + 1) if s.a < self.a else None

    @action()
    def inc_b(self, s):
        return s.set(b=s.b + 1) if s.b < self.b else None

    @terminal
    def corner(self, s):
        return (s.a, s.b) == (self.a, self.b)


class SmallGrid(Grid):
    """Grid(3, 3) restricted to a + b <= 3."""

    def __init__(self):
        super().__init__(3, 3)

    @constraint
    def small(self, s):
        return s.a + s.b <= 3


class Bits(Spec):
    """k bits, all 0 at first; flip(i) sets bit i to 1 once."""

    def __init__(self, k: int = 3):
        self.k = k

    def init_states(self):
        yield State(bits=(0,) * self.k)

    @action(i=lambda self, s: range(self.k))
    def flip(self, s, i):
        return s.set(bits=with_item(s.bits, i, 1)) if s.bits[i] == 0 else None

    @terminal
    def all_set(self, s):
        return all(s.bits)


class NotAllSet(Bits):
    @invariant
    def some_bit_clear(self, s):
        return not all(s.bits)


class Pick(Spec):
    """One step picks x: `pick` returns labelled choices, `roll` yields plain states."""

    def __init__(self, bad: int | None = None):
        self.bad = bad

    def init_states(self):
        yield State(x=None)

    @action(hand=("left",))
    def pick(self, s, hand):
        if s.x is not None:
            return None
        return [Choice.of(s.set(x=v), v=v) for v in (1, 2, 3)]

    @action()
    def roll(self, s):
        if s.x is None:
            yield s.set(x=3)  # the same state as pick(v=3): generated, not distinct
            yield None  # skipped
            yield s.set(x=4)

    @invariant
    def not_bad(self, s):
        return self.bad is None or s.x != self.bad

    @terminal
    def picked(self, s):
        return s.x is not None


class TwoRoutes(Spec):
    """Position 9 is reached by `short` (0-5-9) or by `long` (0-1-2-3-9), and is stuck.

    `short` is declared first, so depth-first search pops the long route first.
    """

    SHORT = {0: 5, 5: 9}
    LONG = {0: 1, 1: 2, 2: 3, 3: 9}

    def __init__(self, bad: int | None = None):
        self.bad = bad

    def init_states(self):
        yield State(pos=0)

    @action()
    def short(self, s):
        nxt = self.SHORT.get(s.pos)
        return None if nxt is None else s.set(pos=nxt)

    @action()
    def long(self, s):
        nxt = self.LONG.get(s.pos)
        return None if nxt is None else s.set(pos=nxt)

    @invariant
    def not_bad(self, s):
        return s.pos != self.bad


class ArrivingTwoRoutes(TwoRoutes):
    @terminal
    def arrived(self, s):
        return s.pos == 9


class Lossy(Spec):
    """n counts to 2; the fault `drop` resets it to 0 and marks the state as dropped."""

    def __init__(self, faults: int = 0):
        self.faults = faults

    def init_states(self):
        yield State(n=0, dropped=False)

    @action()
    def inc(self, s):
        return s.set(n=s.n + 1) if s.n < 2 else None

    @fault()
    def drop(self, s):
        return s.set(n=0, dropped=True) if s.n > 0 else None

    @terminal
    def at_top(self, s):
        return s.n == 2


class NeverDropped(Lossy):
    @invariant
    def not_dropped(self, s):
        return not s.dropped


class Crashy(Spec):
    """n counts to 2; a crash is always possible while up. At n == 2 only the crash is left."""

    def __init__(self, faults: int = 1):
        self.faults = faults

    def init_states(self):
        yield State(n=0, up=True)

    @action()
    def inc(self, s):
        return s.set(n=s.n + 1) if s.n < 2 else None

    @fault()
    def crash(self, s):
        return s.set(up=False) if s.up else None


class Jumps(Spec):
    """n in 0..3: inc (+1), leap from 1 to 3, reset from 3 to 0."""

    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        return s.set(n=s.n + 1) if s.n < 3 else None

    @action()
    def leap(self, s):
        return s.set(n=3) if s.n == 1 else None

    @action()
    def reset(self, s):
        return s.set(n=0) if s.n == 3 else None


class SmallSteps(Jumps):
    @step_invariant
    def at_most_one_up(self, before, after):
        return after.n - before.n <= 1


class NeverDown(Jumps):
    @step_invariant
    def never_down(self, before, after):
        return after.n >= before.n


class Stays(Jumps):
    """Jumps, plus a step to an equal state (a new object): a stutter, never checked."""

    @action()
    def stay(self, s):
        return s.set(n=s.n)

    @step_invariant
    def moves(self, before, after):
        return after.n != before.n


class Crashing(Spec):
    """bump(i) raises when i == 1 and n == 2; otherwise both parameters count n up to 3."""

    def init_states(self):
        yield State(n=0)

    @action(i=range(2))
    def bump(self, s, i):
        if s.n == 2 and i == 1:
            raise ValueError("boom")
        return s.set(n=s.n + 1) if s.n < 3 else None


# --- state spaces -------------------------------------------------------------------------

# name -> (spec factory, distinct, generated, BFS depth)
SPACES = {
    # n = 0..5: 6 states on one path; 1 initial + 5 inc steps
    "counter-5": (lambda: FinishingCounter(5), 6, 6, 6),
    # (2+1) * (3+1) = 12 states; inc_a fires where a < 2 (2*4 = 8), inc_b where b < 3
    # (3*3 = 9): 1 + 8 + 9 = 18; the far corner is 2 + 3 = 5 steps away
    "grid-2x3": (lambda: Grid(2, 3), 12, 18, 6),
    # 4 * 4 = 16 states; 1 + 3*4 + 4*3 = 25 generated; the corner is 6 steps away
    "grid-3x3": (lambda: Grid(3, 3), 16, 25, 7),
    # a + b <= 3 leaves 1 + 2 + 3 + 4 = 10 states; 9 of them have a < 3 and 9 have b < 3
    # (discarded successors are still generated): 1 + 9 + 9 = 19; depth 3 + 1
    "grid-3x3-constrained": (SmallGrid, 10, 19, 4),
    # 2**3 subsets of set bits; each state flips each clear bit: 1 + 3 * 2**2 = 13
    "bits-3": (lambda: Bits(3), 8, 13, 4),
    # 2**4 states; 1 + 4 * 2**3 = 33 generated
    "bits-4": (lambda: Bits(4), 16, 33, 5),
    # x in {None, 1, 2, 3, 4}; pick gives 3, roll 2 (its x=3 duplicates pick's): 1 + 5
    "pick": (Pick, 5, 6, 2),
    # n = 0..6 from two initial states; 0..4 is the longest new path (4 steps);
    # 2 initial + one successor for each of 0..5
    "two-starts": (lambda: TwoStarts(6), 7, 8, 5),
    # n in 0..2 for each number of drops used (0..faults): 3 * (faults + 1) states; per
    # budget level inc fires twice, drop twice unless the budget is spent
    "lossy-f0": (lambda: Lossy(0), 3, 3, 3),
    "lossy-f1": (lambda: Lossy(1), 6, 7, 5),
    "lossy-f2": (lambda: Lossy(2), 9, 11, 7),
    # 0, 1, 2, 3, 5, 9
    "two-routes": (ArrivingTwoRoutes, 6, 7, 4),
}


@by_strategy
@pytest.mark.parametrize(("make", "distinct", "generated", "depth"), SPACES.values(), ids=SPACES)
def test_state_space_is_pinned(make, distinct, generated, depth, strategy):
    result = check(make(), CheckOptions(strategy=strategy))
    assert result.verdict is Verdict.HOLDS
    assert result.exit_code == 0
    assert (result.stats.distinct, result.stats.generated) == (distinct, generated)
    assert result.stats.queue == 0
    if strategy is Strategy.BFS:
        assert result.stats.depth == depth


@pytest.mark.parametrize(
    ("faults", "coverage"),
    [
        (0, (ActionCoverage("inc", 2, False),)),  # drop is left out entirely
        (1, (ActionCoverage("inc", 4, False), ActionCoverage("drop", 2, True))),
        (2, (ActionCoverage("inc", 6, False), ActionCoverage("drop", 4, True))),
    ],
)
def test_fault_budget_bounds_fault_steps_per_path(faults, coverage):
    result = check(Lossy(faults))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.coverage == coverage


def test_coverage_counts_every_firing_of_every_action():
    result = check(Grid(2, 3))
    assert result.stats.coverage == (
        ActionCoverage("inc_a", 8, False),
        ActionCoverage("inc_b", 9, False),
    )


def test_set_domains_are_enumerated_in_sorted_order():
    class Sets(Spec):
        def init_states(self):
            yield State(v=0)

        # a frozenset of these iterates as 8, 1, 2 in CPython
        @action(v=frozenset({8, 1, 2}))
        def put(self, s, v):
            return s.set(v=v)

        @action(w=lambda self, s: {8, 1, 2})
        def put_w(self, s, w):
            return s.set(v=-w)

    model = compile_spec(Sets())
    steps = [str(model.label(tr)) for tr in model.successors(model.initial()[0])]
    assert steps == ["put(v=1)", "put(v=2)", "put(v=8)", "put_w(w=1)", "put_w(w=2)", "put_w(w=8)"]


# --- shortest counterexamples -----------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 3, 5])
def test_bfs_trace_to_a_violation_at_distance_k_has_k_steps(k):
    v = check(Counter(limit=10, bad=k)).violation
    assert (v.property, v.kind) == ("not_bad", ViolationKind.INVARIANT)
    assert len(v.trace) == k
    assert labels(v.trace) == ["inc"] * k
    assert states(v.trace) == [State(n=i) for i in range(k + 1)]


def test_bfs_trace_labels_carry_parameters():
    # 000 -> 100 -> 110 -> 111: the all-ones state is first generated from 110, the
    # first state of the third level
    v = check(NotAllSet(3)).violation
    assert labels(v.trace) == ["flip(i=0)", "flip(i=1)", "flip(i=2)"]
    assert [s.bits for s in states(v.trace)] == [(0, 0, 0), (1, 0, 0), (1, 1, 0), (1, 1, 1)]


@pytest.mark.parametrize(
    ("bad", "steps"),
    [(2, ["pick(hand='left', v=2)"]), (3, ["pick(hand='left', v=3)"]), (4, ["roll"])],
)
def test_choices_and_yielded_states_are_labelled(bad, steps):
    v = check(Pick(bad=bad)).violation
    assert labels(v.trace) == steps
    assert v.trace.last.state == State(x=bad)


@pytest.mark.parametrize(
    ("strategy", "steps"),
    [(Strategy.BFS, ["short", "short"]), (Strategy.DFS, ["long"] * 4)],
    ids=["bfs", "dfs"],
)
def test_bfs_finds_the_shortest_route_and_dfs_the_first_explored(strategy, steps):
    v = check(TwoRoutes(bad=9), CheckOptions(strategy=strategy)).violation
    assert v.kind is ViolationKind.INVARIANT
    assert labels(v.trace) == steps
    assert v.trace.last.state == State(pos=9)


def test_trace_starts_from_the_initial_state_it_came_from():
    v = check(TwoStarts(limit=6, bad=6)).violation
    assert v.trace.initial == 1
    assert states(v.trace) == [State(n=5), State(n=6)]
    assert labels(v.trace) == ["inc"]


def test_fault_steps_are_marked_in_the_trace():
    v = check(NeverDropped(faults=1)).violation
    assert labels(v.trace) == ["inc", "drop"]
    assert [step.label.is_fault for step in v.trace.steps[1:]] == [False, True]
    assert v.trace.last.state == State(n=0, dropped=True)


def test_duplicate_initial_states_are_generated_but_counted_once():
    class Twice(FinishingCounter):
        def init_states(self):
            yield State(n=0)
            yield State(n=0)

    stats = check(Twice(2)).stats
    assert (stats.distinct, stats.generated) == (3, 4)


# --- step invariants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "prop", "steps", "last"),
    [
        # from 1, inc to 2 is fine, then leap to 3 breaks it: the target is new
        (SmallSteps, "at_most_one_up", ["inc", "leap"], 3),
        # 0 -> 1 -> 3 by leap (the shortest way to 3), then reset to the visited 0
        (NeverDown, "never_down", ["inc", "leap", "reset"], 0),
    ],
)
def test_step_invariant_trace_ends_with_the_offending_step(spec, prop, steps, last):
    v = check(spec()).violation
    assert (v.property, v.kind) == (prop, ViolationKind.STEP_INVARIANT)
    assert labels(v.trace) == steps
    assert v.trace.last.state == State(n=last)


def test_jumps_without_step_invariants_hold():
    result = check(Jumps())
    assert result.verdict is Verdict.HOLDS
    # 0..3; 0: inc; 1: inc, leap; 2: inc; 3: reset -> 1 + 5
    assert (result.stats.distinct, result.stats.generated) == (4, 6)


# --- deadlock -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "steps"),
    [(Strategy.BFS, ["short", "short"]), (Strategy.DFS, ["long"] * 4)],
    ids=["bfs", "dfs"],
)
def test_stuck_state_is_a_deadlock(strategy, steps):
    result = check(TwoRoutes(), CheckOptions(strategy=strategy))
    assert result.verdict is Verdict.VIOLATED
    v = result.violation
    assert (v.property, v.kind) == ("deadlock", ViolationKind.DEADLOCK)
    assert labels(v.trace) == steps
    assert v.trace.last.state == State(pos=9)


@by_strategy
def test_deadlock_check_can_be_turned_off(strategy):
    result = check(TwoRoutes(), CheckOptions(strategy=strategy, check_deadlock=False))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.distinct == 6


def test_terminal_state_is_not_a_deadlock():
    assert check(TwoRoutes()).verdict is Verdict.VIOLATED
    assert check(ArrivingTwoRoutes()).verdict is Verdict.HOLDS


def test_state_with_only_fault_steps_is_deadlocked():
    # (2, up) can only crash; it is expanded (level 2) before any state of level 3
    v = check(Crashy(faults=1)).violation
    assert v.kind is ViolationKind.DEADLOCK
    assert labels(v.trace) == ["inc", "inc"]
    assert v.trace.last.state == State(n=2, up=True)


def test_fault_only_state_is_fine_when_terminal():
    class Finishing(Crashy):
        @terminal
        def at_top(self, s):
            return s.n == 2

    result = check(Finishing(faults=1))
    assert result.verdict is Verdict.HOLDS
    # n in 0..2 times up/down; the budget used is 0 exactly when up
    assert result.stats.distinct == 6


# --- @reachable -----------------------------------------------------------------------------


class ReachesTwo(FinishingCounter):
    @reachable
    def two(self, s):
        return s.n == 2


class ReachesSeven(ReachesTwo):
    @reachable
    def seven(self, s):
        """n gets to 7"""
        return s.n == 7


def test_witnessed_reachable_holds():
    result = check(ReachesTwo(limit=3))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.witnessed == ("two",)


def test_unwitnessed_reachable_is_violated():
    result = check(ReachesSeven(limit=3))
    assert result.verdict is Verdict.VIOLATED
    assert result.exit_code == 1
    v = result.violation
    assert (v.property, v.kind, v.trace) == ("seven", ViolationKind.REACHABLE, None)
    assert "n gets to 7" in v.message
    assert result.stats.witnessed == ("two",)


def test_reachable_unknown_when_the_search_is_cut():
    # depth bound 1: only n = 0 and n = 1 are reached
    result = check(ReachesTwo(limit=3), CheckOptions(max_depth=1))
    assert result.verdict is Verdict.INCOMPLETE
    assert result.unknown_reachables == ("two",)
    assert result.stats.witnessed == ()


def test_witnessed_reachable_is_not_unknown_when_the_search_is_cut():
    result = check(ReachesSeven(limit=10), CheckOptions(max_depth=3))
    assert result.verdict is Verdict.INCOMPLETE
    assert result.unknown_reachables == ("seven",)
    assert result.stats.witnessed == ("two",)


class CountsLooks(ReachesSeven):
    """ReachesSeven, counting how often each reachable property is evaluated."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.looks = {"two": 0, "seven": 0}

    @reachable
    def two(self, s):
        self.looks["two"] += 1
        return s.n == 2

    @reachable
    def seven(self, s):
        self.looks["seven"] += 1
        return s.n == 7


@by_strategy
def test_a_witnessed_reachable_is_not_evaluated_again(strategy):
    """Each @reachable is looked for only until a state shows it: n = 0, 1, 2 for `two`
    (while `seven` is still looked for), n = 0..7 for `seven`."""
    spec = CountsLooks(limit=10)
    result = check(spec, CheckOptions(strategy=strategy))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.witnessed == ("two", "seven")
    assert spec.looks == {"two": 3, "seven": 8}


# --- budgets -------------------------------------------------------------------------------


@by_strategy
def test_state_limit_makes_the_verdict_incomplete(strategy):
    result = check(FinishingCounter(100), CheckOptions(strategy=strategy, max_states=10))
    assert result.verdict is Verdict.INCOMPLETE
    assert result.exit_code == 3
    assert result.incomplete_reason == "state limit of 10 distinct states reached"
    # one path: before expanding n the visited set holds 0..n
    assert result.stats.distinct == 10


@by_strategy
def test_depth_limit_that_cuts_makes_the_verdict_incomplete(strategy):
    result = check(FinishingCounter(10), CheckOptions(strategy=strategy, max_depth=3))
    assert result.verdict is Verdict.INCOMPLETE
    assert result.incomplete_reason == "depth limit of 3 steps reached"
    # n = 0..3 are reached, n = 3 is not expanded
    assert (result.stats.distinct, result.stats.depth) == (4, 4)


@by_strategy
@pytest.mark.parametrize("max_depth", [3, 4, 100])
def test_depth_limit_that_cuts_nothing_holds(max_depth, strategy):
    result = check(FinishingCounter(3), CheckOptions(strategy=strategy, max_depth=max_depth))
    assert result.verdict is Verdict.HOLDS
    assert result.incomplete_reason is None
    assert (result.stats.distinct, result.stats.depth) == (4, 4)


def test_deadlock_at_the_depth_limit_is_still_found():
    result = check(Counter(3), CheckOptions(max_depth=3))
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.kind is ViolationKind.DEADLOCK
    assert len(result.violation.trace) == 3


class Ring(Spec):
    """0 -> 1 -> 2 -> 0: every state is found within two steps."""

    def init_states(self):
        yield State(n=0)

    @action()
    def step(self, s):
        return s.set(n=(s.n + 1) % 3)


def test_a_depth_bound_that_hides_nothing_new_is_not_a_cut():
    result = check(Ring(), CheckOptions(max_depth=2))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.distinct == 3
    assert check(Ring(), CheckOptions(max_depth=1)).verdict is Verdict.INCOMPLETE


def test_time_limit_makes_the_verdict_incomplete():
    # the clock is read every few hundred expansions; 5001 states are far more than that
    result = check(FinishingCounter(5000), CheckOptions(time_limit=1e-6))
    assert result.verdict is Verdict.INCOMPLETE
    assert result.incomplete_reason == "time limit of 1e-06 s reached"
    assert 0 < result.stats.distinct < 5001


@pytest.mark.parametrize(
    ("make", "options", "verdict", "code"),
    [
        (lambda: FinishingCounter(3), CheckOptions(), Verdict.HOLDS, 0),
        (lambda: Counter(3), CheckOptions(), Verdict.VIOLATED, 1),
        (lambda: FinishingCounter(9), CheckOptions(max_states=3), Verdict.INCOMPLETE, 3),
        (Crashing, CheckOptions(), Verdict.SPEC_ERROR, 4),
    ],
    ids=["holds", "violated", "incomplete", "spec-error"],
)
def test_exit_codes(make, options, verdict, code):
    result = check(make(), options)
    assert result.verdict is verdict
    assert result.exit_code == code == verdict.exit_code


# --- how actions are called -----------------------------------------------------------------


class Orders(Spec):
    """Parameters declared in another order than the signature's, one keyword-only, and
    a parameter with a default: called by position where that is the same call."""

    def init_states(self):
        yield State(log=())

    @action(b=range(2), a=range(3))
    def pair(self, s, a, b, unit=1):
        return s.set(log=(*s.log, ("pair", a, b * unit))) if len(s.log) < 2 else None

    @action(k=range(2))
    def only(self, s, *, k):
        return s.set(log=(*s.log, ("only", k))) if len(s.log) < 2 else None

    @action(n=range(2))
    def one(self, s, n):
        return s.set(log=(*s.log, ("one", n))) if len(s.log) < 2 else None

    @invariant
    def no_late_pair(self, s):
        return s.log[1:] != (("pair", 2, 1),)


def logged(method):
    """A decorator whose wrapper takes the action's parameters by keyword only."""

    @functools.wraps(method)
    def wrapper(self, s, **params):
        return method(self, s, **params)

    return wrapper


class Wrapped(Orders):
    @action(n=range(2))
    @logged
    def one(self, s, n):
        return s.set(log=(*s.log, ("one", n))) if len(s.log) < 2 else None


def test_actions_get_their_parameters_by_name_whether_called_by_position_or_keyword():
    model = compile_spec(Orders())
    assert [a.positional for a in model.actions] == [("a", "b"), None, ("n",)]
    # a wrapper is called as it is defined, by keyword, whatever it wraps
    assert [a.positional for a in compile_spec(Wrapped()).actions] == [("a", "b"), None, None]
    assert check(Wrapped()).stats.distinct == check(Orders()).stats.distinct
    result = check(Orders())
    # the first step is pair(b=0, a=0), the first of its steps; then pair(b=1, a=2)
    assert labels(result.violation.trace) == ["pair(b=0, a=0)", "pair(b=1, a=2)"]
    assert result.violation.trace.last.state.log == (("pair", 0, 0), ("pair", 2, 1))

    class Unchecked(Orders):
        def no_late_pair(self, s):  # an override without the tag: no invariant
            return True

    # ten steps from each state with a log shorter than 2 (6 pairs, 2 only, 2 one),
    # each to a different log: 1 + 10 + 100
    result = check(Unchecked(), CheckOptions(check_deadlock=False))
    assert result.verdict is Verdict.HOLDS
    stats = result.stats
    assert (stats.distinct, stats.generated) == (111, 111)


# --- the lean loop and the general one ------------------------------------------------------


def _outcome(result) -> tuple:
    """Everything a search reports but its timings."""
    stats, found = result.stats, result.violation or result.error
    trace = getattr(found, "trace", None)
    return (
        result.verdict,
        (stats.distinct, stats.generated, stats.depth, stats.queue),
        stats.coverage,
        stats.witnessed,
        found and (getattr(found, "property", None), getattr(found, "where", None)),
        trace and [(s.label, s.state) for s in trace.steps],
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: Counter(3),
        lambda: FinishingCounter(3),
        SmallSteps,
        NeverDown,
        Jumps,
        Stays,
        Crashing,
        lambda: PaxosSmallQuorums(),
        lambda: LockRegister(nodes=2, faults=1),
        lambda: Echo(nodes=3, duplicate=1),
        lambda: PaxosLamport(ballots=2),
    ],
    ids=lambda m: type(m()).__name__,
)
def test_the_exact_loop_reports_what_the_general_loop_does(make):
    """Exact mode expands most specs in a lean loop (`_Search._expand_exact`); a
    constraint every state meets sends the same spec through the general loop."""
    spec = make()
    general = type(type(spec).__name__, (type(spec),), {"anything": constraint(lambda s, st: True)})
    twin = general.__new__(general)
    twin.__dict__.update(spec.__dict__)
    assert compile_spec(twin).constraints and not compile_spec(spec).constraints
    for options in (CheckOptions(exact=True), CheckOptions(exact=True, check_deadlock=False)):
        assert _outcome(check(spec, options)) == _outcome(check(twin, options))


# --- the spec's own errors ----------------------------------------------------------------


def test_action_raising_is_a_spec_error_at_the_state_it_raised_in():
    result = check(Crashing())
    assert result.verdict is Verdict.SPEC_ERROR
    error = result.error
    assert error.where == "action bump(i=1)"
    assert "ValueError('boom')" in error.message
    assert "boom" in error.details
    assert labels(error.trace) == ["bump(i=0)", "bump(i=0)"]
    assert error.trace.last.state == State(n=2)


ROLES = {
    "invariant": invariant,
    "reachable": reachable,
    "constraint": constraint,
    "terminal": terminal,
}


def fragile_counter(role: str) -> type[Spec]:
    def fragile(self, s):
        if s.n == 2:
            raise RuntimeError("n is 2")
        return role != "reachable"  # a witnessed reachable would no longer be evaluated

    return type(f"Fragile_{role}", (Counter,), {"fragile": ROLES[role](fragile)})


@pytest.mark.parametrize(
    ("role", "last"),
    [
        ("invariant", 2),  # checked when n = 2 is reached
        ("reachable", 2),
        ("terminal", 2),  # asked only when n = 2 turns out to be stuck
        ("constraint", 1),  # asked about n = 2 while expanding n = 1
    ],
)
def test_predicate_raising_is_a_spec_error(role, last):
    result = check(fragile_counter(role)(limit=2))
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == f"{role} fragile"
    assert "RuntimeError('n is 2')" in result.error.message
    assert result.error.trace.last.state == State(n=last)


def test_invariant_returning_none_is_a_spec_error():
    class Forgot(FinishingCounter):
        @invariant
        def small(self, s):
            s.n < 5  # noqa: B015 - the missing `return` is the point

    result = check(Forgot())
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == "invariant small"
    assert "returned None" in result.error.message
    assert len(result.error.trace) == 0


class Forgetful(Spec):
    """Stamps each successor with a call count kept on self: not a function of the state."""

    def __init__(self):
        self.calls = 0

    def init_states(self):
        yield State(n=0, stamp=0)

    @action()
    def tick(self, s):
        if s.n >= 3:
            return None
        self.calls += 1
        return s.set(n=s.n + 1, stamp=self.calls)

    @invariant
    def below_two(self, s):
        return s.n < 2


def test_nondeterministic_spec_is_caught_when_the_trace_is_replayed():
    result = check(Forgetful())
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == "replaying the counterexample"
    assert "not deterministic" in result.error.message
    assert "step 1: none of the steps enabled now (tick)" in result.error.message


class RaisingInit(FinishingCounter):
    def init_states(self):
        raise RuntimeError("no start")


class RaisingDomain(FinishingCounter):
    @action(p=lambda self, s: 1 // 0)
    def send(self, s, p):
        return None


@pytest.mark.parametrize("spec", [RaisingInit, RaisingDomain])
def test_spec_code_raising_before_the_search_is_a_spec_error(spec):
    result = check(spec())
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.exit_code == 4
    assert "init_states" in result.error.where or "domain of `p`" in result.error.where


@dataclass
class Mutable:
    x: int = 0


class Opaque:
    """A plain object: neither hashable by value nor a supported state value."""


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ([1], "list"),
        ({"k": 1}, "dict"),
        ({1}, "set"),
        ((1, [2]), "list"),
        (Mutable(), "Mutable"),
        (Opaque(), "Opaque"),
    ],
    ids=["list", "dict", "set", "nested-list", "mutable-dataclass", "plain-object"],
)
def test_invalid_successor_is_a_spec_error_naming_the_field(value, kind):
    class Boxing(Spec):
        def init_states(self):
            yield State(n=0, box=None)

        @action()
        def put(self, s):
            return s.set(box=value) if s.box is None else None

    for exact in (None, False):  # whole states, fingerprints
        result = check(Boxing(), CheckOptions(check_deadlock=False, exact=exact))
        assert result.verdict is Verdict.SPEC_ERROR
        assert result.error.where == "action put"
        assert "invalid state" in result.error.message
        assert "box" in result.error.message
        assert kind in result.error.message


@pytest.mark.parametrize("make", [SmallSteps, NeverDown, Stays], ids=lambda m: m.__name__)
def test_step_invariants_and_stutters_alike_with_fingerprints(make):
    """The lean loop (whole states) and the general one (fingerprints, with and without
    a graph kept) check the same steps and skip the same stutters."""
    runs = [
        check(make(), CheckOptions(check_deadlock=False, exact=exact, graph_limit=graph))
        for exact, graph in ((True, None), (False, None), (False, 100))
    ]
    summary = {
        (r.verdict, r.stats.distinct, r.stats.generated, r.violation and r.violation.property)
        for r in runs
    }
    assert len(summary) == 1, summary
    one = runs[0]
    if one.violation is not None:
        assert {len(r.violation.trace) for r in runs} == {len(one.violation.trace)}


@pytest.mark.parametrize(
    ("start", "change"),
    [
        (frozenset({1}), lambda box: box | {Opaque()}),
        ((1, (2, 3)), lambda box: (1, (2, Opaque()))),
        (State(k=1, j=2), lambda box: box.set(j=Opaque())),
        ((State(k=1), 0), lambda box: (box[0].set(k=frozenset({Opaque()})), 0)),
    ],
    ids=["set-gains-one", "nested-tuple", "nested-record", "set-in-record-in-tuple"],
)
def test_invalid_part_deep_in_a_successor_is_found_in_every_mode(start, change):
    """Exact mode looks only at what a step changed; it must still find a bad part."""

    class Deep(Spec):
        def init_states(self):
            yield State(n=0, box=start)

        @action()
        def put(self, s):
            return s.set(n=1, box=change(s.box)) if s.n == 0 else None

    for exact, workers in ((True, 1), (False, 1), (True, 2)):
        options = CheckOptions(check_deadlock=False, exact=exact, workers=workers)
        result = check(Deep(), options)
        assert result.verdict is Verdict.SPEC_ERROR, (exact, workers)
        assert "invalid state" in result.error.message
        assert "Opaque" in result.error.message


class Interrupted(Spec):
    """Counts up forever; the sixth expansion is interrupted as if by Ctrl-C."""

    def __init__(self):
        self.calls = 0

    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        self.calls += 1
        if self.calls == 6:
            raise KeyboardInterrupt
        return s.set(n=s.n + 1)


def test_interrupt_is_an_incomplete_result():
    result = check(Interrupted())
    assert result.verdict is Verdict.INCOMPLETE
    assert result.incomplete_reason == "interrupted"
    assert result.exit_code == 3
    # n = 0..4 were expanded; n = 5 was being expanded
    assert result.stats.distinct == 6


# --- events --------------------------------------------------------------------------------


def test_progress_events_reach_the_observer():
    events: list[Progress] = []
    result = check(FinishingCounter(3000), CheckOptions(progress_interval=1e-6), events.append)
    assert result.verdict is Verdict.HOLDS
    assert events
    for event in events:
        # on one path, before expanding n: 0..n are seen, each generated once, the
        # deepest of them is n (depth n + 1), and n alone waits in the queue
        assert event.distinct == event.generated == event.depth
        assert event.queue == 1
    assert [e.distinct for e in events] == sorted({e.distinct for e in events})
    assert events[-1].distinct < result.stats.distinct == 3001


def test_no_observer_no_problem():
    result = check(FinishingCounter(3000), CheckOptions(progress_interval=1e-6))
    assert result.stats.distinct == 3001


# --- fingerprints ------------------------------------------------------------------------------

_FINGERPRINT_SCRIPT = """
from checker.state import State, fingerprint
names = frozenset("node-%d" % i for i in range(40))
print(fingerprint(State(up=names, pairs=frozenset((n, len(n)) for n in names))))
"""


def test_fingerprint_is_the_same_under_every_hash_seed():
    seen = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.add(int(out.stdout))
    names = frozenset(f"node-{i}" for i in range(40))
    here = fingerprint(State(up=names, pairs=frozenset((n, len(n)) for n in names)))
    assert seen == {here}


def test_fingerprint_tells_states_apart():
    assert fingerprint(State(n=1)) == fingerprint(State(n=1))
    assert fingerprint(State(n=1)) != fingerprint(State(n=2))
    assert fingerprint(frozenset({"a", "b"})) != fingerprint(frozenset({"a"}))


class _Mixed(Spec):
    """Actions that yield Choices, bare states and Nones, or return a list or a state."""

    def init_states(self):
        yield State(n=0)

    @action
    def step(self, s):
        if s.n < 3:
            yield None  # a disabled witness: not a step
            yield Choice.of(s.set(n=s.n + 1), by=1)
            yield s.set(n=s.n + 2) if s.n < 2 else None

    @action
    def again(self, s):
        return [s, None]  # a stutter, and nothing

    @action
    def done(self, s):
        return s.set(n=9) if s.n == 3 else None

    @terminal
    def finished(self, s):
        return s.n >= 4


def test_step_groups_are_the_successors_grouped_by_action_call():
    model = compile_spec(_Mixed())
    s = model.initial()[0]
    groups = model.step_groups(s)
    assert [(index, len(items)) for index, _, items in groups] == [(0, 2), (1, 1)]
    flat = [
        model.transition(index, params, item) for index, params, items in groups for item in items
    ]
    assert flat == list(model.successors(s))
    assert [str(model.label(tr)) for tr in flat] == ["step(by=1)", "step", "again"]
    result = check(_Mixed(), CheckOptions(workers=1))
    assert result.verdict is Verdict.HOLDS, result.violation
    # 0 -> 1, 2; 1 -> 2, 3; 2 -> 3; 3 -> 9; each state also stutters once by `again`;
    # as in TLC, the initial state counts as generated too
    assert (result.stats.distinct, result.stats.generated) == (5, 1 + 6 + 5)
    assert [(c.name, c.fired) for c in result.stats.coverage] == [
        ("step", 5),
        ("again", 5),
        ("done", 1),
    ]
