"""Paxos consensus as Lamport specifies it in Paxos.tla (tlaplus/Examples).

A transcription of `specifications/PaxosHowToWinATuringAward/Paxos.tla`, checked
with the constants of its MCPaxos models: acceptors 0..nodes-1, values
'v1'..'v<values>', ballots 0..ballots-1 (MCPaxosTiny is ballots=2, MCPaxosSmall is
ballots=3) and, as quorums, the majorities of smallest size (for three acceptors,
the three pairs, exactly MCPaxos's `Quorum`).

Variables, one tuple slot per acceptor:

- `maxBal[a]`: the highest ballot `a` has joined, -1 at first;
- `maxVBal[a]`, `maxVal[a]`: `a`'s vote in its highest voted ballot, (-1, None)
  while `a` has not voted;
- `msgs`: every message ever sent, a frozenset that only grows. A message is a
  tuple whose first item is its type:

      ("1a", bal)
      ("1b", acc, bal, mbal, mval)
      ("2a", bal, val)
      ("2b", acc, bal, val)

Next is the disjunction of `Phase1a(b)`, `Phase2a(b, v)`, `Phase1b(a)` and
`Phase2b(a)`. Each action is one method that yields a `Choice` per witness of its
existentials, in a fixed order (acceptors, then the received message `m` among the
sent messages of the right type, sorted), so labels read
`Phase1b(a=0, m=('1a', 1))`. Sending a message that was already sent changes
nothing: that step is a stutter, as in TLA+ (the action returns the state itself),
so no state is a deadlock.

Properties: `Inv` of Paxos.tla split into its conjuncts (the ones TLC checks with
the MCPaxos models), the model's temporal property `V!Spec` as a step invariant
(every step is a step of Voting.tla, with `votes` derived from the 2b messages),
and Consensus.tla's requirements on `chosen` (at most one value, and once chosen it
never changes), which V!Spec implies and which are checked here directly.
`some_value_chosen` must be reachable, so a vacuous pass is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from itertools import combinations, compress
from operator import itemgetter

from checker import Choice, Spec, State, action, invariant, reachable, step_invariant, with_item

Message = tuple


class PaxosLamport(Spec):
    """Lamport's Paxos.tla: single-decree Paxos with a message set that only grows."""

    name = "paxos-lamport"

    def __init__(self, nodes: int = 3, values: int = 2, ballots: int = 2):
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1, got {nodes}")
        if values < 1:
            raise ValueError(f"values must be at least 1, got {values}")
        if ballots < 1:
            raise ValueError(f"ballots must be at least 1, got {ballots}")
        self.nodes = nodes
        self.values = values
        self.ballots = ballots
        self.value_set = tuple(f"v{i + 1}" for i in range(values))
        size = nodes // 2 + 1
        self.quorums: tuple[frozenset[int], ...] = tuple(
            frozenset(q) for q in combinations(range(nodes), size)
        )
        self._ballot_labels = tuple((b, (("b", b),)) for b in range(ballots))
        self._bals = frozenset(range(-1, ballots))
        self._vals = frozenset(self.value_set) | {None}
        self._messages = self._message_set()
        # the 1b messages sent so far -> the (ballot, value) pairs Phase2a may propose
        self._proposable: dict[frozenset[Message], tuple[tuple[int, str], ...]] = {}

    def _message_set(self) -> frozenset[Message]:
        """The set Message of Paxos.tla: every well-typed message."""
        accs, bals, vals = range(self.nodes), range(self.ballots), self.value_set
        return frozenset(
            [("1a", b) for b in bals]
            + [
                ("1b", a, b, mb, mv)
                for a in accs
                for b in bals
                for mb in range(-1, self.ballots)
                for mv in (None, *vals)
            ]
            + [("2a", b, v) for b in bals for v in vals]
            + [("2b", a, b, v) for a in accs for b in bals for v in vals]
        )

    # --- Init and Next -------------------------------------------------------------

    def init_states(self):
        n = self.nodes
        yield State(maxBal=(-1,) * n, maxVBal=(-1,) * n, maxVal=(None,) * n, msgs=frozenset())

    @staticmethod
    def send(s: State, m: Message, **changes: object) -> State:
        return s.set(msgs=s.msgs | {m}, **changes)

    @action
    def Phase1a(self, s: State) -> Iterator[Choice]:
        """The leader of ballot b asks every acceptor to join it."""
        msgs = s.msgs
        for b, label in self._ballot_labels:
            m = ("1a", b)
            yield Choice(s if m in msgs else self.send(s, m), label)  # resending stutters

    @action
    def Phase1b(self, s: State) -> Iterator[Choice]:
        """Acceptor a joins 1a message m's strictly higher ballot, reporting its last vote."""
        requests = sorted(_of_kind(s.msgs, "1a"))
        max_bal, max_vbal, max_val = s.maxBal, s.maxVBal, s.maxVal
        for a in range(self.nodes):
            for m in requests:
                bal = m[1]
                if bal > max_bal[a]:
                    reply = ("1b", a, bal, max_vbal[a], max_val[a])
                    nxt = self.send(s, reply, maxBal=with_item(max_bal, a, bal))
                    yield Choice(nxt, (("a", a), ("m", m)))

    @action
    def Phase2a(self, s: State) -> Iterator[Choice]:
        """Ballot b's only 2a message, for a value v that some quorum's 1b replies allow."""
        msgs = s.msgs
        replies = frozenset(_of_kind(msgs, "1b"))
        if not replies:
            return
        proposable = self._proposable.get(replies)
        if proposable is None:
            proposable = self._proposable[replies] = self._allowed(replies)
        started = {m[1] for m in _of_kind(msgs, "2a")}
        for b, v in proposable:
            if b not in started:
                yield Choice(self.send(s, ("2a", b, v)), (("b", b), ("v", v)))

    def _allowed(self, replies: frozenset[Message]) -> tuple[tuple[int, str], ...]:
        """The (b, v) of Phase2a(b, v) that the 1b messages `replies` allow, in order.

        Only the 1b messages decide it, so it is worked out once per set of them (a
        few thousand sets, met by many states).
        """
        by_ballot: dict[int, list[Message]] = {}
        for m in replies:
            by_ballot.setdefault(m[2], []).append(m)
        out = []
        for b in range(self.ballots):
            if b not in by_ballot:
                continue
            allowed: set[str] = set()
            for q in self.quorums:
                values = self._quorum_allows(q, by_ballot[b])
                if values is not None:
                    allowed |= values
            out.extend((b, v) for v in self.value_set if v in allowed)
        return tuple(out)

    def _quorum_allows(self, q: frozenset[int], replies: list[Message]) -> set[str] | None:
        """The LET/IN body of Phase2a: the values quorum q's 1b `replies` (to one ballot)
        let the leader propose, or None if not every member of q replied."""
        q1b = [m for m in replies if m[1] in q]
        if len({m[1] for m in q1b}) < len(q):
            return None
        q1bv = [m for m in q1b if m[3] >= 0]
        if not q1bv:
            return set(self.value_set)
        top = max(m[3] for m in q1bv)
        return {m[4] for m in q1bv if m[3] == top}

    @action
    def Phase2b(self, s: State) -> Iterator[Choice]:
        """Acceptor a votes as 2a message m asks, unless it joined a higher ballot."""
        requests = sorted(_of_kind(s.msgs, "2a"))
        msgs, max_bal, max_vbal, max_val = s.msgs, s.maxBal, s.maxVBal, s.maxVal
        for a in range(self.nodes):
            for m in requests:
                _, bal, val = m
                if not bal >= max_bal[a]:
                    continue
                vote = ("2b", a, bal, val)
                if vote in msgs and max_bal[a] == max_vbal[a] == bal and max_val[a] == val:
                    nxt = s  # voting again changes nothing: a stutter
                else:
                    nxt = self.send(
                        s,
                        vote,
                        maxBal=with_item(max_bal, a, bal),
                        maxVBal=with_item(max_vbal, a, bal),
                        maxVal=with_item(max_val, a, val),
                    )
                yield Choice(nxt, (("a", a), ("m", m)))

    # --- definitions used by the properties ----------------------------------------

    def votes(self, s: State) -> tuple[frozenset[tuple[int, str]], ...]:
        """`votes[a]`: the <<bal, val>> pairs of a's 2b messages."""
        return _votes(s.msgs, self.nodes)

    def chosen(self, s: State) -> frozenset[str]:
        """Voting's `chosen`: values a whole quorum voted for in one ballot."""
        return _chosen(s.msgs, self.nodes, self.quorums)

    def safe(self, votes: tuple[frozenset, ...], max_bal: tuple[int, ...], b: int, v: str) -> bool:
        """Some quorum ShowsSafeAt(Q, b, v) over the given votes and maxBal."""
        return _shows_safe(votes, max_bal, self.quorums, b, v)

    # --- Inv of Paxos.tla ----------------------------------------------------------

    @invariant
    def type_ok(self, s: State) -> bool:
        """TypeOK: every variable holds values of the right kind (msgs within Message)."""
        bals, vals = self._bals, self._vals
        assert bals.issuperset(s.maxBal), f"maxBal = {s.maxBal}"
        assert bals.issuperset(s.maxVBal), f"maxVBal = {s.maxVBal}"
        assert vals.issuperset(s.maxVal), f"maxVal = {s.maxVal}"
        if not s.msgs <= self._messages:
            bad = sorted(map(repr, s.msgs - self._messages))
            raise AssertionError(f"{bad[0]} is not a Message")
        return True

    @invariant
    def max_bal_covers_vote(self, s: State) -> bool:
        """maxBal[a] >= maxVBal[a] for every acceptor a."""
        bad = [a for a in range(self.nodes) if not s.maxBal[a] >= s.maxVBal[a]]
        assert not bad, ", ".join(f"maxBal[{a}] < maxVBal[{a}]" for a in bad)
        return True

    @invariant
    def last_vote_is_a_vote(self, s: State) -> bool:
        """<<maxVBal[a], maxVal[a]>> is <<-1, None>> or one of a's votes."""
        votes = self.votes(s)
        for a in range(self.nodes):
            if s.maxVBal[a] == -1:
                assert s.maxVal[a] is None, f"acceptor {a} has maxVBal -1 but maxVal {s.maxVal[a]}"
            else:
                vote = (s.maxVBal[a], s.maxVal[a])
                assert vote in votes[a], f"acceptor {a}'s last vote {vote} was never sent as 2b"
        return True

    @invariant
    def messages_consistent(self, s: State) -> bool:
        """Every sent 1b, 2a and 2b message agrees with the acceptors' state and votes."""
        msgs, max_bal, max_vbal = s.msgs, s.maxBal, s.maxVBal
        votes = self.votes(s)
        problems = []  # (message, what is wrong); the first by message is reported
        proposed: dict[int, tuple] = {}
        for m in msgs:
            kind = m[0]
            if kind == "1b":
                _, acc, bal, mbal, mval = m
                if not max_bal[acc] >= bal:
                    problems.append((repr(m), f"{m} but maxBal[{acc}] = {max_bal[acc]}"))
                elif mbal >= 0 and (mbal, mval) not in votes[acc]:
                    problems.append((repr(m), f"{m} reports a vote never cast"))
            elif kind == "2a":
                _, bal, val = m
                if not self.safe(votes, max_bal, bal, val):
                    problems.append(
                        (repr(m), f"{m} but no quorum shows {val!r} safe at ballot {bal}")
                    )
                other = proposed.setdefault(bal, m)
                if other != m:
                    first, second = sorted((m, other), key=repr)
                    problems.append(
                        (repr(first), f"two 2a messages for ballot {bal}: {first} and {second}")
                    )
            elif kind == "2b":
                _, acc, bal, val = m
                if not max_vbal[acc] >= bal:
                    problems.append((repr(m), f"{m} but maxVBal[{acc}] = {max_vbal[acc]}"))
                elif ("2a", bal, val) not in msgs:
                    problems.append((repr(m), f"{m} without its 2a message"))
        assert not problems, min(problems)[1]
        return True

    # --- what Paxos implements -----------------------------------------------------

    @invariant
    def at_most_one_chosen(self, s: State) -> bool:
        """Consensus: at most one value is chosen (by a quorum's votes in one ballot)."""
        chosen = self.chosen(s)
        assert len(chosen) <= 1, f"several values chosen: {sorted(chosen)}"
        return True

    @step_invariant
    def chosen_never_changes(self, s: State, t: State) -> bool:
        """Consensus's Next: chosen is unchanged, or goes from {} to a single value."""
        if _same_votes(s.msgs, t.msgs):  # chosen is decided by the 2b messages alone
            return True
        n, quorums = self.nodes, self.quorums
        before, after = _chosen(s.msgs, n, quorums), _chosen(t.msgs, n, quorums)
        assert before == after or (not before and len(after) == 1), (
            f"chosen went from {sorted(before)} to {sorted(after)}"
        )
        return True

    @step_invariant
    def refines_voting(self, s: State, t: State) -> bool:
        """V!Spec: each step stutters on <<votes, maxBal>> or is a step of Voting.tla."""
        max_bal, max_bal2 = s.maxBal, t.maxBal
        same_votes = _same_votes(s.msgs, t.msgs)
        if same_votes and max_bal == max_bal2:
            return True
        moved = [a for a in range(self.nodes) if max_bal[a] != max_bal2[a]]
        if same_votes:
            assert len(moved) == 1, f"maxBal changed for acceptors {moved} in one step"
            a = moved[0]
            b = max_bal2[a]
            assert b in range(self.ballots) and b > max_bal[a], (  # IncreaseMaxBal(a, b)
                f"maxBal[{a}] went from {max_bal[a]} to {b}"
            )
            return True
        votes, votes2 = _votes(s.msgs, self.nodes), _votes(t.msgs, self.nodes)
        voted = [a for a in range(self.nodes) if votes[a] != votes2[a]]  # VoteFor(a, b, v)
        assert len(voted) == 1 and set(moved) <= set(voted), (
            f"acceptors {voted} voted and {moved} changed maxBal in one step"
        )
        a = voted[0]
        b = max_bal2[a]
        new = votes2[a] - votes[a]
        assert len(new) == 1 and votes[a] <= votes2[a], f"votes[{a}] became {sorted(votes2[a])}"
        ((vb, v),) = new
        assert vb == b, f"acceptor {a} voted in ballot {vb} but set maxBal to {b}"
        assert max_bal[a] <= b, f"acceptor {a} voted in ballot {b} below maxBal {max_bal[a]}"
        assert all(vt[0] != b for vt in votes[a]), f"acceptor {a} voted twice in ballot {b}"
        assert all(
            vt[1] == v for c in range(self.nodes) if c != a for vt in votes[c] if vt[0] == b
        ), f"acceptor {a} voted {v!r} in ballot {b}, where another value was voted"
        assert self.safe(votes, max_bal, b, v), (
            f"acceptor {a} voted {v!r} in ballot {b}, but no quorum showed it safe"
        )
        return True

    @reachable
    def some_value_chosen(self, s: State) -> bool:
        """A quorum of acceptors voted for one value in one ballot."""
        return bool(self.chosen(s))


