"""Counterexample diagrams: the DOT structure of sequence charts and step graphs.

Traces come from real checks of catalogue specs and tiny protocols; the assertions
read the DOT statements (lanes, message edges, markers, highlight), and when Graphviz
is installed, the rendered SVG must parse as XML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from checker import (
    CheckOptions,
    Spec,
    State,
    Verdict,
    action,
    check,
    fault,
    invariant,
    step_invariant,
)
from checker.actors import Protocol, receive, timer
from checker.report.diagrams import sequence_chart, step_graph, trace_diagram
from checker.report.render import dot_available, render_svg
from specs.echo import Echo
from specs.paxos import PaxosSmallQuorums
from specs.registers import LocklessRegister

WEIRD = '"<>{}|\\'  # everything that breaks a careless DOT or HTML-like label
needs_dot = pytest.mark.skipif(not dot_available(), reason="Graphviz `dot` is not installed")


class Beacon(Protocol):
    """n0 sends one Hello on a timer; n1 notes it. A restart forgets `seen` but not
    the ghost `heard`, so crash + restart after a Hello breaks `seen_is_heard`."""

    name = "beacon"
    default_network = "unordered"
    recovery = True
    ghosts = ("heard",)

    def __init__(self, **options):
        super().__init__(**options)
        self.nodes = 2

    def node_name(self, n):
        return f"n{n} {WEIRD}"

    def init_node(self, n):
        return State(seen=0, heard=0)

    @timer()
    def hello(self, n, local):
        if n != 0 or local.seen:
            return None
        return local.set(seen=1), [self.msg("Hello", 0, 1, note=WEIRD)]

    @receive("Hello")
    def on_hello(self, n, local, m):
        return local.set(seen=local.seen + 1, heard=local.heard + 1), [self.msg("Ack", 1, 0)]

    @invariant
    def seen_is_heard(self, s):
        return s.node[1].seen == s.node[1].heard


class EchoHeal(Echo):
    """Echo whose network may not heal, so the shortest trace is a partition and a heal."""

    name = "echo-heal"

    @step_invariant
    def never_heals(self, s, t):
        return not (s.cut is not None and t.cut is None)


class Scribble(Spec):
    """A fault, then a step writing more text into a field that needs escaping."""

    def __init__(self, faults: int = 1):
        self.faults = faults

    def init_states(self):
        yield State(text=WEIRD, smudged=False, n=0)

    @fault()
    def smudge(self, s):
        return None if s.smudged else s.set(smudged=True)

    @action()
    def scribble(self, s):
        return s.set(text=s.text + "&]", n=1) if s.smudged and s.n == 0 else None

    @invariant
    def untouched(self, s):
        return s.n == 0


def counterexample(spec, **options):
    result = check(spec, CheckOptions(**options))
    assert result.verdict is Verdict.VIOLATED
    return result.violation


def edges(dot):
    """(tail, head, attributes) of every visible edge statement."""
    found = re.findall(r"^  (\w+) -> (\w+) \[(.*)\];$", dot, re.MULTILINE)
    return [e for e in found if "style=invis" not in e[2]]


def message_edges(dot):
    """Edges from a send to a message text (`m<k>`), one per delivery or loss."""
    return [e for e in edges(dot) if re.fullmatch(r"m\d+", e[1]) and "constraint" in e[2]]


def rank(dot, row):
    return next(line for line in dot.splitlines() if line.startswith(f"  {{ rank=same; s{row} "))


def deliveries(spec, trace):
    return [s.label for s in trace.steps[1:] if s.label.name in spec.kinds_handled()]


EVERY_KIND = pytest.mark.parametrize(
    "make",
    [
        lambda: Beacon(faults=1),
        lambda: EchoHeal(nodes=3, partitions=1),
        Scribble,
        PaxosSmallQuorums,
    ],
    ids=["beacon", "echo-heal", "scribble", "paxos-small-quorums"],
)


@pytest.fixture(scope="module")
def paxos():
    spec = PaxosSmallQuorums()
    return spec, check(spec).violation


def test_paxos_chart_has_a_lane_per_node_and_an_arrow_per_delivery(paxos):
    spec, violation = paxos
    dot = sequence_chart(violation.trace, spec, violation.property)
    for i, n in enumerate(spec.node_ids()):
        assert re.search(rf"^  \{{ rank=same; hs .*; h{i} \[.*{spec.node_name(n)}", dot, re.M)
        assert f"h{i} -> c{i}_0 [arrowhead=none, weight=100" in dot  # the lifeline
    arrows = message_edges(dot)
    assert len(arrows) == len(deliveries(spec, violation.trace)) == 6
    assert all('constraint="false"' in attrs for _, _, attrs in arrows)
    assert "prepare b=0" in dot  # the timer step, a box on the proposer's lane
    assert "Promise bal=0 vbal=-1 vval=None" in dot
    assert "in flight:" in dot  # e.g. the Prepares that never reached A1 and A2


def test_the_last_step_is_highlighted_with_the_property(paxos):
    spec, violation = paxos
    dot = trace_diagram(violation.trace, spec, "agreement")
    last = len(violation.trace)
    row = rank(dot, last)
    assert "agreement violated" in row and 'penwidth="2.5"' in row
    *_, attrs = message_edges(dot)[-1]
    assert 'penwidth="2"' in attrs and "#c92a2a" in attrs
    assert "paxos-small-quorums: agreement violated" in dot.splitlines()[1]


def test_set_network_draws_each_delivery_from_the_one_send():
    violation = counterexample(Echo(network="set"))
    dot = sequence_chart(violation.trace, Echo(network="set"), violation.property)
    pong_arrows = [(tail, head) for tail, head, _ in message_edges(dot) if tail == "c1_1"]
    assert len(pong_arrows) == 2  # the Pong sent at step 1, delivered at steps 2 and 3
    assert "in flight" not in dot


def test_duplicate_is_marked_and_its_copy_delivered_from_the_marker():
    spec = Echo(duplicate=1)
    violation = counterexample(spec)
    dot = sequence_chart(violation.trace, spec, violation.property)
    assert "dup Pong" in rank(dot, 2)
    assert any(tail == "c1_2" for tail, _, _ in message_edges(dot))  # from the dup marker
    assert "Pong (dup)" in dot


def test_lost_message_ends_in_a_cross_without_an_arrowhead():
    spec = Echo(drop=1)
    violation = counterexample(spec)
    dot = sequence_chart(violation.trace, spec, violation.property)
    [(tail, head, attrs)] = message_edges(dot)
    assert tail == "c0_0" and 'style="dashed"' in attrs and 'arrowhead="none"' in attrs
    assert "\u00d7 Ping lost" in dot
    assert [e for e in edges(dot) if head in e[:2]] == [(tail, head, attrs)]  # no arrowhead
    assert "deadlock after 1 step" in rank(dot, 1)


def test_crash_and_undelivered_replies():
    spec = Echo(nodes=3, faults=1)
    violation = counterexample(spec)
    dot = sequence_chart(violation.trace, spec, violation.property)
    assert 'shape="octagon"' in rank(dot, 1) and ">crash<" in rank(dot, 1)
    assert re.search(r"^  c0_1 -> c0_2 \[.*style=dashed", dot, re.M)  # client down after it
    assert "in flight:</I> Pong \u2192 client" in dot


def test_partition_and_heal_are_drawn():
    spec = EchoHeal(nodes=3, partitions=1)
    violation = counterexample(spec)
    assert [s.label.name for s in violation.trace.steps[1:]] == ["partition", "heal"]
    dot = sequence_chart(violation.trace, spec, violation.property)
    assert "partition  A: client | B: s1, s2" in rank(dot, 1)
    assert rank(dot, 1).count("<B>A</B>") == 1 and rank(dot, 1).count("<B>B</B>") == 2
    assert "heal: partition over" in rank(dot, 2)
    assert 'tooltip="partitioned"' in rank(dot, 1)


def test_timer_crash_and_restart_with_text_that_needs_escaping():
    spec = Beacon(faults=1)
    violation = counterexample(spec, check_deadlock=False)
    names = [s.label.name for s in violation.trace.steps[1:]]
    assert names == ["hello", "Hello", "crash", "restart"]
    dot = sequence_chart(violation.trace, spec, violation.property)
    assert ">hello<" in rank(dot, 1)
    assert ">crash<" in rank(dot, 3) and ">restart<" in rank(dot, 4)
    assert "n1 &quot;&lt;&gt;{}|\\\\" in dot  # Graphviz reads a doubled backslash as one
    assert "Hello note='&quot;&lt;&gt;{}|\\\\\\\\'" in dot  # and show() is repr: doubled twice


def test_step_graph_shows_the_initial_state_then_changes():
    spec = LocklessRegister()
    violation = counterexample(spec)
    dot = trace_diagram(violation.trace, spec, violation.property)
    assert dot.startswith("digraph steps {")
    boxes = re.findall(r"^  s(\d+) \[label=<", dot, re.M)
    assert len(boxes) == len(violation.trace.steps)
    assert "V = 0" in dot and "X = None" in dot  # the whole initial state
    assert "V: 0 \u2192 1" in dot and "pc[0]: 'write_V' \u2192 'read_X'" in dot
    assert "read_V(p=0)" in dot
    last = len(violation.trace)
    assert re.search(rf"^  s{last} .*agreement violated", dot, re.M)


def test_step_graph_faults_escaping_and_a_last_step_without_a_property():
    violation = counterexample(Scribble(), check_deadlock=False)
    dot = step_graph(violation.trace)
    assert re.search(r'^  s0 -> s1 \[color="#d9480f", label=<.*smudge', dot, re.M)
    assert re.search(r'^  s1 \[label=<<TABLE [^>]*COLOR="#d9480f"', dot, re.M)
    assert "text = '&quot;&lt;&gt;{}|\\\\\\\\'" in dot and WEIRD not in dot
    assert "step 2 (last)" in dot


@EVERY_KIND
def test_diagrams_are_deterministic(make):
    first, second = make(), make()
    a = counterexample(first, check_deadlock=False)
    b = counterexample(second, check_deadlock=False)
    assert trace_diagram(a.trace, first, a.property) == trace_diagram(b.trace, second, b.property)


@needs_dot
@EVERY_KIND
def test_dot_renders_valid_svg(make):
    spec = make()
    violation = counterexample(spec, check_deadlock=False)
    svg = render_svg(trace_diagram(violation.trace, spec, violation.property))
    root = ET.fromstring(svg)
    text = "".join(root.itertext())
    assert root.tag.endswith("svg")
    assert f"{violation.property} violated" in text
    if isinstance(spec, Beacon):
        assert f"n1 {WEIRD}" in text
    if isinstance(spec, Scribble):
        assert f"text = {WEIRD!r}" in text
