"""Paxos.tla read literally: every definition evaluated afresh in every state.

The same model as `paxos-lamport` (specs/paxos_lamport.py): Lamport's Paxos.tla from
tlaplus/Examples (`specifications/PaxosHowToWinATuringAward`), with the constants of
its MCPaxos models, the same variables, the same message tuples and so the very same
reachable states (3,921 with ballots=2, 185,369 with ballots=3). What differs is how
it is written: `paxos-lamport` works each derived value out once per value of the
variables it reads, while this spec is the first draft a user writes from the TLA+,
one Python expression per formula, quantifiers as `any`/`all`, as TLC evaluates it.

It has two jobs:

- a cross-check: two independent transcriptions must reach the same states and agree
  on every verdict (tests/test_paxos_literal.py compares the state graphs, and the
  verdicts on states and steps near the reachable ones);
- the benchmark's costly spec: a state costs about 220 microseconds with ballots=3
  (paxos-lamport: 30), four fifths of it checking `Inv` and the refinement of
  Voting.tla literally, the range where worker processes pay the most (bench/run.py's
  `paxos-literal-*` rows).

Variables (as in paxos-lamport): `maxBal[a]`, `maxVBal[a]`, `maxVal[a]` (tuples, one
slot per acceptor) and `msgs`, the frozenset of every message sent:

    ("1a", bal)  ("1b", acc, bal, mbal, mval)  ("2a", bal, val)  ("2b", acc, bal, val)
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from checker import Choice, Spec, State, action, invariant, reachable, step_invariant, with_item

Message = tuple
Votes = tuple  # votes[a]: the frozenset of (bal, val) pairs acceptor a voted for


def _ballots(self: PaxosLiteral) -> range:
    return range(self.ballots)


def _values(self: PaxosLiteral) -> tuple[str, ...]:
    return self.value_set


class PaxosLiteral(Spec):
    """Paxos.tla, one Python expression per TLA+ formula and nothing remembered."""

    name = "paxos-lamport-literal"

    def __init__(self, nodes: int = 3, values: int = 2, ballots: int = 2):
        for what, n in (("nodes", nodes), ("values", values), ("ballots", ballots)):
            if n < 1:
                raise ValueError(f"{what} must be at least 1, got {n}")
        self.nodes = nodes
        self.values = values
        self.ballots = ballots
        self.acceptors = range(nodes)
        self.value_set = tuple(f"v{i + 1}" for i in range(values))
        self.quorums = tuple(frozenset(q) for q in combinations(self.acceptors, nodes // 2 + 1))

    # --- Init and Next -------------------------------------------------------------

    def init_states(self) -> Iterator[State]:
        n = self.nodes
        yield State(maxBal=(-1,) * n, maxVBal=(-1,) * n, maxVal=(None,) * n, msgs=frozenset())

    @action(b=_ballots)
    def Phase1a(self, s: State, b: int) -> State:
        """Send([type |-> "1a", bal |-> b]): sending it again changes nothing."""
        return s.set(msgs=s.msgs | {("1a", b)})

    @action
    def Phase1b(self, s: State) -> Iterator[Choice]:
        """\\E a, m \\in msgs: m.type = "1a" /\\ m.bal > maxBal[a], then a joins m.bal."""
        for a in self.acceptors:
            for m in sorted(m for m in s.msgs if m[0] == "1a"):
                if m[1] > s.maxBal[a]:
                    reply = ("1b", a, m[1], s.maxVBal[a], s.maxVal[a])
                    after = s.set(maxBal=with_item(s.maxBal, a, m[1]), msgs=s.msgs | {reply})
                    yield Choice(after, (("a", a), ("m", m)))

    @action(b=_ballots, v=_values)
    def Phase2a(self, s: State, b: int, v: str) -> State | None:
        """No 2a message for b yet, and some quorum's 1b messages allow v."""
        if any(m[0] == "2a" and m[1] == b for m in s.msgs):
            return None
        if not any(self._quorum_allows(s, q, b, v) for q in self.quorums):
            return None
        return s.set(msgs=s.msgs | {("2a", b, v)})

    def _quorum_allows(self, s: State, q: frozenset[int], b: int, v: str) -> bool:
        """Phase2a's LET Q1b, Q1bv IN ... for quorum q."""
        q1b = [m for m in s.msgs if m[0] == "1b" and m[1] in q and m[2] == b]
        q1bv = [m for m in q1b if m[3] >= 0]
        return all(any(m[1] == a for m in q1b) for a in q) and (
            not q1bv or any(m[4] == v and all(m[3] >= mm[3] for mm in q1bv) for m in q1bv)
        )

    @action
    def Phase2b(self, s: State) -> Iterator[Choice]:
        """\\E a, m \\in msgs: m.type = "2a" /\\ m.bal >= maxBal[a], then a votes as m asks."""
        for a in self.acceptors:
            for m in sorted(m for m in s.msgs if m[0] == "2a"):
                _, bal, val = m
                if bal >= s.maxBal[a]:
                    after = s.set(
                        maxBal=with_item(s.maxBal, a, bal),
                        maxVBal=with_item(s.maxVBal, a, bal),
                        maxVal=with_item(s.maxVal, a, val),
                        msgs=s.msgs | {("2b", a, bal, val)},
                    )
                    yield Choice(after, (("a", a), ("m", m)))

    # --- Voting.tla's definitions, over votes and maxBal ----------------------------

    def votes(self, s: State) -> Votes:
        """votes[a] == {<<m.bal, m.val>> : m \\in {mm \\in msgs : 2b messages from a}}."""
        return tuple(
            frozenset((m[2], m[3]) for m in s.msgs if m[0] == "2b" and m[1] == a)
            for a in self.acceptors
        )

    def chosen(self, votes: Votes) -> set[str]:
        """{v : \\E b, Q : \\A a \\in Q : VotedFor(a, b, v)}."""
        return {
            v
            for v in self.value_set
            for b in range(self.ballots)
            if any(all((b, v) in votes[a] for a in q) for q in self.quorums)
        }

    def did_not_vote_at(self, votes: Votes, a: int, b: int) -> bool:
        return all((b, v) not in votes[a] for v in self.value_set)

    def shows_safe_at(
        self, votes: Votes, max_bal: tuple[int, ...], q: frozenset[int], b: int, v: str
    ) -> bool:
        """ShowsSafeAt(Q, b, v) of Voting.tla, quantifier by quantifier."""
        return all(max_bal[a] >= b for a in q) and any(
            (c == -1 or any((c, v) in votes[a] for a in q))
            and all(self.did_not_vote_at(votes, a, d) for d in range(c + 1, b) for a in q)
            for c in range(-1, b)
        )

    def safe(self, votes: Votes, max_bal: tuple[int, ...], b: int, v: str) -> bool:
        return any(self.shows_safe_at(votes, max_bal, q, b, v) for q in self.quorums)

    # --- Inv of Paxos.tla ----------------------------------------------------------

    @invariant
    def type_ok(self, s: State) -> bool:
        """TypeOK, with Ballot cut to the model's ballots."""
        bals, vals = range(-1, self.ballots), (None, *self.value_set)
        assert all(s.maxBal[a] in bals for a in self.acceptors), f"maxBal = {s.maxBal}"
        assert all(s.maxVBal[a] in bals for a in self.acceptors), f"maxVBal = {s.maxVBal}"
        assert all(s.maxVal[a] in vals for a in self.acceptors), f"maxVal = {s.maxVal}"
        for m in s.msgs:
            assert self._is_message(m), f"{m!r} is not a Message"
        return True

    def _is_message(self, m: Message) -> bool:
        bals, accs, vals = range(self.ballots), self.acceptors, self.value_set
        if m[0] == "1a":
            return len(m) == 2 and m[1] in bals
        if m[0] == "1b":
            return (
                len(m) == 5
                and m[1] in accs
                and m[2] in bals
                and m[3] in range(-1, self.ballots)
                and (m[4] is None or m[4] in vals)
            )
        if m[0] == "2a":
            return len(m) == 3 and m[1] in bals and m[2] in vals
        return m[0] == "2b" and len(m) == 4 and m[1] in accs and m[2] in bals and m[3] in vals

    @invariant
    def max_bal_covers_vote(self, s: State) -> bool:
        """\\A a : maxBal[a] >= maxVBal[a]."""
        for a in self.acceptors:
            assert s.maxBal[a] >= s.maxVBal[a], f"maxBal[{a}] < maxVBal[{a}]"
        return True

    @invariant
    def last_vote_is_a_vote(self, s: State) -> bool:
        """\\A a : IF maxVBal[a] = -1 THEN maxVal[a] = None ELSE it is one of a's votes."""
        votes = self.votes(s)
        for a in self.acceptors:
            if s.maxVBal[a] == -1:
                assert s.maxVal[a] is None, f"acceptor {a} has maxVBal -1 but a maxVal"
            else:
                last = (s.maxVBal[a], s.maxVal[a])
                assert last in votes[a], f"acceptor {a}'s last vote {last} was never sent"
        return True

    @invariant
    def messages_consistent(self, s: State) -> bool:
        """\\A m \\in msgs: what a 1b, 2a or 2b message says agrees with the state."""
        votes = self.votes(s)
        for m in sorted(s.msgs, key=repr):
            if m[0] == "1b":
                _, acc, bal, mbal, mval = m
                assert s.maxBal[acc] >= bal, f"{m} but maxBal[{acc}] = {s.maxBal[acc]}"
                assert mbal < 0 or (mbal, mval) in votes[acc], f"{m} reports a vote never cast"
            elif m[0] == "2a":
                _, bal, val = m
                assert self.safe(votes, s.maxBal, bal, val), f"{m} but {val!r} is not safe"
                for mm in s.msgs:
                    assert not (mm[0] == "2a" and mm[1] == bal and mm[2] != val), (
                        f"two 2a messages for ballot {bal}"
                    )
            elif m[0] == "2b":
                _, acc, bal, val = m
                assert s.maxVBal[acc] >= bal, f"{m} but maxVBal[{acc}] = {s.maxVBal[acc]}"
                assert ("2a", bal, val) in s.msgs, f"{m} without its 2a message"
        return True

    # --- what Paxos implements -----------------------------------------------------

    @invariant
    def at_most_one_chosen(self, s: State) -> bool:
        """Consensus: Cardinality(chosen) <= 1."""
        chosen = self.chosen(self.votes(s))
        assert len(chosen) <= 1, f"several values chosen: {sorted(chosen)}"
        return True

    @step_invariant
    def chosen_never_changes(self, s: State, t: State) -> bool:
        """Consensus's Next: chosen = {} /\\ chosen' = {v} for some v, or no change."""
        before, after = self.chosen(self.votes(s)), self.chosen(self.votes(t))
        assert before == after or (not before and len(after) == 1), (
            f"chosen went from {sorted(before)} to {sorted(after)}"
        )
        return True

    @step_invariant
    def refines_voting(self, s: State, t: State) -> bool:
        """V!Spec: [Next]_<<votes, maxBal>> of Voting.tla, tried action by action."""
        votes, votes2 = self.votes(s), self.votes(t)
        if votes == votes2 and s.maxBal == t.maxBal:
            return True
        assert any(
            self._increase_max_bal(votes, s.maxBal, votes2, t.maxBal, a, b)
            or any(
                self._vote_for(votes, s.maxBal, votes2, t.maxBal, a, b, v) for v in self.value_set
            )
            for a in self.acceptors
            for b in range(self.ballots)
        ), f"no step of Voting takes maxBal {s.maxBal} to {t.maxBal} and votes {votes} to {votes2}"
        return True

    def _increase_max_bal(
        self, votes: Votes, max_bal: tuple, votes2: Votes, max_bal2: tuple, a: int, b: int
    ) -> bool:
        """IncreaseMaxBal(a, b), as a relation between the two states."""
        return b > max_bal[a] and max_bal2 == with_item(max_bal, a, b) and votes2 == votes

    def _vote_for(
        self, votes: Votes, max_bal: tuple, votes2: Votes, max_bal2: tuple, a: int, b: int, v: str
    ) -> bool:
        """VoteFor(a, b, v), as a relation between the two states."""
        return (
            max_bal[a] <= b
            and all(vt[0] != b for vt in votes[a])
            and all(vt[1] == v for c in self.acceptors if c != a for vt in votes[c] if vt[0] == b)
            and self.safe(votes, max_bal, b, v)
            and votes2 == with_item(votes, a, votes[a] | {(b, v)})
            and max_bal2 == with_item(max_bal, a, b)
        )

    @reachable
    def some_value_chosen(self, s: State) -> bool:
        """A quorum of acceptors voted for one value in one ballot."""
        return bool(self.chosen(self.votes(s)))
