"""The protocol catalogue: every spec and known-buggy variant `check` can run by name."""

from __future__ import annotations

from checker.catalogue import Entry, holds, violates
from specs.echo import Echo
from specs.paxos import (
    Paxos,
    PaxosAmnesia,
    PaxosIgnoreVotes,
    PaxosNoPromiseCheck,
    PaxosRecovery,
    PaxosSmallQuorums,
)
from specs.paxos_lamport import PaxosLamport
from specs.paxos_literal import PaxosLiteral
from specs.registers import CasRegister, LocklessRecheckRegister, LocklessRegister, LockRegister
from specs.two_phase import TwoPhase

_REGISTER = "shared-memory consensus"
_PAXOS = "Paxos"
_MESSAGES = "message passing"

CATALOGUE: tuple[Entry, ...] = (
    Entry(
        "lock-register",
        LockRegister,
        _REGISTER,
        "lock; read X; write own value if empty; release and decide",
        (holds(nodes=2), holds(nodes=3), violates("deadlock", 2, nodes=2, faults=1)),
    ),
    Entry(
        "cas-register",
        CasRegister,
        _REGISTER,
        "CAS(X, empty, v) then decide X; wait-free",
        (holds(nodes=2), holds(nodes=3, faults=1)),
    ),
    Entry(
        "lockless-register",
        LocklessRegister,
        _REGISTER,
        "version numbers over plain reads and writes (buggy)",
        (violates("agreement", 8, nodes=2), violates("agreement", 8, nodes=3)),
    ),
    Entry(
        "lockless-register-recheck",
        LocklessRecheckRegister,
        _REGISTER,
        "lock-less, re-reading V before writing X (still buggy)",
        (violates("agreement", 10, nodes=2), violates("agreement", 10, nodes=3)),
    ),
    Entry(
        "echo",
        Echo,
        _MESSAGES,
        "one client pings every server and waits for each Pong: a fault-model witness",
        (
            holds(nodes=3),
            holds(partitions=1),
            violates("no_duplicate_pong", 3, network="set"),
            violates("deadlock", 1, drop=1),
            violates("no_duplicate_pong", 4, duplicate=1),
            violates("deadlock", 1, faults=1),
        ),
    ),
    Entry(
        "paxos",
        Paxos,
        _PAXOS,
        "single-decree Paxos: proposers, acceptors, learners; majority quorums",
        (holds(nodes=3), holds(nodes=3, faults=1, slow=True)),
    ),
    Entry(
        "paxos-small-quorums",
        PaxosSmallQuorums,
        _PAXOS,
        "buggy: any one acceptor is a quorum (quorums need not intersect)",
        (violates("agreement", 8, nodes=3),),
    ),
    Entry(
        "paxos-no-promise-check",
        PaxosNoPromiseCheck,
        _PAXOS,
        "buggy: an acceptor votes without checking its promise",
        (violates("agreement", 14, nodes=3),),
    ),
    Entry(
        "paxos-ignore-votes",
        PaxosIgnoreVotes,
        _PAXOS,
        "buggy: a proposer ignores the votes reported in phase 1",
        (violates("agreement", 14, nodes=3),),
    ),
    Entry(
        "paxos-recovery",
        PaxosRecovery,
        _PAXOS,
        "acceptors crash and restart, keeping promise and vote on disk (the control case)",
        (holds(nodes=3, faults=1, slow=True),),
    ),
    Entry(
        "paxos-amnesia",
        PaxosAmnesia,
        _PAXOS,
        "buggy: acceptors restart after a crash with nothing on disk",
        (violates("agreement", 16, nodes=3, faults=1, slow=True),),
    ),
    Entry(
        "two-phase-commit",
        TwoPhase,
        _MESSAGES,
        "TwoPhase.tla transcribed; matches TLC's 288 states / depth 11 for 3 RMs",
        (holds(nodes=3), holds(nodes=6, slow=True)),
    ),
    Entry(
        "paxos-lamport",
        PaxosLamport,
        _PAXOS,
        "Lamport's Paxos.tla transcribed; matches TLC's 3,921 states / depth 17",
        (holds(nodes=3, values=2, ballots=2),),
    ),
    Entry(
        "paxos-lamport-literal",
        PaxosLiteral,
        _PAXOS,
        "Paxos.tla evaluated literally, nothing remembered: paxos-lamport's cross-check",
        (holds(nodes=3, values=2, ballots=2),),
    ),
)
