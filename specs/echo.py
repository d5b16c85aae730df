"""Echo: the smallest message-passing protocol, a witness for networks and faults.

Node 0 sends Ping to every other node; each answers Pong; node 0 records who answered.
Node 0 waits for everyone, so a lost message or a crashed node leaves it waiting
forever (a deadlock), and a duplicated message makes it hear a second Pong from the
same node (the `no_duplicate_pong` invariant). Under the `set` network a message can
be delivered again, so the duplicate shows up even without a duplication fault.
"""

from __future__ import annotations

from typing import Any

from checker import State, invariant, reachable, terminal
from checker.actors import Protocol, receive


class Echo(Protocol):
    """Node 0 pings every other node and waits for all their answers."""

    name = "echo"
    default_network = "unordered"

    def __init__(self, nodes: int = 2, **options: Any):
        super().__init__(**options)
        if not isinstance(nodes, int) or nodes < 2:
            raise ValueError(f"nodes must be at least 2 (a client and a server), got {nodes!r}")
        self.nodes = nodes

    def node_name(self, n: int) -> str:
        return "client" if n == 0 else f"s{n}"

    def init_node(self, n: int):
        if n == 0:
            pings = self.broadcast("Ping", 0, range(1, self.nodes))
            return State(answered=frozenset(), duplicate=False), pings
        return State(pinged=False)

    @receive("Ping")
    def on_ping(self, n: int, local: State, m: State):
        return local.set(pinged=True), [self.msg("Pong", n, m.src)]

    @receive("Pong")
    def on_pong(self, n: int, local: State, m: State):
        if m.src in local.answered:
            return local.set(duplicate=True)
        return local.set(answered=local.answered | {m.src})

    def symmetric_ids(self) -> range:
        return range(1, self.nodes)  # the servers are interchangeable; the client is not

    def permute(self, s: State, perm: dict[int, int]) -> State:
        rename = {0: 0, **perm}
        nodes = [None] * self.nodes
        for n, local in enumerate(s.node):
            nodes[rename[n]] = local
        client = nodes[0]
        nodes[0] = client.set(answered=frozenset(rename[n] for n in client.answered))
        moved = [m.set(src=rename[m.src], dst=rename[m.dst]) for m in self.net.messages(s.net)]
        counts = self.net.counts(s.net)
        net = self.net.add(
            self.net.empty(),
            [m2 for m, m2 in zip(self.net.messages(s.net), moved) for _ in range(counts[m])],
        )
        down = [False] * self.nodes
        for n, d in enumerate(s.down):
            down[rename[n]] = d
        cut = s.cut
        if cut is not None:
            cut = frozenset(rename[n] for n in cut)
            if 0 not in cut:  # keep the canonical side: the one holding node 0
                cut = frozenset(range(self.nodes)) - cut
        return s.set(node=tuple(nodes), net=net, down=tuple(down), cut=cut)

    def node_signature(self, s: State, n: int) -> tuple:
        """All a state says about server n, naming no server: its local state, whether it
        is down, heard from, on the client's side of a cut, and its messages in flight
        (kind, whether n sent it, copies); so --symmetry renames by sorting."""
        counts = self.net.counts(s.net)
        flight = sorted(
            (m.kind, m.src == n, counts[m]) for m in self.net.messages(s.net) if n in (m.src, m.dst)
        )
        cut = s.cut
        side = cut is not None and (n in cut) == (0 in cut)
        return (s.node[n], s.down[n], n in s.node[0].answered, side, tuple(flight))

    @terminal
    def quiescent(self, s: State) -> bool:
        """Done when the client has heard from every server; anything else is waiting."""
        return len(s.node[0].answered) == self.nodes - 1

    def explain_deadlock(self, s: State) -> str:
        missing = sorted(set(range(1, self.nodes)) - s.node[0].answered)
        return "the client waits forever for " + ", ".join(self.node_name(n) for n in missing)

    @invariant
    def no_duplicate_pong(self, s: State) -> bool:
        """The client never hears twice from the same server."""
        assert not s.node[0].duplicate, "the client received a second Pong from one server"
        return True

    @invariant
    def answers_come_from_pinged_servers(self, s: State) -> bool:
        answered = s.node[0].answered
        return all(s.node[n].pinged for n in answered)

    @reachable
    def everyone_answered(self, s: State) -> bool:
        return len(s.node[0].answered) == self.nodes - 1