# Derived values are pure functions of the messages, so they are memoised by value: a
# state's successors share its message set, and a new state's invariants and the step
# that reached it ask for the same votes. A bounded cache; it never changes a result.


def _of_kind(msgs: frozenset[Message], kind: str) -> list[Message]:
    """The messages of one type, picked out in C (compress over a map of their types)."""
    return list(compress(msgs, map(kind.__eq__, map(_KIND, msgs))))


_KIND = itemgetter(0)


def _same_votes(before: frozenset[Message], after: frozenset[Message]) -> bool:
    """Whether two message sets hold the same 2b messages, hence the same votes."""
    return before is after or "2b" not in map(_KIND, before ^ after)


@lru_cache(maxsize=1 << 16)
def _votes(msgs: frozenset[Message], nodes: int) -> tuple[frozenset[tuple[int, str]], ...]:
    found: list[list[tuple[int, str]]] = [[] for _ in range(nodes)]
    for _, a, b, v in _of_kind(msgs, "2b"):
        found[a].append((b, v))
    return tuple(map(frozenset, found))


@lru_cache(maxsize=1 << 16)
def _chosen_by(
    votes: tuple[frozenset[tuple[int, str]], ...], quorums: tuple[frozenset[int], ...]
) -> frozenset[str]:
    """The values some quorum voted for in one ballot (acceptor sets as bit masks)."""
    voters: dict[tuple[int, str], int] = {}
    for a, cast in enumerate(votes):
        for vote in cast:
            voters[vote] = voters.get(vote, 0) | (1 << a)
    if not voters:
        return frozenset()
    masks = [sum(1 << a for a in q) for q in quorums]
    return frozenset(v for (_, v), acc in voters.items() if any(acc & q == q for q in masks))


def _chosen(msgs: frozenset[Message], nodes: int, quorums: tuple[frozenset[int], ...]):
    return _chosen_by(_votes(msgs, nodes), quorums)


@lru_cache(maxsize=1 << 16)
def _shows_safe(
    votes: tuple[frozenset[tuple[int, str]], ...],
    max_bal: tuple[int, ...],
    quorums: tuple[frozenset[int], ...],
    b: int,
    v: str,
) -> bool:
    """Voting's \\E Q \\in Quorum : ShowsSafeAt(Q, b, v).

    ShowsSafeAt(Q, b, v) asks for a ballot c < b such that c = -1 or some a in Q voted
    for v in c, and no a in Q voted in a ballot strictly between c and b. Since c must
    be -1 or carry a vote of Q, that c is the highest ballot below b in which Q voted
    (or -1 if it never did), so one pass over Q's votes decides it.
    """
    for q in quorums:
        if any(max_bal[a] < b for a in q):
            continue
        top, top_values = -1, set()
        for a in q:
            for c, w in votes[a]:
                if c < b:
                    if c > top:
                        top, top_values = c, {w}
                    elif c == top:
                        top_values.add(w)
        if top == -1 or v in top_values:
            return True
    return False
