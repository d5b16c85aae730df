"""Scale machinery: the compact visited set, the spilling queue, stutters, workers."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from checker import CheckOptions, Spec, State, Verdict, action, check, compile_spec, step_invariant
from checker.engine.frontier import Queue
from checker.engine.result import Progress
from checker.engine.visited import FingerprintSet
from checker.loader import build, resolve
from checker.options import Strategy
from checker.report.text import format_stats
from specs.paxos_lamport import PaxosLamport

# --- fingerprints memoised by identity ------------------------------------------------


def test_a_warm_fingerprinter_agrees_with_a_fresh_one_on_shared_parts():
    """Parts met before as the same objects are looked up by id: the same digests as
    computing them afresh, whichever role a part plays, before and after forgetting."""
    from checker.state import Fingerprinter

    note = State(text="a", seen=frozenset({1, 2}))
    other = State(text="a", seen=frozenset({1, 2}))  # equal, not identical
    nested = ((note, True), (2.0, None))
    states = [
        State(last=note, msgs=frozenset({note}), pair=nested),
        State(last=other, msgs=frozenset({other, State(text="b", seen=frozenset())}), pair=nested),
        State(last=None, msgs=frozenset({("x", note), note}), pair=((other, 1), (2, None))),
        (note, frozenset({note, ("t", 1)}), nested),
    ]
    warm = Fingerprinter(memo_limit=3)  # forgets often, between states
    for _ in range(3):
        for st in states:
            assert warm(st) == Fingerprinter()(st)
    assert Fingerprinter()(states[0]) != Fingerprinter()(states[2])
    with_counters = (states[0], (1, 0))  # a state with its fault counters
    assert Fingerprinter()(with_counters) == warm(with_counters)
    assert State(a=1, b=2) != (1, 2) and (1, 2) != State(a=1, b=2)  # a record is no tuple
    assert Fingerprinter()(State(a=1, b=2)) != Fingerprinter()((1, 2))
    copy = State(last=other, msgs=frozenset({other}), pair=((other, 1), (2, None)))
    assert copy == states[0]  # equal parts, other objects; True == 1 and 2.0 == 2
    assert warm(copy) == warm(states[0]) == Fingerprinter()(copy)


# --- the compact visited set ---------------------------------------------------------


def test_fingerprint_set_merges_into_sorted_arrays_and_keeps_parents():
    fps = FingerprintSet(merge_at=4)
    chain = [2**64 - 1, 7, 2**63, 12345, 99, 2**40, 3, 2**62 + 1, 5]
    fps.add_new(chain[0], None)
    for parent, fp in zip(chain, chain[1:]):
        assert fp not in fps
        fps.add_new(fp, parent)
    assert len(fps) == len(chain)
    assert fps.merged == 8  # two merges of four; the ninth is still recent
    assert all(fp in fps for fp in chain)
    assert 4 not in fps and 2**64 - 2 not in fps
    assert fps.path_to(chain[-1]) == chain
    assert fps.path_to(chain[0]) == [chain[0]]


def test_a_search_through_merged_fingerprints_gives_the_same_answer(monkeypatch):
    import checker.engine.search as search

    monkeypatch.setattr(search, "FingerprintSet", lambda: FingerprintSet(merge_at=64))
    result = check(PaxosLamport(), CheckOptions(workers=1))
    assert (result.stats.distinct, result.stats.depth) == (3921, 17)
    buggy = compile_spec(build(resolve("lockless-register-recheck"), {"nodes": 3}))
    result = check(buggy, CheckOptions(workers=1))  # its trace walks merged parents
    assert result.verdict is Verdict.VIOLATED
    assert len(result.violation.trace) == 10


# --- the queue -----------------------------------------------------------------------


def test_queue_pickles_batches_and_spills_them_in_order():
    queue = Queue(live_limit=10, batch=4, memory_limit=100)
    items = [(State(n=i, name=f"s{i}"), i, i % 7) for i in range(200)]
    for item in items[:150]:
        queue.push(item)
    out = [queue.pop() for _ in range(60)]
    for item in items[150:]:
        queue.push(item)
    while len(queue):
        out.append(queue.pop())
    queue.close()
    assert out == items
    assert queue.sealed_batches > 20
    assert queue.spilled_bytes > 0


def test_small_queues_stay_live():
    queue = Queue(live_limit=100, batch=4)
    for i in range(50):
        queue.push(i)
    assert queue.sealed_batches == 0
    assert [queue.pop() for _ in range(50)] == list(range(50))


# --- stutters ------------------------------------------------------------------------


class Stuttering(Spec):
    """x counts to 2; `idle` steps to an equal state, which a strict step property forbids."""

    def init_states(self):
        yield State(x=0)

    @action
    def tick(self, s):
        if s.x < 2:
            yield s.set(x=s.x + 1)

    @action
    def idle(self, s):
        yield s.set(x=s.x)  # equal, not identical
        yield s  # identical

    @step_invariant
    def always_moves(self, s, t):
        return t.x == s.x + 1


@pytest.mark.parametrize("exact", [False, True])
def test_step_invariants_are_not_checked_on_stuttering_steps(exact):
    result = check(Stuttering(), CheckOptions(exact=exact, check_deadlock=False))
    assert result.verdict is Verdict.HOLDS
    assert (result.stats.distinct, result.stats.generated) == (3, 9)


# --- workers -------------------------------------------------------------------------

PARALLEL = [
    ("paxos", {"nodes": 3}),
    ("two-phase-commit", {"nodes": 4}),
    ("paxos-small-quorums", {}),
    ("paxos-no-promise-check", {}),
    ("lockless-register-recheck", {"nodes": 3}),
    ("lock-register", {"nodes": 2, "faults": 1}),
    ("echo", {"nodes": 3, "partitions": 1}),
]


_ONE: dict[str, Any] = {}


def _one_process(name: str, params: dict) -> Any:
    if name not in _ONE:
        _ONE[name] = check(compile_spec(build(resolve(name), params)), CheckOptions(workers=1))
    return _ONE[name]


# the workers' kinds: exact (whole states, owned by Model.owner: the spec's locality or
# the whole hash), exact until big (here 30 states) and then fingerprints (owned as
# before), fingerprints (owned by the spec's locality, else by the fingerprints)
WORKER_MODES = {
    "exact": ({"exact": True}, None, True),
    "default": ({}, None, True),
    "exact-then-fingerprints": ({}, 30, False),
    "fingerprints": ({"exact": False}, None, False),
}


@pytest.mark.parametrize("mode", list(WORKER_MODES))
@pytest.mark.parametrize(("name", "params"), PARALLEL, ids=[n for n, _ in PARALLEL])
def test_two_workers_find_what_one_finds(monkeypatch, name, params, mode):
    import checker.engine.search as search

    options, exact_until, exact_at_end = WORKER_MODES[mode]
    if exact_until is not None:
        monkeypatch.setattr(search, "_EXACT_UNTIL", exact_until)
    model = compile_spec(build(resolve(name), params))
    one = _one_process(name, params)
    two = check(model, CheckOptions(workers=2, **options))
    assert two.stats.workers == 2 and one.stats.workers == 1
    assert two.verdict is one.verdict
    if one.verdict is Verdict.HOLDS:
        assert (two.stats.distinct, two.stats.depth) == (one.stats.distinct, one.stats.depth)
        assert two.stats.generated == one.stats.generated
        assert two.stats.coverage == one.stats.coverage
        assert two.stats.exact is exact_at_end
    else:
        assert len(two.violation.trace) == len(one.violation.trace)
        assert two.violation.kind == one.violation.kind
        assert two.violation.trace.steps[0].state == one.violation.trace.steps[0].state


def test_three_workers():
    model = compile_spec(build(resolve("two-phase-commit"), {"nodes": 3}))
    result = check(model, CheckOptions(workers=3))
    assert (result.stats.distinct, result.stats.depth, result.stats.workers) == (288, 11, 3)


class Lopsided(Spec):
    """Four counters up to 5; a state costs 1 ms to expand if its hash() is even (the
    states one of two exact workers owns), nothing otherwise. Deadlocks where the first
    two counters reach 4 and 3, if `stuck`."""

    def __init__(self, stuck: bool = False):
        self.stuck = stuck

    def init_states(self):
        yield State(a=0, b=0, c=0, d=0)

    @action
    def up(self, s):
        if self.stuck and (s.a, s.b) == (4, 3):
            return
        if hash(s) % 2 == 0:
            time.sleep(0.001)
        for name, value in s.items():
            if value < 5:
                yield s.set(**{name: value + 1})


def test_a_worker_with_nothing_left_takes_half_of_what_another_has_left():
    one = check(Lopsided(), CheckOptions(workers=1, check_deadlock=False))
    two = check(Lopsided(), CheckOptions(workers=2, exact=True, check_deadlock=False))
    assert (one.stats.distinct, one.stats.generated, one.stats.depth) == (1296, 4321, 21)
    assert (two.stats.distinct, two.stats.generated, two.stats.depth) == (1296, 4321, 21)
    assert two.stats.coverage == one.stats.coverage
    # the worker owning the cheap states expands a share of the costly ones
    assert two.stats.lent > 0
    assert "lent to even out levels" in "\n".join(format_stats(two.stats))


class LopsidedStutters(Lopsided):
    """Lopsided, each state also stepping to an equal copy of itself: a stutter, which
    `moves` would reject if it were checked."""

    @action
    def stay(self, s):
        yield s.set(a=s.a)  # equal, not identical

    @step_invariant
    def moves(self, s, t):
        return t != s


@pytest.mark.parametrize("exact", [True, False])
def test_a_lent_state_stutters_as_an_owned_one(exact):
    """The worker a state is lent to skips its stutters (no step invariant on them, and
    nothing shipped back to the owner), as the owner and one process do."""
    one = check(LopsidedStutters(), CheckOptions(workers=1, check_deadlock=False))
    two = check(LopsidedStutters(), CheckOptions(workers=2, exact=exact, check_deadlock=False))
    assert one.verdict is two.verdict is Verdict.HOLDS, two.violation
    assert (two.stats.distinct, two.stats.generated) == (1296, 4321 + 1296)
    assert two.stats.lent > 0


@pytest.mark.parametrize("exact", [True, False])
def test_a_deadlock_in_a_lent_state_has_the_shortest_trace(exact):
    one = check(Lopsided(stuck=True), CheckOptions(workers=1))
    two = check(Lopsided(stuck=True), CheckOptions(workers=2, exact=exact))
    assert one.violation.kind == two.violation.kind == "deadlock"
    assert len(one.violation.trace) == len(two.violation.trace) == 7
    last = two.violation.trace.steps[-1].state
    assert (last.a, last.b) == (4, 3)


class Breaks(Spec):
    """Counts up; the step from 5 raises."""

    def init_states(self):
        yield State(n=0)

    @action
    def up(self, s):
        if s.n == 5:
            raise RuntimeError("boom")
        yield s.set(n=s.n + 1)


def test_a_spec_error_in_a_worker_is_reported_with_its_place():
    result = check(Breaks(), CheckOptions(workers=2))
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == "action up"
    assert "boom" in result.error.message


class Token:
    """Hashable by value (so a worker can own and ship it), but not a state value."""

    def __init__(self, k: int):
        self.k = k

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other.k == self.k

    def __hash__(self) -> int:
        return self.k


class ShipsABadPart(Spec):
    """One step from the initial state, to a state holding a `Token`."""

    def __init__(self, start: int):
        self.start = start

    def init_states(self):
        yield State(n=self.start, box=0)

    @action
    def put(self, s):
        if s.box == 0:
            yield s.set(box=Token(s.n))


def test_an_invalid_successor_shipped_to_its_owner_names_its_action():
    """The owner validates what it is shipped; the coordinator finds the step again."""
    # a start whose successor is owned by the other of two exact workers
    start = next(
        k for k in range(64) if hash(State(n=k, box=0)) % 2 != hash(State(n=k, box=Token(k))) % 2
    )
    result = check(ShipsABadPart(start), CheckOptions(workers=2, check_deadlock=False))
    assert (result.verdict, result.stats.workers) == (Verdict.SPEC_ERROR, 2)
    assert result.error.where == "action put"
    assert "invalid state" in result.error.message
    assert "box" in result.error.message and "Token" in result.error.message
    assert len(result.error.trace.steps) == 1  # the trace to the step's start


class WideAndSlow(Spec):
    """One wide level (400 states) whose expansion takes 5 ms a state: about a second
    for each of two workers."""

    def init_states(self):
        yield State(i=-1, done=False)

    @action
    def fan_out(self, s):
        if s.i == -1:
            for i in range(400):
                yield s.set(i=i)

    @action
    def finish(self, s):
        if s.i >= 0 and not s.done:
            time.sleep(0.005)
            yield s.set(done=True)


def test_a_time_limit_stops_workers_in_the_middle_of_a_level():
    result = check(WideAndSlow(), CheckOptions(workers=2, time_limit=0.3, check_deadlock=False))
    assert result.verdict is Verdict.INCOMPLETE
    assert "time limit" in result.incomplete_reason
    # the 400 states of level 2 each make one step: far from all of them were expanded
    assert 401 <= result.stats.distinct < 401 + 300
    # left: the level's unexpanded states and the new ones found so far
    assert 250 <= result.stats.queue <= 400


def test_workers_report_progress_in_the_middle_of_a_level():
    events = []
    options = CheckOptions(workers=2, progress_interval=0.1, check_deadlock=False)
    result = check(WideAndSlow(), options, observer=events.append)
    assert result.stats.distinct == 801
    during = [e for e in events if isinstance(e, Progress) and 401 < e.distinct < 801]
    assert during, "no progress line while the wide level was being expanded"
    assert all(e.queue < 400 for e in during)


def _choose_at_once(monkeypatch, **bars: float):
    """The automatic choice decides at its first look at the clock, on two cores, with
    states costly enough and enough left to do; `bars` sets others (`_WORTH=0.0`: any
    gain will do). Returns the search module."""
    import checker.engine.search as search

    bars = {"_PROBE_SECONDS": 0.0, "_PARALLEL_FROM": 0.0, "_HANDOVER_WORK": 0.0, **bars}
    for name, value in bars.items():
        monkeypatch.setattr(search, name, value)
    monkeypatch.setattr(search, "available_cores", lambda: 2)
    return search


def test_no_workers_when_the_predicted_gain_is_too_small(monkeypatch):
    # costly enough per state, with enough left to do, but two cores give one's worth
    search = _choose_at_once(monkeypatch, _CONTENTION=2.0)
    result = check(PaxosLamport(), CheckOptions())
    assert (result.stats.workers, result.stats.distinct) == (1, 3921)
    monkeypatch.setattr(search, "_CONTENTION", 1.0)
    assert check(PaxosLamport(), CheckOptions()).stats.workers == 2


def test_no_workers_when_the_next_level_holds_too_little_work(monkeypatch):
    """Moving costs a fork and a barrier a level: a search near its end stays put."""
    search = _choose_at_once(monkeypatch, _WORTH=0.0, _HANDOVER_WORK=3600.0)
    result = check(PaxosLamport(), CheckOptions())
    assert (result.stats.workers, result.stats.distinct, result.stats.depth) == (1, 3921, 17)
    monkeypatch.setattr(search, "_HANDOVER_WORK", 0.0)
    assert check(PaxosLamport(), CheckOptions()).stats.workers == 2


def test_cheap_specs_stay_in_one_process():
    result = check(PaxosLamport(), CheckOptions())  # finishes within the probe
    assert result.stats.workers == 1


def test_options_that_need_one_process_keep_one():
    model = compile_spec(build(resolve("two-phase-commit"), {"nodes": 3}))
    for options in (
        CheckOptions(workers=2, max_depth=3),
        CheckOptions(workers=2, strategy=Strategy.DFS),
    ):
        assert check(model, options).stats.workers == 1


# --- exact until big, then fingerprints ------------------------------------------------


@pytest.mark.parametrize("strategy", [Strategy.BFS, Strategy.DFS])
def test_a_big_default_search_switches_to_fingerprints_midway(monkeypatch, strategy):
    import checker.engine.search as search

    monkeypatch.setattr(search, "_EXACT_UNTIL", 100)
    options = CheckOptions(workers=1, strategy=strategy)
    result = check(PaxosLamport(), options)
    assert (result.stats.distinct, result.stats.exact) == (3921, False)
    if strategy is Strategy.BFS:
        assert result.stats.depth == 17
    buggy = compile_spec(build(resolve("lockless-register-recheck"), {"nodes": 3}))
    violated = check(buggy, CheckOptions(workers=1))  # its path starts in the exact part
    assert len(violated.violation.trace) == 10
    small = check(buggy, CheckOptions(workers=1, max_states=50))
    assert small.stats.exact is True


@pytest.mark.parametrize("workers", [1, 2])
def test_whole_states_turn_to_fingerprints_when_they_hold_the_memory_budget(monkeypatch, workers):
    """The default looks at the memory every so many new states (here 500): with room
    to spare it keeps whole states; with none it turns to fingerprints at its next look."""
    import checker.engine.search as search

    monkeypatch.setattr(search, "_LOOK_EVERY", 500)
    roomy = check(PaxosLamport(), CheckOptions(workers=workers))
    assert (roomy.stats.distinct, roomy.stats.exact) == (3921, True)
    monkeypatch.setattr(search, "exact_budget", lambda: 1 << 20)  # less than Python holds
    tight = check(PaxosLamport(), CheckOptions(workers=workers))
    assert (tight.stats.distinct, tight.stats.depth, tight.stats.exact) == (3921, 17, False)
    assert tight.stats.generated == roomy.stats.generated


def test_the_memory_measures_are_plausible():
    from checker.engine.memory import exact_budget, physical_bytes, resident_bytes

    held = resident_bytes()
    assert 1 << 20 < held < physical_bytes()
    assert exact_budget() == physical_bytes() // 4
    big = [(i, str(i)) for i in range(1 << 18)]  # about 30 MB more
    assert resident_bytes() > held + (8 << 20) and big


def test_exact_and_fingerprints_can_be_forced():
    assert check(PaxosLamport(), CheckOptions(exact=False, workers=1)).stats.exact is False
    forced = check(PaxosLamport(), CheckOptions(exact=True, workers=1))
    assert (forced.stats.exact, forced.stats.distinct) == (True, 3921)


@pytest.mark.parametrize(("name", "params"), PARALLEL[:4], ids=[n for n, _ in PARALLEL[:4]])
def test_the_automatic_choice_hands_a_level_over_to_workers(monkeypatch, name, params):
    _choose_at_once(monkeypatch, _WORTH=0.0)  # always go parallel
    model = compile_spec(build(resolve(name), params))
    one = check(model, CheckOptions(workers=1))
    auto = check(model, CheckOptions())
    assert auto.verdict is one.verdict
    if one.verdict is Verdict.HOLDS:
        assert auto.stats.workers == 2
        assert re.fullmatch(
            r"\d+ us per state, shipping \d+% of a worker's time, predicted \d\.\dx",
            auto.stats.workers_reason,
        )
        assert (auto.stats.distinct, auto.stats.depth) == (one.stats.distinct, one.stats.depth)
        assert auto.stats.generated == one.stats.generated
    else:
        assert len(auto.violation.trace) == len(one.violation.trace)


@pytest.mark.parametrize("exact", [None, False], ids=["whole-states", "fingerprints"])
@pytest.mark.parametrize("symmetry", ["off", "on"])
def test_the_automatic_choice_predicts_a_gain_in_every_mode(monkeypatch, exact, symmetry):
    """The prediction is a real measurement whatever the search keys states by (a gain
    of 0 would mean it failed): two workers win, the counts stay."""
    _choose_at_once(monkeypatch, _WORTH=0.5)  # a worker may spend up to 70% shipping
    model = compile_spec(build(resolve("two-phase-commit"), {"nodes": 5}))
    options = {"exact": exact, "symmetry": symmetry}
    one = check(model, CheckOptions(workers=1, **options))
    auto = check(model, CheckOptions(**options))
    assert auto.stats.workers == 2, auto.stats.workers_reason
    gain = float(re.search(r"predicted (\d\.\d)x", auto.stats.workers_reason).group(1))
    assert gain >= 0.5
    assert (auto.stats.distinct, auto.stats.depth) == (one.stats.distinct, one.stats.depth)


@pytest.mark.parametrize(("name", "params"), [PARALLEL[1], PARALLEL[2]], ids=["holds", "violated"])
def test_handed_over_exact_workers_turn_to_fingerprints_when_big(monkeypatch, name, params):
    """Workers inherit a whole-state visited set, then turn it into fingerprints: the
    paths of states found before the handover are still followed back."""
    _choose_at_once(monkeypatch, _WORTH=0.0, _EXACT_UNTIL=60)
    one = _one_process(name, params)
    auto = check(compile_spec(build(resolve(name), params)), CheckOptions())
    assert (auto.verdict, auto.stats.workers, auto.stats.exact) == (one.verdict, 2, False)
    if one.verdict is Verdict.HOLDS:
        assert (auto.stats.distinct, auto.stats.generated) == (
            one.stats.distinct,
            one.stats.generated,
        )
    else:
        assert len(auto.violation.trace) == len(one.violation.trace)


@pytest.mark.parametrize(("name", "params"), [PARALLEL[1], PARALLEL[4]], ids=["holds", "violated"])
def test_exact_workers_renew_their_pickle_memos_without_losing_anything(monkeypatch, name, params):
    import checker.engine.parallel as parallel

    monkeypatch.setattr(parallel, "_MEMO_STATES", 1)  # a new memo for every batch
    one = _one_process(name, params)
    two = check(compile_spec(build(resolve(name), params)), CheckOptions(workers=2))
    assert (two.verdict, two.stats.workers) == (one.verdict, 2)
    if one.violation is None:
        assert (two.stats.distinct, two.stats.generated) == (
            one.stats.distinct,
            one.stats.generated,
        )
    else:  # (the workers stop at the end of the level)
        assert len(two.violation.trace) == len(one.violation.trace)


@pytest.mark.parametrize("exact", [False, True])
def test_workers_skip_stutters_and_find_a_step_violation(exact):
    """Stutters (equal or identical states) are skipped by workers as by one process;
    a broken step invariant is reported with the step that breaks it."""
    stutters = check(Stuttering(), CheckOptions(exact=exact, workers=2, check_deadlock=False))
    assert (stutters.verdict, stutters.stats.workers) == (Verdict.HOLDS, 2)
    assert (stutters.stats.distinct, stutters.stats.generated) == (3, 9)
    result = check(Jumps(), CheckOptions(exact=exact, workers=2, check_deadlock=False))
    assert (result.verdict, result.stats.workers) == (Verdict.VIOLATED, 2)
    assert (result.violation.property, result.violation.kind.value) == (
        "small_steps",
        "step invariant",
    )
    assert [step.state.n for step in result.violation.trace.steps] == [0, 1, 2, 3, 5]


class Jumps(Spec):
    """Counts up by one; from 3 it may also jump by two, which breaks small_steps."""

    def init_states(self):
        yield State(n=0)

    @action
    def up(self, s):
        if s.n < 6:
            yield s.set(n=s.n + 1)

    @action
    def jump(self, s):
        if s.n == 3:
            yield s.set(n=5)

    @step_invariant
    def small_steps(self, s, t):
        return t.n - s.n <= 1


def test_a_step_violation_at_the_level_where_workers_turn_to_fingerprints(monkeypatch):
    """The level that finds a broken step also takes the search past the switch to
    fingerprints: the violation is reported from the exact workers' keys."""
    import checker.engine.search as search

    monkeypatch.setattr(search, "_EXACT_UNTIL", 5)  # states: 1, 2, 3, 4, then 6
    result = check(Jumps(), CheckOptions(workers=2, check_deadlock=False))
    assert (result.verdict, result.stats.workers) == (Verdict.VIOLATED, 2)
    assert [step.state.n for step in result.violation.trace.steps] == [0, 1, 2, 3, 5]
