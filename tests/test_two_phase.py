"""TwoPhase.tla: TLC's state counts, the properties, and that they catch a hasty TM."""

from __future__ import annotations

import pytest

from checker import Verdict, action, check, compile_spec
from specs.two_phase import TwoPhase

ACTIONS = [
    "TMRcvPrepared",
    "TMCommit",
    "TMAbort",
    "RMPrepare",
    "RMChooseToAbort",
    "RMRcvCommitMsg",
    "RMRcvAbortMsg",
]


def _holds(nodes: int):
    result = check(TwoPhase(nodes=nodes))
    assert result.verdict is Verdict.HOLDS, result.violation
    assert result.stats.witnessed == ("all_committed", "all_aborted")
    return result.stats


def test_three_rms_match_tlc():
    """TwoPhase.cfg (RM = {r1, r2, r3}): TLC reports 288 distinct, 1,146 total, depth 11."""
    stats = _holds(3)
    assert stats.distinct == 288
    assert stats.generated == 1146
    assert stats.depth == 11


@pytest.mark.parametrize(("nodes", "distinct", "depth"), [(1, 12, 5), (2, 56, 8), (4, 1568, 14)])
def test_small_counts(nodes, distinct, depth):
    stats = _holds(nodes)
    assert (stats.distinct, stats.depth) == (distinct, depth)


def test_five_rms():
    stats = _holds(5)
    assert (stats.distinct, stats.depth) == (8832, 17)


@pytest.mark.slow
def test_six_rms_match_the_modules_closing_remark():
    """TwoPhase.tla says six RMs give 50,816 reachable states (about 10 s here)."""
    stats = _holds(6)
    assert (stats.distinct, stats.depth) == (50816, 20)


@pytest.mark.slow
def test_seven_rms():
    """About a minute."""
    stats = _holds(7)
    assert (stats.distinct, stats.depth) == (296448, 23)


def test_declarations_and_parameters():
    info = TwoPhase.spec_info()
    assert [a.name for a in info.actions] == ACTIONS
    assert [p.name for p in info.invariants] == ["TPTypeOK", "TCConsistent"]
    assert [p.name for p in info.step_invariants] == ["refines_TCommit"]
    assert [p.name for p in info.reachables] == ["all_committed", "all_aborted"]
    assert TwoPhase.name == "two-phase-commit"
    assert TwoPhase().describe_params() == {"nodes": 3}
    with pytest.raises(ValueError):
        TwoPhase(nodes=0)


def test_initial_state_and_first_steps():
    model = compile_spec(TwoPhase())
    [init] = model.initial()
    assert init.rmState == ("working",) * 3
    assert init.tmState == "init"
    assert init.tmPrepared == frozenset()
    assert init.msgs == frozenset()
    labels = [str(model.label(tr)) for tr in model.successors(init)]
    assert labels == [
        "TMAbort",
        "RMPrepare(rm=0)",
        "RMPrepare(rm=1)",
        "RMPrepare(rm=2)",
        "RMChooseToAbort(rm=0)",
        "RMChooseToAbort(rm=1)",
        "RMChooseToAbort(rm=2)",
    ]


def test_a_commit_run_and_its_stutters():
    """All RMs prepare, the TM commits; receiving Commit again changes nothing."""
    spec = TwoPhase(nodes=2)
    model = compile_spec(spec)
    s = model.initial()[0]
    run = [
        ("RMPrepare", {"rm": 0}),
        ("RMPrepare", {"rm": 1}),
        ("TMRcvPrepared", {"rm": 1}),
        ("TMRcvPrepared", {"rm": 0}),
        ("TMCommit", {}),
        ("RMRcvCommitMsg", {"rm": 0}),
        ("RMRcvCommitMsg", {"rm": 1}),
    ]
    for name, params in run:
        if s.tmPrepared == {1}:
            assert spec.TMCommit(s) is None  # rm 0's Prepared not yet taken in
        t = getattr(spec, name)(s, **params)
        assert t is not None, f"{name}{params} is disabled"
        assert model.check_invariants(t) is None
        assert model.check_step(s, t) is None
        s = t
    assert s.rmState == ("committed", "committed")
    assert s.msgs == {("Prepared", 0), ("Prepared", 1), ("Commit",)}
    assert spec.all_committed(s)
    assert spec.TMAbort(s) is None
    assert spec.RMRcvAbortMsg(s, rm=0) is None
    assert spec.RMRcvCommitMsg(s, rm=0) == s  # a stuttering step: no deadlock
    assert spec.TMRcvPrepared(s, rm=0) is None  # the TM has decided


def test_an_rm_that_chose_to_abort_blocks_commit():
    spec = TwoPhase(nodes=2)
    s = spec.RMChooseToAbort(next(iter(spec.init_states())), rm=0)
    s = spec.RMPrepare(s, rm=1)
    s = spec.TMRcvPrepared(s, rm=1)
    assert spec.RMPrepare(s, rm=0) is None
    assert spec.TMRcvPrepared(s, rm=0) is None  # rm 0 never sent Prepared
    assert spec.TMCommit(s) is None
    s = spec.RMRcvAbortMsg(spec.TMAbort(s), rm=1)
    assert spec.all_aborted(s)


class _HastyCommit(TwoPhase):
    """Buggy: the TM commits without waiting for every RM's Prepared message."""

    name = "two-phase-commit-hasty"

    @action()
    def TMCommit(self, s):
        if s.tmState != "init":
            return None
        return s.set(tmState="committed", msgs=s.msgs | {("Commit",)})


class _HastyCommitInvariantsOnly(_HastyCommit):
    """The same bug checked against the state invariants alone (TLC's INVARIANT list)."""

    name = "two-phase-commit-hasty-invariants"

    def refines_TCommit(self, s, t):  # no tag: the step invariant is dropped
        return True


def test_hasty_commit_breaks_consistency():
    result = check(_HastyCommitInvariantsOnly())
    assert result.verdict is Verdict.VIOLATED
    violation = result.violation
    assert violation.property == "TCConsistent"
    assert len(violation.trace) == 3
    labels = [str(step.label) for step in violation.trace.steps[1:]]
    assert labels == ["RMChooseToAbort(rm=0)", "TMCommit", "RMRcvCommitMsg(rm=1)"]
    assert violation.trace.last.state.rmState == ("aborted", "committed", "working")


def test_hasty_commit_breaks_refinement_first():
    """With TC!TCSpec checked too, the first commit by an unprepared RM is caught."""
    result = check(_HastyCommit())
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.property == "refines_TCommit"
    assert len(result.violation.trace) == 2
    labels = [str(step.label) for step in result.violation.trace.steps[1:]]
    assert labels == ["TMCommit", "RMRcvCommitMsg(rm=0)"]
