"""Single-decree Paxos as a message-passing protocol, with known-buggy variants.

Nodes 0..N-1 are acceptors, then come the proposers, then the learners. Proposer k
owns the ballots b with b % proposers == k and proposes its own value
(`values[k % len(values)]`) unless phase 1 reports votes. Quorums are majorities of
the acceptors.

Phase 1: a proposer picks one of its ballots above its current one and sends
Prepare(b) to every acceptor; an acceptor that has promised nothing higher
promises b and answers Promise(b, vbal, vval) with its last vote.
Phase 2: with a quorum of promises the proposer sends Accept(b, v) to every acceptor,
v being the value of the highest vote reported (its own if none); an acceptor that
has not promised a higher ballot votes for (b, v) and tells the learners, Accepted(b, v).
A learner learns v once a quorum of acceptors report votes for the same (b, v).

Safety is judged from the acceptors' votes, not from what learners say: each acceptor
keeps a ghost history `votes` of every (ballot, value) it voted for (a ghost field: it
survives restarts, as it records the past rather than the node's memory), and a value is
chosen when a quorum voted for it in one ballot.
"""

from __future__ import annotations

from typing import Any, ClassVar

from checker import Memo, State, invariant, reachable
from checker.actors import Protocol, receive, timer

NONE = -1  # "no ballot": an acceptor that has neither promised nor voted


