"""Symmetry reduction: fewer states, the same verdicts, real traces, a self-check that bites."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from checker import CheckOptions, Spec, Verdict, check
from checker.cli import main
from specs.echo import Echo
from specs.two_phase import TwoPhase

OFF = CheckOptions(check_deadlock=False)
ON = CheckOptions(check_deadlock=False, symmetry="on")
COUNT = CheckOptions(check_deadlock=False, symmetry="count")


@pytest.mark.parametrize(("nodes", "unreduced", "reduced"), [(3, 9, 6), (4, 27, 10), (5, 81, 15)])
def test_symmetry_reduces_echo(nodes, unreduced, reduced):
    assert check(Echo(nodes=nodes), OFF).stats.distinct == unreduced
    assert check(Echo(nodes=nodes), ON).stats.distinct == reduced


@pytest.mark.parametrize(
    "params",
    [
        {"nodes": 4},
        {"nodes": 4, "drop": 1},
        {"nodes": 4, "faults": 1},
        {"nodes": 4, "network": "fifo", "duplicate": 1},
        {"nodes": 4, "partitions": 1},
    ],
)
def test_one_reduced_state_per_symmetry_class(params):
    counted = check(Echo(**params), COUNT)
    reduced = check(Echo(**params), ON)
    assert counted.stats.orbits == reduced.stats.distinct < counted.stats.distinct


@pytest.mark.parametrize("exact", [False, True])
def test_traces_under_symmetry_are_real_and_shortest(exact):
    plain = check(Echo(nodes=3, duplicate=1))
    reduced = check(Echo(nodes=3, duplicate=1), CheckOptions(symmetry="on", exact=exact))
    assert reduced.verdict is Verdict.VIOLATED
    assert len(reduced.violation.trace) == len(plain.violation.trace) == 4


class ForgetfulEcho(Echo):
    """A wrong symmetry: renames the nodes but not who the client has heard from."""

    def permute(self, s, perm):
        right = super().permute(s, perm)
        return right.set(node=(s.node[0],) + right.node[1:])


def test_self_check_catches_a_wrong_permute():
    counted = check(ForgetfulEcho(nodes=4), COUNT)
    reduced = check(ForgetfulEcho(nodes=4), ON)
    assert counted.stats.orbits != reduced.stats.distinct


def test_cli_symmetry_check_and_refusal():
    ok = CliRunner().invoke(main, ["echo", "--nodes", "4", "--drop", "1", "--symmetry-check"])
    assert ok.exit_code == 0
    assert "81 states in 22 symmetry classes; reduced run: 22 states" in ok.output
    refused = CliRunner().invoke(main, ["cas-register", "--symmetry"])
    assert refused.exit_code == 2
    assert "declares no symmetry" in refused.output


@pytest.mark.parametrize(("nodes", "reduced"), [(3, 80), (4, 166)])
def test_two_phase_commit_resource_managers_are_interchangeable(nodes, reduced):
    counted = check(TwoPhase(nodes=nodes), COUNT)
    result = check(TwoPhase(nodes=nodes), ON)
    assert result.verdict is Verdict.HOLDS
    assert counted.stats.orbits == result.stats.distinct == reduced


def _by_permutations(cls):
    """The same spec without its node_signature: --symmetry tries every renaming."""
    return type("Brute" + cls.__name__, (cls,), {"node_signature": Spec.node_signature})


@pytest.mark.parametrize(("nodes", "reduced"), [(3, 80), (5, 314)])
def test_sorting_by_signature_finds_the_classes_that_every_renaming_finds(nodes, reduced):
    by_sorting = check(TwoPhase(nodes=nodes), ON)
    brute = check(_by_permutations(TwoPhase)(nodes=nodes), ON)
    assert by_sorting.stats.distinct == brute.stats.distinct == reduced
    assert by_sorting.stats.depth == brute.stats.depth


@pytest.mark.parametrize(
    "params",
    [
        {"nodes": 4, "drop": 1},
        {"nodes": 4, "network": "fifo", "duplicate": 1},
        {"nodes": 4, "partitions": 1},
    ],
)
def test_echo_signatures_sort_messages_and_cuts_into_the_same_classes(params):
    by_sorting = check(Echo(**params), ON)
    brute = check(_by_permutations(Echo)(**params), ON)
    assert by_sorting.stats.distinct == brute.stats.distinct
    assert by_sorting.stats.distinct == check(Echo(**params), COUNT).stats.orbits


class _BlurredTwoPhase(TwoPhase):
    """A signature that leaves out the TM's and the network's view: ties that are not
    (two prepared RMs, one already taken in by the TM, sort either way)."""

    def node_signature(self, s, rm):
        return (s.rmState[rm],)


class _NamingTwoPhase(TwoPhase):
    """A signature that names the node: sorting then renames nothing."""

    def node_signature(self, s, rm):
        return (rm, s.rmState[rm])


@pytest.mark.parametrize("spec", [_BlurredTwoPhase, _NamingTwoPhase])
def test_self_check_catches_a_signature_that_does_not_sort_classes(spec):
    counted = check(spec(nodes=4), COUNT)
    reduced = check(spec(nodes=4), ON)
    assert reduced.verdict is Verdict.HOLDS  # sound: only less reduced
    assert counted.stats.orbits == 166 < reduced.stats.distinct < counted.stats.distinct


def test_a_signature_that_raises_is_a_spec_error():
    class Broken(TwoPhase):
        def node_signature(self, s, rm):
            return s.nothing

    result = check(Broken(nodes=3), ON)
    assert result.verdict is Verdict.SPEC_ERROR
    assert result.error.where == "node_signature"
