"""The message-passing layer: network semantics and every fault kind, on small witnesses.

The echo counts are small enough to check by hand; e.g. unordered with one drop: the
three fault-free states, plus "Ping lost" and "Pong lost" = 5.
"""

from __future__ import annotations

import pytest

from checker import CheckOptions, State, Verdict, check
from checker.actors import Protocol, receive, timer
from checker.engine import ViolationKind
from checker.spec import SpecDefinitionError
from specs.echo import Echo
from specs.paxos import Paxos

NO_DEADLOCK = CheckOptions(check_deadlock=False)

# configuration -> (distinct states, depth) with deadlock checking off
ECHO_SPACES = [
    ({}, (3, 3)),
    ({"network": "fifo"}, (3, 3)),
    ({"network": "set"}, (4, 4)),
    ({"drop": 1}, (5, 3)),
    ({"network": "fifo", "drop": 1}, (5, 3)),
    ({"duplicate": 1}, (9, 5)),
    ({"network": "fifo", "duplicate": 1}, (9, 5)),
    ({"faults": 1}, (9, 4)),
    ({"partitions": 1}, (9, 5)),
    ({"nodes": 3}, (9, 5)),
    ({"nodes": 3, "network": "fifo"}, (9, 5)),
    ({"nodes": 3, "partitions": 1}, (45, 7)),
]


@pytest.mark.parametrize(("params", "expected"), ECHO_SPACES, ids=[str(p) for p, _ in ECHO_SPACES])
def test_echo_state_spaces(params, expected):
    result = check(Echo(**params), NO_DEADLOCK)
    assert (result.stats.distinct, result.stats.depth) == expected
    assert result.verdict in (Verdict.HOLDS, Verdict.VIOLATED)


@pytest.mark.parametrize(
    ("params", "prop", "length", "labels"),
    [
        ({"drop": 1}, "deadlock", 1, ["drop(kind='Ping', src=0, dst=1)"]),
        ({"faults": 1}, "deadlock", 1, ["crash(n=1)"]),
        (
            {"network": "set"},
            "no_duplicate_pong",
            3,
            ["Ping(src=0, dst=1)", "Pong(src=1, dst=0)", "Pong(src=1, dst=0)"],
        ),
        (
            {"duplicate": 1},
            "no_duplicate_pong",
            4,
            [
                "Ping(src=0, dst=1)",
                "duplicate(kind='Pong', src=1, dst=0)",
                "Pong(src=1, dst=0)",
                "Pong(src=1, dst=0)",
            ],
        ),
        ({"network": "fifo", "duplicate": 1}, "no_duplicate_pong", 4, None),
    ],
)
def test_each_fault_kind_shows_up_in_traces(params, prop, length, labels):
    result = check(Echo(**params))
    v = result.violation
    assert (v.property, len(v.trace)) == (prop, length)
    if labels is not None:
        assert [str(s.label)[: len(lbl)] for s, lbl in zip(v.trace.steps[1:], labels)] == labels
    faults = [s.label for s in v.trace.steps[1:] if s.label.is_fault]
    assert len(faults) == (0 if params.get("network") == "set" else 1)


def test_deadlock_explanation_names_who_waits():
    v = check(Echo(nodes=3, drop=1)).violation
    assert v.kind is ViolationKind.DEADLOCK
    assert v.message.startswith("the client waits forever for s")


def test_partition_holds_messages_until_heal():
    result = check(Echo(partitions=1), NO_DEADLOCK)
    fired = {c.name: c.fired for c in result.stats.coverage}
    assert fired["partition"] > 0 and fired["heal"] > 0
    trace_spec = Echo(partitions=1)
    s = next(iter(trace_spec.init_states()))
    cut = s.set(cut=frozenset({0}))
    assert not trace_spec._can_deliver(cut, trace_spec.msg("Ping", 0, 1))
    assert trace_spec._can_deliver(s, trace_spec.msg("Ping", 0, 1))


def test_coverage_reports_which_fault_kinds_fired():
    result = check(Echo(nodes=3, drop=1, duplicate=1, partitions=1, faults=1), NO_DEADLOCK)
    fired = {c.name: (c.fired, c.is_fault) for c in result.stats.coverage}
    for kind in ("crash", "drop", "duplicate", "partition"):
        assert fired[kind][0] > 0 and fired[kind][1], kind
    assert "restart" not in fired  # crash-stop: no restarts in the model


def test_faults_with_zero_budget_are_left_out():
    names = {c.name for c in check(Echo()).stats.coverage}
    assert names == {"Ping", "Pong"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"network": "set", "drop": 1}, "set network already loses"),
        ({"network": "carrier-pigeon"}, "unknown network"),
        ({"drop": -1}, "drop must be a whole number"),
        ({"nodes": 1}, "nodes must be at least 2"),
    ],
)
def test_bad_fault_configurations_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        Echo(**params)


class Amnesiac(Protocol):
    """One node counts its own ticks; `kept` survives a restart, `lost` does not."""

    recovery = True
    durable = ("kept",)

    def __init__(self, **options):
        super().__init__(**options)
        self.nodes = 1

    def init_node(self, n):
        return State(kept=0, lost=0)

    @timer()
    def tick(self, n, local):
        if local.kept >= 1:
            return None
        return local.set(kept=local.kept + 1, lost=local.lost + 1)


