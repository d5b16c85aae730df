"""Lamport's Paxos.tla: TLC's state counts, its properties, and that they have teeth."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from checker import CheckOptions, Verdict, check, compile_spec
from specs.paxos_lamport import PaxosLamport

PROPERTIES = (
    "type_ok",
    "max_bal_covers_vote",
    "last_vote_is_a_vote",
    "messages_consistent",
    "at_most_one_chosen",
)


def test_tiny_model_matches_tlc():
    """MCPaxosTiny (ballots 0..1): TLC reports 3,921 distinct states, depth 17."""
    result = check(PaxosLamport(nodes=3, values=2, ballots=2))
    assert result.verdict is Verdict.HOLDS, result.violation
    assert result.stats.distinct == 3921
    assert result.stats.depth == 17
    assert result.stats.witnessed == ("some_value_chosen",)


@pytest.mark.slow
def test_small_model_matches_tlc():
    """MCPaxosSmall (ballots 0..2): 185,369 distinct states, depth 25 (about 30 s)."""
    result = check(PaxosLamport(nodes=3, values=2, ballots=3))
    assert result.verdict is Verdict.HOLDS, result.violation
    assert result.stats.distinct == 185369
    assert result.stats.depth == 25


def test_properties_are_declared():
    info = PaxosLamport.spec_info()
    assert [a.name for a in info.actions] == ["Phase1a", "Phase1b", "Phase2a", "Phase2b"]
    assert tuple(p.name for p in info.invariants) == PROPERTIES
    assert [p.name for p in info.step_invariants] == ["chosen_never_changes", "refines_voting"]
    assert [p.name for p in info.reachables] == ["some_value_chosen"]


def test_parameters_and_quorums():
    spec = PaxosLamport()
    assert spec.describe_params() == {"nodes": 3, "values": 2, "ballots": 2}
    assert spec.value_set == ("v1", "v2")
    assert set(spec.quorums) == {frozenset({0, 1}), frozenset({0, 2}), frozenset({1, 2})}
    assert len(PaxosLamport(nodes=5).quorums) == 10  # every 3 of 5
    with pytest.raises(ValueError):
        PaxosLamport(ballots=0)


def test_initial_state_and_first_steps():
    spec = PaxosLamport()
    model = compile_spec(spec)
    [init] = model.initial()
    assert init.maxBal == (-1, -1, -1)
    assert init.maxVBal == (-1, -1, -1)
    assert init.maxVal == (None, None, None)
    assert init.msgs == frozenset()
    steps = [(str(model.label(tr)), tr.target) for tr in model.successors(init)]
    assert [label for label, _ in steps] == ["Phase1a(b=0)", "Phase1a(b=1)"]
    after = steps[1][1]
    assert after.msgs == {("1a", 1)}
    labels = [(model.label(tr).name, tr.params) for tr in model.successors(after)]
    assert labels == [
        ("Phase1a", (("b", 0),)),
        ("Phase1a", (("b", 1),)),  # resending: a stuttering step, as in TLA+
        ("Phase1b", (("a", 0), ("m", ("1a", 1)))),
        ("Phase1b", (("a", 1), ("m", ("1a", 1)))),
        ("Phase1b", (("a", 2), ("m", ("1a", 1)))),
    ]


def test_invariants_hold_on_a_hand_built_run():
    """Ballot 0 chooses v2 at acceptors 0 and 1; ballot 1 must then propose v2 too."""
    spec = PaxosLamport()
    model = compile_spec(spec)
    s = model.initial()[0]
    run = [
        ("Phase1a", {"b": 0}),
        ("Phase1b", {"a": 0, "m": ("1a", 0)}),
        ("Phase1b", {"a": 1, "m": ("1a", 0)}),
        ("Phase2a", {"b": 0, "v": "v2"}),
        ("Phase2b", {"a": 0, "m": ("2a", 0, "v2")}),
        ("Phase2b", {"a": 1, "m": ("2a", 0, "v2")}),
        ("Phase1a", {"b": 1}),
        ("Phase1b", {"a": 1, "m": ("1a", 1)}),
        ("Phase1b", {"a": 2, "m": ("1a", 1)}),
    ]
    for name, params in run:
        t = _step(model, s, name, params)
        assert t is not None, f"{name}{params} is disabled"
        assert model.check_invariants(t) is None
        assert model.check_step(s, t) is None
        s = t
    assert spec.chosen(s) == {"v2"}
    assert spec.some_value_chosen(s)
    assert _step(model, s, "Phase2a", {"b": 1, "v": "v1"}) is None
    assert _step(model, s, "Phase2a", {"b": 1, "v": "v2"}) is not None
    assert _step(model, s, "Phase1b", {"a": 1, "m": ("1a", 1)}) is None  # needs a higher ballot
    assert _step(model, s, "Phase2b", {"a": 1, "m": ("2a", 0, "v2")}) is None  # a joined 1


def _step(model, s, name, params):
    """The successor of `s` by the step labelled `name(params)`, or None if disabled."""
    wanted = (name, tuple(params.items()))
    for tr in model.successors(s):
        label = model.label(tr)
        if (label.name, label.params) == wanted:
            return tr.target
    return None


def test_few_steps_leave_their_workers_locality():
    """Owned by their 1a and 2a messages, most successors stay with their parent's
    worker (by the whole state, about half would move); two workers find TLC's counts."""
    spec = PaxosLamport(ballots=2)
    model = compile_spec(spec)
    frontier = list(model.initial())
    seen, steps, moved = set(frontier), 0, 0
    while frontier:
        s = frontier.pop()
        for tr in model.successors(s):
            if tr.target == s:
                continue  # a stutter reaches nothing
            steps += 1
            moved += spec.locality(tr.target) != spec.locality(s)
            if tr.target not in seen:
                seen.add(tr.target)
                frontier.append(tr.target)
    assert (len(seen), steps) == (3921, 9442)
    assert moved / steps < 0.2, moved
    result = check(PaxosLamport(ballots=2), CheckOptions(workers=2, exact=True))
    assert result.stats.by_locality
    assert (result.stats.distinct, result.stats.depth) == (3921, 17)


