"""The shared-memory consensus family: pinned state spaces and shortest counterexamples."""

from __future__ import annotations

import pytest

from checker import CheckOptions, Strategy, Verdict, check
from checker.engine import ViolationKind
from specs.registers import CasRegister, LocklessRecheckRegister, LocklessRegister, LockRegister

STRATEGIES = [Strategy.BFS, Strategy.DFS]


def whole_space(cls):
    """The same spec without its safety properties, to count every reachable state."""
    plain = {
        n: lambda self, *a: True
        for n in ("agreement", "validity", "decisions_match_register", "write_once")
    }
    return type(cls.__name__ + "Space", (cls,), plain)


# (spec, nodes, faults) -> (distinct states, depth) of the whole reachable space
SPACES = {
    (CasRegister, 2, 0): (5, 3),
    (CasRegister, 2, 1): (9, 3),
    (CasRegister, 3, 0): (13, 4),
    (CasRegister, 3, 1): (28, 4),
    (LockRegister, 2, 0): (15, 8),
    (LockRegister, 2, 1): (35, 8),
    (LockRegister, 3, 0): (46, 11),
    (LockRegister, 3, 1): (124, 11),
    (LocklessRegister, 2, 0): (43, 9),
    (LocklessRegister, 2, 1): (97, 9),
    (LocklessRegister, 3, 0): (443, 13),
    (LocklessRegister, 3, 1): (1147, 13),
    (LocklessRecheckRegister, 2, 0): (62, 11),
    (LocklessRecheckRegister, 2, 1): (149, 11),
    (LocklessRecheckRegister, 3, 0): (712, 16),
    (LocklessRecheckRegister, 3, 1): (2038, 16),
}


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.value)
@pytest.mark.parametrize(
    ("key", "expected"), SPACES.items(), ids=[f"{c.name}-n{n}-f{f}" for c, n, f in SPACES]
)
def test_state_space_is_pinned(key, expected, strategy):
    cls, nodes, faults = key
    result = check(
        whole_space(cls)(nodes=nodes, faults=faults),
        CheckOptions(strategy=strategy, check_deadlock=False),
    )
    assert result.verdict is Verdict.HOLDS
    distinct, depth = expected
    assert result.stats.distinct == distinct
    if strategy is Strategy.BFS:
        assert result.stats.depth == depth


@pytest.mark.parametrize("strategy", STRATEGIES, ids=lambda s: s.value)
@pytest.mark.parametrize(
    ("cls", "nodes", "faults"),
    [
        (CasRegister, 2, 0),
        (CasRegister, 3, 1),
        (CasRegister, 3, 2),
        (LockRegister, 2, 0),
        (LockRegister, 3, 0),
    ],
)
def test_safe_registers_hold(cls, nodes, faults, strategy):
    result = check(cls(nodes=nodes, faults=faults), CheckOptions(strategy=strategy))
    assert result.verdict is Verdict.HOLDS
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("cls", "nodes", "faults", "length"),
    [
        (LocklessRegister, 2, 0, 8),
        (LocklessRegister, 3, 0, 8),
        (LocklessRegister, 2, 1, 8),
        (LocklessRecheckRegister, 2, 0, 10),
        (LocklessRecheckRegister, 3, 0, 10),
    ],
)
def test_lockless_violates_agreement_in_shortest_trace(cls, nodes, faults, length):
    result = check(cls(nodes=nodes, faults=faults))
    assert result.verdict is Verdict.VIOLATED
    v = result.violation
    assert (v.property, v.kind, len(v.trace)) == ("agreement", ViolationKind.INVARIANT, length)
    final = v.trace.last.state
    assert len({d for d in final.decided if d is not None}) == 2
    assert "decided different values" in v.message


def test_lockless_trace_is_two_interleaved_writers():
    trace = check(LocklessRegister(nodes=2)).violation.trace
    names = [step.label.name for step in trace.steps[1:]]
    assert sorted(names) == sorted(["read_V", "write_V", "read_X", "write_X"] * 2)
    assert names[-2:] == ["write_X", "write_X"]


def test_recheck_variant_rereads_before_writing():
    trace = check(LocklessRecheckRegister(nodes=2)).violation.trace
    names = [step.label.name for step in trace.steps[1:]]
    assert names.count("recheck_V") == 2


@pytest.mark.parametrize("nodes", [2, 3])
def test_lock_holder_crash_blocks_the_others(nodes):
    result = check(LockRegister(nodes=nodes, faults=1))
    v = result.violation
    assert result.verdict is Verdict.VIOLATED
    assert v.kind is ViolationKind.DEADLOCK
    assert [str(s.label) for s in v.trace.steps[1:]] == ["acquire(p=0)", "crash(p=0)"]
    assert v.trace.steps[-1].label.is_fault
    assert "crashed while holding the lock" in v.message


def test_write_once_step_invariant_is_reported_when_agreement_is_not_checked():
    class OnlyWriteOnce(LocklessRegister):
        def agreement(self, s):
            return True

        def decisions_match_register(self, s):
            return True

    v = check(OnlyWriteOnce(nodes=2)).violation
    assert (v.property, v.kind, len(v.trace)) == ("write_once", ViolationKind.STEP_INVARIANT, 8)
    assert "X changed from" in v.message


@pytest.mark.parametrize("bad", [{"nodes": 0}, {"faults": -1}])
def test_register_refuses_bad_parameters(bad):
    with pytest.raises(ValueError):
        CasRegister(**bad)