def test_crash_recovery_keeps_only_durable_fields():
    result = check(Amnesiac(faults=1), NO_DEADLOCK)
    # (kept, lost, down): 00u 11u 00d 11d 00u' 11u' 10u' (restart after the tick) = 7
    assert result.stats.distinct == 7
    spec = Amnesiac(faults=1)
    s0 = next(iter(spec.init_states()))
    ticked = s0.set(node=(State(kept=1, lost=1),))
    crashed = ticked.set(down=(True,))
    restarted = spec.restart(crashed, 0)
    assert restarted.node[0] == State(kept=1, lost=0)
    assert restarted.down == (False,)


def test_handler_results_are_validated():
    class Bad(Protocol):
        def __init__(self, **options):
            super().__init__(**options)
            self.nodes = 1

        def init_node(self, n):
            return State(x=0), [("not", "a", "message")]

    with pytest.raises(TypeError, match="not a message"):
        list(Bad().init_states())


def test_message_kinds_must_be_identifiers():
    with pytest.raises(SpecDefinitionError, match="identifier"):
        receive("1a")


def test_handlers_compile_to_one_action_per_kind():
    names = [a.name for a in Paxos.spec_info().actions]
    for kind in ("Prepare", "Promise", "Accept", "Accepted", "prepare", "crash", "drop"):
        assert kind in names


# Paxos: (parameters) -> (distinct, depth); every configuration must hold
PAXOS_SPACES = [
    ({"proposers": 1, "ballots": 1}, (183, 13)),
    ({"proposers": 1, "ballots": 1, "network": "unordered"}, (183, 13)),
    ({"proposers": 1, "ballots": 1, "network": "fifo"}, (129, 13)),
    ({"proposers": 1, "ballots": 1, "network": "unordered", "drop": 1}, (663, 13)),
    ({"proposers": 1, "ballots": 1, "network": "unordered", "duplicate": 1}, (1980, 14)),
    ({"proposers": 1, "ballots": 1, "partitions": 1}, (3111, 15)),
    ({"proposers": 1, "ballots": 1, "faults": 1}, (732, 14)),
    ({"nodes": 1, "proposers": 1, "ballots": 2, "learners": 0}, (25, 9)),
]


@pytest.mark.parametrize(
    ("params", "expected"), PAXOS_SPACES, ids=[str(p) for p, _ in PAXOS_SPACES]
)
def test_paxos_small_configurations(params, expected):
    result = check(Paxos(**params))
    assert result.verdict is Verdict.HOLDS
    assert (result.stats.distinct, result.stats.depth) == expected
    assert "some_value_chosen" in result.stats.witnessed


def test_paxos_default_configuration():
    result = check(Paxos(nodes=3))
    assert result.verdict is Verdict.HOLDS
    assert (result.stats.distinct, result.stats.depth) == (33489, 25)


@pytest.mark.slow
@pytest.mark.parametrize(("faults", "expected"), [(1, (133956, 26)), (2, (234423, 27))])
def test_paxos_with_crashes(faults, expected):
    result = check(Paxos(nodes=3, faults=faults))
    assert result.verdict is Verdict.HOLDS
    assert (result.stats.distinct, result.stats.depth) == expected


class Gossip(Protocol):
    """Node 0 offers values 0..2 by a timer and tells node 1; node 1 keeps the highest.
    Counts its handler's and its timer domain's calls, per (message, local) and
    (node, local)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.nodes = 2
        self.handled: list[tuple] = []
        self.asked: list[tuple] = []

    def init_node(self, n):
        return State(best=-1)

    def offers(self, n, local):
        self.asked.append((n, local))
        return range(3) if n == 0 else ()

    @timer(v=offers)
    def offer(self, n, local, v):
        if v <= local.best:
            return None
        return local.set(best=v), [self.msg("Tell", n, 1, v=v)]

    @receive("Tell")
    def on_tell(self, n, local, m):
        self.handled.append((m, local))
        return local.set(best=max(local.best, m.v))


def test_handlers_and_timer_domains_are_called_once_per_message_and_local_state():
    """The set network keeps every message, so each state offers the handler every
    message sent so far: the same (message, local) pairs recur, and so do (node, local)
    pairs for the timer's domain. Each is worked out once; the counts are unchanged."""
    spec = Gossip(network="set")
    result = check(spec, NO_DEADLOCK)
    assert (result.stats.distinct, result.stats.depth) == (20, 5)
    assert result.verdict is Verdict.HOLDS
    # (before, 36 handler calls for 12 pairs, and 40 domain calls for 8)
    assert len(spec.handled) == len(set(spec.handled)) == 12
    assert len(spec.asked) == len(set(spec.asked)) == 8
    # a fresh instance starts afresh: what one instance learnt is its own
    again = Gossip(network="set")
    assert check(again, NO_DEADLOCK).stats.distinct == 20
    assert len(again.handled) == 12