class _ProposeAnything(PaxosLamport):
    """Phase2a ignores the votes reported in 1b messages: unsafe."""

    name = "paxos-lamport-propose-anything"

    def _quorum_allows(self, q, replies):
        return set(self.value_set) if {m[1] for m in replies if m[1] in q} == q else None


class _SingletonQuorums(PaxosLamport):
    """Quorums that do not intersect: two values can be chosen."""

    name = "paxos-lamport-singletons"

    def __init__(self, **params):
        super().__init__(**params)
        self.quorums = tuple(frozenset({a}) for a in range(self.nodes))


def test_ignoring_reported_votes_is_caught():
    result = check(_ProposeAnything())
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.property == "messages_consistent"
    assert len(result.violation.trace) == 9


def test_non_intersecting_quorums_choose_two_values():
    result = check(_SingletonQuorums())
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.property == "at_most_one_chosen"
    assert len(result.violation.trace) == 8
    assert str(result.violation.trace.last.label).startswith("Phase2b(")


_ORDER_SCRIPT = """
import hashlib
from checker import compile_spec
from specs.paxos_lamport import PaxosLamport
model = compile_spec(PaxosLamport())
seen, frontier, out = set(), list(model.initial()), []
while frontier and len(seen) < 400:
    s = frontier.pop(0)
    for tr in model.successors(s):
        out.append(str(model.label(tr)))
        if tr.target not in seen:
            seen.add(tr.target)
            frontier.append(tr.target)
print(hashlib.sha256("|".join(out).encode()).hexdigest())
"""


def test_successor_order_does_not_depend_on_hash_seed():
    digests = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", _ORDER_SCRIPT], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1
