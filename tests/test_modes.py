"""Exact and fingerprint visited sets explore the same space and find the same traces."""

from __future__ import annotations

import pytest

from checker import CheckOptions, Strategy, check
from specs.echo import Echo
from specs.paxos import Paxos, PaxosSmallQuorums
from specs.paxos_lamport import PaxosLamport
from specs.registers import LocklessRecheckRegister, LockRegister

SPECS = [
    lambda: PaxosLamport(ballots=2),
    lambda: Paxos(proposers=1, ballots=1, faults=1),
    lambda: Echo(nodes=3, partitions=1),
    lambda: LockRegister(nodes=3, faults=1),
    lambda: LocklessRecheckRegister(nodes=3),
    lambda: PaxosSmallQuorums(),
]


@pytest.mark.parametrize("strategy", [Strategy.BFS, Strategy.DFS], ids=lambda s: s.value)
@pytest.mark.parametrize("make", SPECS, ids=lambda m: type(m()).__name__)
def test_exact_and_fingerprint_modes_agree(make, strategy):
    by_fp = check(make(), CheckOptions(strategy=strategy, exact=False))
    exact = check(make(), CheckOptions(strategy=strategy, exact=True))
    assert exact.verdict is by_fp.verdict
    assert exact.stats.distinct == by_fp.stats.distinct
    assert exact.stats.generated == by_fp.stats.generated
    assert exact.stats.collision_probability == 0.0
    if by_fp.violation is not None:
        assert len(exact.violation.trace) == len(by_fp.violation.trace)
        assert [s.fingerprint for s in exact.violation.trace.steps] == [
            s.fingerprint for s in by_fp.violation.trace.steps
        ]
