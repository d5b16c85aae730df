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
`Phase2b(a)`. In the two acceptor actions the message received (`\\E m \\in msgs`)
is a parameter `m` whose domain is the sent messages of the right type, in sorted
order, so labels read `Phase1b(a=0, m=('1a', 1))`. Sending a message that was
already sent changes nothing: that step is a stutter, as in TLA+, so no state is a
deadlock.

Properties: `Inv` of Paxos.tla split into its conjuncts (the ones TLC checks with
the MCPaxos models), the model's temporal property `V!Spec` as a step invariant
(every step is a step of Voting.tla, with `votes` derived from the 2b messages),
and Consensus.tla's requirements on `chosen` (at most one value, and once chosen it
never changes), which V!Spec implies and which are checked here directly.
`some_value_chosen` must be reachable, so a vacuous pass is refused.
"""

from __future__ import annotations

from itertools import combinations

from checker import Spec, State, action, invariant, reachable, step_invariant, with_item

Message = tuple


def _acceptors(self: PaxosLamport) -> range:
    return range(self.nodes)


def _ballots(self: PaxosLamport) -> range:
    return range(self.ballots)


def _values(self: PaxosLamport) -> tuple[str, ...]:
    return self.value_set


def _sent(kind: str):
    """The domain `{m \\in msgs : m.type = kind}`, sorted so the order is stable."""

    def domain(self: PaxosLamport, s: State) -> list[Message]:
        return sorted(m for m in s.msgs if m[0] == kind)

    return domain


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

    # --- Init and Next -------------------------------------------------------------

    def init_states(self):
        n = self.nodes
        yield State(maxBal=(-1,) * n, maxVBal=(-1,) * n, maxVal=(None,) * n, msgs=frozenset())

    @staticmethod
    def send(s: State, m: Message, **changes: object) -> State:
        return s.set(msgs=s.msgs | {m}, **changes)

    @action(b=_ballots)
    def Phase1a(self, s: State, b: int) -> State:
        """The leader of ballot b asks every acceptor to join it."""
        return self.send(s, ("1a", b))

    @action(a=_acceptors, m=_sent("1a"))
    def Phase1b(self, s: State, a: int, m: Message) -> State | None:
        """Acceptor a joins a strictly higher ballot and reports its last vote."""
        _, bal = m
        if not bal > s.maxBal[a]:
            return None
        reply = ("1b", a, bal, s.maxVBal[a], s.maxVal[a])
        return self.send(s, reply, maxBal=with_item(s.maxBal, a, bal))

    @action(b=_ballots, v=_values)
    def Phase2a(self, s: State, b: int, v: str) -> State | None:
        """Ballot b's only 2a message, for a value some quorum's 1b replies allow."""
        if any(m[0] == "2a" and m[1] == b for m in s.msgs):
            return None
        if not any(self._quorum_shows_v(s, q, b, v) for q in self.quorums):
            return None
        return self.send(s, ("2a", b, v))

    def _quorum_shows_v(self, s: State, q: frozenset[int], b: int, v: str) -> bool:
        """The LET/IN body of Phase2a for quorum `q`: its 1b messages allow proposing v."""
        q1b = [m for m in s.msgs if m[0] == "1b" and m[1] in q and m[2] == b]
        if not all(any(m[1] == a for m in q1b) for a in q):
            return False
        q1bv = [m for m in q1b if m[3] >= 0]
        if not q1bv:
            return True
        return any(m[4] == v and all(m[3] >= mm[3] for mm in q1bv) for m in q1bv)

    @action(a=_acceptors, m=_sent("2a"))
    def Phase2b(self, s: State, a: int, m: Message) -> State | None:
        """Acceptor a votes as a 2a message asks, unless it joined a higher ballot."""
        _, bal, val = m
        if not bal >= s.maxBal[a]:
            return None
        return self.send(
            s,
            ("2b", a, bal, val),
            maxBal=with_item(s.maxBal, a, bal),
            maxVBal=with_item(s.maxVBal, a, bal),
            maxVal=with_item(s.maxVal, a, val),
        )

    # --- definitions used by the properties ----------------------------------------

    def votes(self, s: State) -> tuple[frozenset[tuple[int, str]], ...]:
        """`votes[a]`: the <<bal, val>> pairs of a's 2b messages."""
        found: list[set[tuple[int, str]]] = [set() for _ in range(self.nodes)]
        for m in s.msgs:
            if m[0] == "2b":
                found[m[1]].add((m[2], m[3]))
        return tuple(frozenset(v) for v in found)

    def chosen(self, s: State) -> set[str]:
        """Voting's `chosen`: values a whole quorum voted for in one ballot."""
        voters: dict[tuple[int, str], set[int]] = {}
        for m in s.msgs:
            if m[0] == "2b":
                voters.setdefault((m[2], m[3]), set()).add(m[1])
        return {v for (_, v), acc in voters.items() if any(q <= acc for q in self.quorums)}

    @staticmethod
    def same_votes(s: State, t: State) -> bool:
        """Whether `votes` is the same in s and t: they sent the same 2b messages."""
        return s.msgs is t.msgs or not any(m[0] == "2b" for m in s.msgs ^ t.msgs)

    @staticmethod
    def shows_safe_at(
        votes: tuple[frozenset, ...], max_bal: tuple[int, ...], q: frozenset[int], b: int, v: str
    ) -> bool:
        """Voting's ShowsSafeAt(Q, b, v) over the given votes and maxBal."""
        if not all(max_bal[a] >= b for a in q):
            return False
        for c in range(-1, b):
            if c != -1 and not any((c, v) in votes[a] for a in q):
                continue
            if all(vt[0] != d for d in range(c + 1, b) for a in q for vt in votes[a]):
                return True
        return False

    # --- Inv of Paxos.tla ----------------------------------------------------------

    @invariant
    def type_ok(self, s: State) -> bool:
        """TypeOK: every variable holds values of the right kind (msgs within Message)."""
        bals = set(range(-1, self.ballots))
        vals = set(self.value_set)
        accs = set(range(self.nodes))
        assert all(x in bals for x in s.maxBal), f"maxBal = {s.maxBal}"
        assert all(x in bals for x in s.maxVBal), f"maxVBal = {s.maxVBal}"
        assert all(x in vals or x is None for x in s.maxVal), f"maxVal = {s.maxVal}"
        for m in s.msgs:
            kind = m[0]
            if kind == "1a":
                ok = len(m) == 2 and m[1] in bals and m[1] >= 0
            elif kind == "1b":
                ok = (
                    len(m) == 5
                    and m[1] in accs
                    and m[2] in bals
                    and m[2] >= 0
                    and m[3] in bals
                    and (m[4] in vals or m[4] is None)
                )
            elif kind == "2a":
                ok = len(m) == 3 and m[1] in bals and m[1] >= 0 and m[2] in vals
            elif kind == "2b":
                ok = len(m) == 4 and m[1] in accs and m[2] in bals and m[2] >= 0 and m[3] in vals
            else:
                ok = False
            assert ok, f"{m!r} is not a Message"
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
        votes = self.votes(s)
        for m in sorted(s.msgs, key=repr):
            if m[0] == "1b":
                _, acc, bal, mbal, mval = m
                assert s.maxBal[acc] >= bal, f"{m} but maxBal[{acc}] = {s.maxBal[acc]}"
                assert mbal < 0 or (mbal, mval) in votes[acc], f"{m} reports a vote never cast"
            elif m[0] == "2a":
                _, bal, val = m
                assert any(
                    self.shows_safe_at(votes, s.maxBal, q, bal, val) for q in self.quorums
                ), f"{m} but no quorum shows {val!r} safe at ballot {bal}"
                others = [mm for mm in s.msgs if mm[0] == "2a" and mm[1] == bal and mm[2] != val]
                assert not others, f"two 2a messages for ballot {bal}: {m} and {others[0]}"
            elif m[0] == "2b":
                _, acc, bal, val = m
                assert s.maxVBal[acc] >= bal, f"{m} but maxVBal[{acc}] = {s.maxVBal[acc]}"
                assert ("2a", bal, val) in s.msgs, f"{m} without its 2a message"
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
        if self.same_votes(s, t):
            return True
        before, after = self.chosen(s), self.chosen(t)
        assert before == after or (not before and len(after) == 1), (
            f"chosen went from {sorted(before)} to {sorted(after)}"
        )
        return True

    @step_invariant
    def refines_voting(self, s: State, t: State) -> bool:
        """V!Spec: each step stutters on <<votes, maxBal>> or is a step of Voting.tla."""
        max_bal, max_bal2 = s.maxBal, t.maxBal
        moved = [a for a in range(self.nodes) if max_bal[a] != max_bal2[a]]
        if self.same_votes(s, t):
            if not moved:
                return True
            assert len(moved) == 1, f"maxBal changed for acceptors {moved} in one step"
            a = moved[0]
            b = max_bal2[a]
            assert b in range(self.ballots) and b > max_bal[a], (  # IncreaseMaxBal(a, b)
                f"maxBal[{a}] went from {max_bal[a]} to {b}"
            )
            return True
        votes, votes2 = self.votes(s), self.votes(t)  # VoteFor(a, b, v)
        voted = [a for a in range(self.nodes) if votes[a] != votes2[a]]
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
        assert any(self.shows_safe_at(votes, max_bal, q, b, v) for q in self.quorums), (
            f"acceptor {a} voted {v!r} in ballot {b}, but no quorum showed it safe"
        )
        return True

    @reachable
    def some_value_chosen(self, s: State) -> bool:
        """A quorum of acceptors voted for one value in one ballot."""
        return bool(self.chosen(s))
