"""paxos-lamport-literal: a second, literal transcription of Paxos.tla, held against
paxos-lamport state by state, step by step and verdict by verdict."""

from __future__ import annotations

import pytest

from checker import CheckOptions, Verdict, check, compile_spec, with_item
from specs.paxos_lamport import PaxosLamport
from specs.paxos_literal import PaxosLiteral


def _graph(model) -> dict:
    """Every reachable state -> the sorted (label, successor) pairs of its steps."""
    frontier = list(model.initial())
    graph: dict = {}
    while frontier:
        s = frontier.pop()
        if s in graph:
            continue
        steps = sorted((str(model.label(tr)), tr.target) for tr in model.successors(s))
        graph[s] = steps
        frontier.extend(t for _, t in steps if t not in graph)
    return graph


@pytest.fixture(scope="module")
def models():
    return compile_spec(PaxosLamport()), compile_spec(PaxosLiteral())


@pytest.fixture(scope="module")
def graph(models):
    return _graph(models[1])


def test_tiny_model_matches_tlc():
    result = check(PaxosLiteral(), CheckOptions(workers=1))
    assert result.verdict is Verdict.HOLDS, result.violation
    assert (result.stats.distinct, result.stats.generated, result.stats.depth) == (3921, 22995, 17)
    assert result.stats.witnessed == ("some_value_chosen",)


def test_same_states_and_steps_as_paxos_lamport(models, graph):
    """Both transcriptions reach the same 3,921 states by the same labelled steps."""
    assert len(graph) == 3921
    assert _graph(models[0]) == graph


def _canonical(s) -> str:
    """A state's text with its messages in order (a frozenset's repr follows the hash seed)."""
    return repr((s.maxBal, s.maxVBal, s.maxVal, sorted(map(repr, s.msgs))))


def _mutants(s):
    """States near `s` that Paxos never reaches, each broken in one variable."""
    n = len(s.maxBal)
    for a in range(n):
        yield s.set(maxBal=with_item(s.maxBal, a, s.maxBal[a] - 1))
        yield s.set(maxVBal=with_item(s.maxVBal, a, s.maxVBal[a] + 1))
        yield s.set(maxVal=with_item(s.maxVal, a, "v2" if s.maxVal[a] != "v2" else "v1"))
    for m in sorted(s.msgs):
        yield s.set(msgs=s.msgs - {m})
    for m in (("2a", 1, "v1"), ("2b", 0, 1, "v2"), ("1b", 2, 1, 0, "v1"), ("1a", 7)):
        yield s.set(msgs=s.msgs | {m})


def test_same_verdicts_on_broken_states_and_steps(models, graph):
    """Invariants and step invariants agree on states and steps Paxos never makes: the
    first property each spec finds broken is the same one, for every mutant."""
    tuned, literal = models
    broken = agreed = 0
    for s in sorted(graph, key=_canonical)[::7]:
        for bad in _mutants(s):
            first = tuned.check_invariants(bad)
            second = literal.check_invariants(bad)
            assert (first and first.name) == (second and second.name), bad
            broken += first is not None
            step = tuned.check_step(s, bad)
            other = literal.check_step(s, bad)
            assert (step and step.name) == (other and other.name), (s, bad)
            agreed += 1
    assert broken > agreed // 2  # most mutants break an invariant: the check has teeth


class _LiteralProposeAnything(PaxosLiteral):
    """Phase2a ignores the votes reported in 1b messages: unsafe."""

    name = "paxos-lamport-literal-propose-anything"

    def _quorum_allows(self, s, q, b, v):
        return all(any(m[0] == "1b" and m[1] == a and m[2] == b for m in s.msgs) for a in q)


def test_ignoring_reported_votes_is_caught_as_by_paxos_lamport():
    """The same bug, planted in each transcription, gives the same shortest trace."""
    result = check(_LiteralProposeAnything(), CheckOptions(workers=1))
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.property == "messages_consistent"
    assert len(result.violation.trace) == 9  # as test_paxos_lamport's _ProposeAnything


@pytest.mark.slow
def test_small_model_on_two_workers():
    """MCPaxosSmall (ballots 0..2) on two workers: TLC's 185,369 states (about 30 s)."""
    result = check(PaxosLiteral(ballots=3), CheckOptions(workers=2))
    assert result.verdict is Verdict.HOLDS, result.violation
    assert (result.stats.distinct, result.stats.depth) == (185369, 25)


class _LiteralSingletonQuorums(PaxosLiteral):
    """Quorums that do not intersect: two values can be chosen."""

    name = "paxos-lamport-literal-singletons"

    def __init__(self, **params):
        super().__init__(**params)
        self.quorums = tuple(frozenset({a}) for a in self.acceptors)


def test_non_intersecting_quorums_choose_two_values_as_in_paxos_lamport():
    result = check(_LiteralSingletonQuorums(), CheckOptions(workers=1))
    assert result.verdict is Verdict.VIOLATED
    assert result.violation.property == "at_most_one_chosen"
    assert len(result.violation.trace) == 8  # as test_paxos_lamport's _SingletonQuorums
