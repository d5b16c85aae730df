"""Workers owning states by a part of them (`Spec.locality`), and by their symmetry class."""

from __future__ import annotations

import pytest

from checker import CheckOptions, Spec, State, Verdict, action, check, compile_spec
from checker.loader import build, resolve
from checker.report.text import format_stats
from specs.paxos import Paxos
from specs.two_phase import TwoPhase


class PaxosWhole(Paxos):
    """Paxos with its states owned by their whole hash, as specs without locality are."""

    name = "paxos-whole"
    locality = Spec.locality  # type: ignore[assignment]


@pytest.mark.parametrize("exact", [True, False])
def test_owning_states_by_locality_ships_fewer_and_finds_the_same(exact):
    one = check(Paxos(nodes=3), CheckOptions(workers=1))
    local = check(Paxos(nodes=3), CheckOptions(workers=2, exact=exact))
    whole = check(PaxosWhole(nodes=3), CheckOptions(workers=2, exact=exact))
    for two in (local, whole):
        assert two.verdict is one.verdict is Verdict.HOLDS
        assert (two.stats.distinct, two.stats.generated, two.stats.depth) == (33489, 111256, 25)
        assert two.stats.coverage == one.stats.coverage
    assert local.stats.by_locality and not whole.stats.by_locality
    if exact:  # (fingerprint workers ship only the states new to their owners)
        # by the whole state about half of the successors belong to the other worker;
        # by the proposers' records a few percent (and the successors of lent states)
        assert whole.stats.shipped > 20000
        assert local.stats.shipped < whole.stats.shipped / 2
    summary = "\n".join(format_stats(local.stats))
    assert "Workers: 2 processes, owning states by the spec's locality;" in summary


class Counters(Spec):
    """Two counters up to 6; an error state where both are 5, if `bad`."""

    def __init__(self, bad: bool = False, home: str = "a"):
        self.bad, self.home = bad, home

    def init_states(self):
        yield State(a=0, b=0)

    @action
    def up(self, s):
        if self.bad and (s.a, s.b) == (5, 5):
            return
        if s.a < 6:
            yield s.set(a=s.a + 1)
        if s.b < 6:
            yield s.set(b=s.b + 1)

    def locality(self, s):
        if self.home == "raise" and s.a == 3:
            raise KeyError("no home")
        return 0 if self.home == "one" else s.a


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("home", ["a", "one"])
def test_any_locality_gives_the_counts_and_the_shortest_trace(exact, home):
    # "one": every state on the same worker; the other only expands what it is lent
    done = check(Counters(home=home), CheckOptions(workers=2, exact=exact, check_deadlock=False))
    assert (done.stats.distinct, done.stats.generated, done.stats.depth) == (49, 85, 13)
    stuck = check(Counters(bad=True, home=home), CheckOptions(workers=2, exact=exact))
    assert stuck.violation.kind == "deadlock"
    assert len(stuck.violation.trace) == 10
    assert stuck.violation.trace.steps[-1].state == State(a=5, b=5)


@pytest.mark.parametrize("exact", [True, False])
def test_a_locality_that_raises_is_a_spec_error(exact):
    result = check(Counters(home="raise"), CheckOptions(workers=2, exact=exact))
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == "locality"
    assert "KeyError" in result.error.message


def test_exact_workers_keep_one_state_per_symmetry_class():
    model = compile_spec(TwoPhase(nodes=5))
    one = check(model, CheckOptions(workers=1, exact=True, symmetry="on"))
    two = check(model, CheckOptions(workers=2, exact=True, symmetry="on"))
    assert (one.stats.distinct, one.stats.depth) == (two.stats.distinct, two.stats.depth)
    assert one.stats.distinct == 314


@pytest.mark.parametrize("exact", [True, False])
def test_symmetric_workers_replay_the_shortest_counterexample(exact):
    model = compile_spec(build(resolve("echo"), {"nodes": 3, "network": "set"}))
    one = check(model, CheckOptions(workers=1, symmetry="on"))
    two = check(model, CheckOptions(workers=2, exact=exact, symmetry="on"))
    assert one.violation.property == two.violation.property == "no_duplicate_pong"
    assert len(one.violation.trace) == len(two.violation.trace) == 3
    # (the counts at a violation depend on where in its level each search stopped)
    assert two.violation.trace.steps[0].state == one.violation.trace.steps[0].state