class Paxos(Protocol):
    """Single-decree Paxos: proposers, acceptors and learners over a message network."""

    name = "paxos"
    durable: ClassVar[tuple[str, ...]] = ("promised", "vbal", "vval")
    ghosts: ClassVar[tuple[str, ...]] = ("votes",)

    def __init__(
        self,
        nodes: int = 3,
        proposers: int = 2,
        values: int = 2,
        ballots: int = 2,
        learners: int = 1,
        **options: Any,
    ):
        super().__init__(**options)
        for key, value, least in (
            ("nodes", nodes, 1),
            ("proposers", proposers, 1),
            ("values", values, 1),
            ("ballots", ballots, 1),
            ("learners", learners, 0),
        ):
            if not isinstance(value, int) or value < least:
                raise ValueError(f"{key} must be a whole number >= {least}, got {value!r}")
        self.nodes, self.proposers, self.values = nodes, proposers, values
        self.ballots, self.learners = ballots, learners
        self.acceptor_ids = range(nodes)
        self.proposer_ids = range(nodes, nodes + proposers)
        self.learner_ids = range(nodes + proposers, nodes + proposers + learners)
        self.value_names = tuple(f"v{i}" for i in range(values))
        self.quorum = self.quorum_size()
        # what the properties derive from the acceptors' votes, once per value of them
        # (a few hundred values, met by many states)
        self._chosen: Memo = Memo(self._chosen_by)
        self._split_ballots: Memo = Memo(self._split_ballot)

    # --- configuration hooks that the buggy variants change -------------------------------

    def quorum_size(self) -> int:
        return self.nodes // 2 + 1

    def may_accept(self, local: State, ballot: int) -> bool:
        """Whether an acceptor may vote in `ballot` (not if it promised a higher one)."""
        return ballot >= local.promised

    def choose_value(self, local: State, own: str) -> str:
        """The value for phase 2: the highest-ballot vote reported, else the proposer's own."""
        votes = [(vbal, vval) for _, vbal, vval in local.promises if vbal != NONE]
        return max(votes)[1] if votes else own

    # --- nodes ------------------------------------------------------------------------------

    def node_ids(self) -> range:
        return range(self.nodes + self.proposers + self.learners)

    def node_name(self, n: int) -> str:
        if n in self.acceptor_ids:
            return f"A{n}"
        if n in self.proposer_ids:
            return f"P{n - self.nodes}"
        return f"L{n - self.nodes - self.proposers}"

    def init_node(self, n: int) -> State:
        if n in self.acceptor_ids:
            return State(promised=NONE, vbal=NONE, vval=None, votes=frozenset())
        if n in self.proposer_ids:
            return State(ballot=NONE, phase=0, promises=frozenset())
        return State(heard=frozenset(), learned=None)

    def crashable(self, n: int) -> bool:
        """Crashes hit acceptors: Paxos tolerates f crashed acceptors out of 2f+1."""
        return n in self.acceptor_ids

    def own_value(self, n: int) -> str:
        return self.value_names[(n - self.nodes) % self.values]

    def own_ballots(self, n: int, local: State) -> list[int]:
        k = n - self.nodes
        return [b for b in range(self.ballots) if b % self.proposers == k and b > local.ballot]

    # --- proposer ---------------------------------------------------------------------------

    @timer(b=lambda self, n, local: self.own_ballots(n, local) if n in self.proposer_ids else ())
    def prepare(self, n: int, local: State, b: int):
        """Start phase 1 with ballot b (a proposer may do so at any time)."""
        return (
            local.set(ballot=b, phase=1, promises=frozenset()),
            self.broadcast("Prepare", n, self.acceptor_ids, bal=b),
        )

    @receive("Promise")
    def on_promise(self, n: int, local: State, m: State):
        if local.phase != 1 or m.bal != local.ballot:
            return None
        promises = local.promises | {(m.src, m.vbal, m.vval)}
        if promises == local.promises:
            return None
        if len({a for a, _, _ in promises}) < self.quorum:
            return local.set(promises=promises)
        local = local.set(promises=promises, phase=2)
        v = self.choose_value(local, self.own_value(n))
        return local, self.broadcast("Accept", n, self.acceptor_ids, bal=m.bal, val=v)

    # --- acceptor ---------------------------------------------------------------------------

    @receive("Prepare")
    def on_prepare(self, n: int, local: State, m: State):
        if m.bal <= local.promised:
            return None
        reply = self.msg("Promise", n, m.src, bal=m.bal, vbal=local.vbal, vval=local.vval)
        return local.set(promised=m.bal), [reply]

    @receive("Accept")
    def on_accept(self, n: int, local: State, m: State):
        if not self.may_accept(local, m.bal) or (local.vbal, local.vval) == (m.bal, m.val):
            return None
        local = local.set(
            promised=max(local.promised, m.bal),
            vbal=m.bal,
            vval=m.val,
            votes=local.votes | {(m.bal, m.val)},
        )
        return local, self.broadcast("Accepted", n, self.learner_ids, bal=m.bal, val=m.val)

    # --- learner ----------------------------------------------------------------------------

    @receive("Accepted")
    def on_accepted(self, n: int, local: State, m: State):
        heard = local.heard | {(m.src, m.bal, m.val)}
        if heard == local.heard:
            return None
        backers = {a for a, b, v in heard if (b, v) == (m.bal, m.val)}
        learned = m.val if len(backers) >= self.quorum else local.learned
        return local.set(heard=heard, learned=learned)

    # --- sharing states out among workers ------------------------------------------------

    def locality(self, s: State) -> tuple[State, ...]:
        """The proposers' records (see `Spec.locality`): a step changes one only when
        its proposer starts a ballot or hears a promise, so with --workers most
        successors stay with the worker that owns their state (with 3 nodes and 1
        fault, two workers ship 22,000-36,000 states instead of 120,000)."""
        return s.node[self.nodes : self.nodes + self.proposers]

    # --- properties -------------------------------------------------------------------------

    def votes(self, s: State) -> tuple[frozenset[tuple[int, str]], ...]:
        """Each acceptor's votes, (ballot, value) pairs, in acceptor order."""
        node = s.node
        return tuple([node[a].votes for a in self.acceptor_ids])

    def chosen(self, s: State) -> frozenset[str]:
        """Values a quorum of acceptors voted for in one ballot."""
        return self._chosen[self.votes(s)]

    def _chosen_by(self, votes: tuple[frozenset[tuple[int, str]], ...]) -> frozenset[str]:
        backers: dict[tuple[int, str], int] = {}
        for cast in votes:
            for vote in cast:
                backers[vote] = backers.get(vote, 0) + 1
        return frozenset(v for (_, v), count in backers.items() if count >= self.quorum)

    @invariant
    def agreement(self, s: State) -> bool:
        """At most one value is chosen."""
        chosen = self.chosen(s)
        assert len(chosen) <= 1, f"values {sorted(chosen)} are all chosen"
        return True

    @invariant
    def validity(self, s: State) -> bool:
        """Only a proposed value is chosen."""
        proposed = {self.own_value(p) for p in self.proposer_ids}
        bad = self.chosen(s) - proposed
        assert not bad, f"chosen but never proposed: {sorted(bad)}"
        return True

    @invariant
    def learned_is_chosen(self, s: State) -> bool:
        """A learner learns only a chosen value."""
        chosen = self.chosen(s)
        bad = [
            (self.node_name(n), s.node[n].learned)
            for n in self.learner_ids
            if s.node[n].learned is not None and s.node[n].learned not in chosen
        ]
        assert not bad, "learned a value that is not chosen: " + ", ".join(
            f"{who} learned {v!r}" for who, v in bad
        )
        return True

    @invariant
    def one_value_per_ballot(self, s: State) -> bool:
        """No two acceptors vote for different values in the same ballot."""
        problem = self._split_ballots[self.votes(s)]
        assert not problem, problem
        return True

    def _split_ballot(self, votes: tuple[frozenset[tuple[int, str]], ...]) -> str:
        """The first ballot with votes for two values ("" if none), acceptors in order."""
        seen: dict[int, str] = {}
        for cast in votes:
            for b, v in cast:
                if seen.setdefault(b, v) != v:
                    return f"ballot {b} has votes for {seen[b]!r} and {v!r}"
        return ""

    @reachable
    def some_value_chosen(self, s: State) -> bool:
        """Some value can be chosen (so the properties above are not vacuous)."""
        return bool(self.chosen(s))


class PaxosSmallQuorums(Paxos):
    """Buggy: any single acceptor is a quorum, so two quorums need not intersect."""

    name = "paxos-small-quorums"

    def quorum_size(self) -> int:
        return 1


class PaxosNoPromiseCheck(Paxos):
    """Buggy: an acceptor votes on Accept without checking the promise it made."""

    name = "paxos-no-promise-check"

    def may_accept(self, local: State, ballot: int) -> bool:
        return True


class PaxosIgnoreVotes(Paxos):
    """Buggy: a proposer ignores the votes reported in phase 1 and proposes its own value."""

    name = "paxos-ignore-votes"

    def choose_value(self, local: State, own: str) -> str:
        return own


class PaxosAmnesia(Paxos):
    """Buggy: acceptors may crash and restart, but keep nothing on disk."""

    name = "paxos-amnesia"
    recovery = True
    durable = ()


class PaxosRecovery(Paxos):
    """Acceptors may crash and restart, keeping their promise and vote on disk (safe)."""

    name = "paxos-recovery"
    recovery = True
