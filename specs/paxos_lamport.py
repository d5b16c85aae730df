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

Written for speed as well as reading: what an action or a property needs from the
state is worked out once per value of the variables it reads (a `Memo`), since far
fewer such values occur than states. `self.sent[msgs]` sorts a message set out by type
(from its sender's, plus the one new message, when the set was just sent); Phase1b and
Phase2b look their steps up by (messages of the type they read, maxBal, maxVBal,
maxVal, votes), and each invariant its problems by the variables it reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

from checker import (
    Choice,
    Memo,
    Spec,
    State,
    action,
    invariant,
    reachable,
    step_invariant,
    with_item,
)

Message = tuple
Votes = tuple  # votes[a]: the frozenset of <<bal, val>> pairs acceptor a voted for
_SAME = 1 << 17  # values PaxosLamport._one keeps before it starts afresh


class Sent(NamedTuple):
    """What the actions and properties read off one set of sent messages."""

    requests: tuple[Message, ...]  # the 1a messages, sorted
    replies: frozenset[Message]  # the 1b messages
    proposals: tuple[Message, ...]  # the 2a messages, sorted
    started: frozenset[int]  # the ballots of the 2a messages
    votes: Votes  # votes[a]
    leaders: frozenset[Message]  # the 1a and 2a messages (what leaders sent)


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
        # Derived values are pure functions of a few variables, worked out once each:
        # a state's actions, the steps from it and its properties read the same ones.
        self.sent: Memo = Memo(self._sort_out)  # msgs -> Sent
        # one object for equal values (message sets, acceptors' tuples, votes), so
        # comparing states and memo keys that share them is quick: see `_one`
        self._same: dict = {}
        self._made: dict = {}  # the latest sets sent: msgs after -> (msgs before, message)
        self._chosen: Memo = Memo(lambda votes: _chosen_by(votes, self.quorums))
        self._voting_steps: Memo = Memo(self._voting_step)
        self._joins: Memo = Memo(self._join_plan)
        self._votings: Memo = Memo(self._voting_plan)
        self._type_problems: Memo = Memo(self._type_problem)
        self._cover_problems: Memo = Memo(self._cover_problem)
        self._last_vote_problems: Memo = Memo(self._last_vote_problem)
        self._reply_problems: Memo = Memo(self._reply_problem)
        self._claims: Memo = Memo(self._claims_in)
        self._claim_problems: Memo = Memo(self._claim_problem)
        self._proposal_problems: Memo = Memo(self._proposal_problem)
        self._vote_problems: Memo = Memo(self._vote_problem)
        # the 1b messages sent so far -> the (ballot, value) pairs Phase2a may propose
        self._proposable: Memo = Memo(self._allowed)

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

    def locality(self, s: State) -> frozenset[Message]:
        """The 1a and 2a messages (see `Spec.locality`): only Phase1a and Phase2a send
        them, in 12% of the steps that change the state with ballots=2 and 17% with
        ballots=3, so with --workers most successors stay with the worker that made
        them."""
        return self.sent[s.msgs].leaders

    # --- Init and Next -------------------------------------------------------------

    def init_states(self):
        n = self.nodes
        yield State(maxBal=(-1,) * n, maxVBal=(-1,) * n, maxVal=(None,) * n, msgs=frozenset())

    def send(self, msgs: frozenset[Message], m: Message) -> frozenset[Message]:
        """msgs \\cup {m}: one object for equal sets, so comparing states that share
        it is quick."""
        after = self._one(msgs | {m})
        made = self._made
        if len(made) >= 256:
            made.clear()
        made[after] = (msgs, m)  # lets `sent` work out `after` from `msgs`
        return after

    def _one(self, value: object) -> object:
        """The object kept for values equal to `value` (`value` itself if none is)."""
        same = self._same
        if len(same) >= _SAME:
            same.clear()  # only speed depends on it
        return same.setdefault(value, value)

    @action
    def Phase1a(self, s: State) -> Iterator[Choice]:
        """The leader of ballot b asks every acceptor to join it."""
        msgs = s.msgs
        for b, label in self._ballot_labels:
            m = ("1a", b)  # sending it again is a stutter
            yield Choice(s if m in msgs else s.set(msgs=self.send(msgs, m)), label)

    @action
    def Phase1b(self, s: State) -> Iterator[Choice]:
        """Acceptor a joins 1a message m's strictly higher ballot, reporting its last vote."""
        plan = self._joins[self.sent[s.msgs].requests, s.maxBal, s.maxVBal, s.maxVal]
        for label, reply, max_bal in plan:
            yield Choice(s.set(msgs=self.send(s.msgs, reply), maxBal=max_bal), label)

    def _join_plan(self, key: tuple) -> tuple[tuple[tuple, Message, tuple[int, ...]], ...]:
        """Phase1b's steps from `key` = (1a messages, maxBal, maxVBal, maxVal): for each,
        its label, the 1b reply it sends and the new maxBal. Those variables decide
        them, and many states share them, so each plan is worked out once."""
        requests, max_bal, max_vbal, max_val = key
        plan = []
        for a in range(self.nodes):
            for m in requests:
                bal = m[1]
                if bal > max_bal[a]:
                    reply = ("1b", a, bal, max_vbal[a], max_val[a])
                    joined = self._one(with_item(max_bal, a, bal))
                    plan.append(((("a", a), ("m", m)), reply, joined))
        return tuple(plan)

    @action
    def Phase2a(self, s: State) -> Iterator[Choice]:
        """Ballot b's only 2a message, for a value v that some quorum's 1b replies allow."""
        sent = self.sent[s.msgs]
        if not sent.replies:
            return
        started = sent.started
        for b, v in self._proposable[sent.replies]:
            if b not in started:
                yield Choice(s.set(msgs=self.send(s.msgs, ("2a", b, v))), (("b", b), ("v", v)))

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
        sent = self.sent[s.msgs]
        plan = self._votings[sent.proposals, s.maxBal, s.maxVBal, s.maxVal, sent.votes]
        for label, vote, bals, vbals, vals in plan:
            if vote is None:
                yield Choice(s, label)  # voting again changes nothing: a stutter
            else:
                msgs = self.send(s.msgs, vote)
                yield Choice(s.set(msgs=msgs, maxBal=bals, maxVBal=vbals, maxVal=vals), label)

    def _voting_plan(self, key: tuple) -> tuple[tuple, ...]:
        """Phase2b's steps from `key` = (2a messages, maxBal, maxVBal, maxVal, votes):
        for each, its label and then None (a stutter) or the 2b message it sends and
        the new maxBal, maxVBal and maxVal. Worked out once per such key."""
        proposals, max_bal, max_vbal, max_val, votes = key
        one = self._one
        plan = []
        for a in range(self.nodes):
            for m in proposals:
                _, bal, val = m
                if not bal >= max_bal[a]:
                    continue
                label = (("a", a), ("m", m))
                # the 2b message is in msgs exactly when (bal, val) is among a's votes
                cast = (bal, val) in votes[a]
                if cast and max_bal[a] == max_vbal[a] == bal and max_val[a] == val:
                    plan.append((label, None, None, None, None))
                else:
                    plan.append(
                        (
                            label,
                            ("2b", a, bal, val),
                            one(with_item(max_bal, a, bal)),
                            one(with_item(max_vbal, a, bal)),
                            one(with_item(max_val, a, val)),
                        )
                    )
        return tuple(plan)

    # --- definitions used by the properties ----------------------------------------

    def _sort_out(self, msgs: frozenset[Message]) -> Sent:
        """`self.sent[msgs]`: the messages sorted out by type, and the votes they carry.

        A new state is usually checked soon after the step that made it, so when
        `msgs` is among the latest sets `send` made, the answer is its sender's with
        the one message added (the same value, for a fraction of the work).
        """
        made = self._made.get(msgs)
        if made is not None:
            before, m = made
            known = self.sent.get(before)
            if known is not None:
                return known if m in before else self._add(known, m)
        requests, replies, proposals = [], [], []
        found: list[list[tuple[int, str]]] = [[] for _ in range(self.nodes)]
        for m in msgs:
            kind = m[0]
            if kind == "2b":
                found[m[1]].append((m[2], m[3]))
            elif kind == "1b":
                replies.append(m)
            elif kind == "1a":
                requests.append(m)
            else:
                proposals.append(m)
        requests.sort()
        proposals.sort()
        return Sent(
            tuple(requests),
            frozenset(replies),
            tuple(proposals),
            frozenset([m[1] for m in proposals]),
            self._one(tuple(map(frozenset, found))),
            self._one(frozenset(requests + proposals)),
        )

    def _add(self, sent: Sent, m: Message) -> Sent:
        """`sent` with the message `m` (not among them) added."""
        requests, replies, proposals, started, votes, leaders = sent
        kind = m[0]
        if kind == "2b":
            _, a, bal, val = m
            votes = self._one(with_item(votes, a, votes[a] | {(bal, val)}))
        elif kind == "1b":
            replies = replies | {m}
        elif kind == "1a":
            requests = tuple(sorted((*requests, m)))
            leaders = self._one(leaders | {m})
        else:
            proposals = tuple(sorted((*proposals, m)))
            started = started | {m[1]}
            leaders = self._one(leaders | {m})
        return Sent(requests, replies, proposals, started, votes, leaders)

    def votes(self, s: State) -> Votes:
        """`votes[a]`: the <<bal, val>> pairs of a's 2b messages."""
        return self.sent[s.msgs].votes

    def chosen(self, s: State) -> frozenset[str]:
        """Voting's `chosen`: values a whole quorum voted for in one ballot."""
        return self._chosen[self.sent[s.msgs].votes]

    def safe(self, votes: Votes, max_bal: tuple[int, ...], b: int, v: str) -> bool:
        """Some quorum ShowsSafeAt(Q, b, v) over the given votes and maxBal."""
        return _shows_safe(votes, max_bal, self.quorums, b, v)

    # --- Inv of Paxos.tla ----------------------------------------------------------

    # Each invariant reads a few variables, and many states share their values: the
    # problems found in those values are worked out once per value (by the `_...`
    # functions below, through the memos of `__init__`), so a state costs look-ups.

    @invariant
    def type_ok(self, s: State) -> bool:
        """TypeOK: every variable holds values of the right kind (msgs within Message)."""
        problem = self._type_problems[s.maxBal, s.maxVBal, s.maxVal]
        assert not problem, problem
        if not s.msgs <= self._messages:
            bad = sorted(map(repr, s.msgs - self._messages))
            raise AssertionError(f"{bad[0]} is not a Message")
        return True

    def _type_problem(self, key: tuple) -> str:
        max_bal, max_vbal, max_val = key
        bals, vals = self._bals, self._vals
        if not bals.issuperset(max_bal):
            return f"maxBal = {max_bal}"
        if not bals.issuperset(max_vbal):
            return f"maxVBal = {max_vbal}"
        if not vals.issuperset(max_val):
            return f"maxVal = {max_val}"
        return ""

    @invariant
    def max_bal_covers_vote(self, s: State) -> bool:
        """maxBal[a] >= maxVBal[a] for every acceptor a."""
        problem = self._cover_problems[s.maxBal, s.maxVBal]
        assert not problem, problem
        return True

    def _cover_problem(self, key: tuple) -> str:
        max_bal, max_vbal = key
        bad = [a for a in range(self.nodes) if not max_bal[a] >= max_vbal[a]]
        return ", ".join(f"maxBal[{a}] < maxVBal[{a}]" for a in bad)

    @invariant
    def last_vote_is_a_vote(self, s: State) -> bool:
        """<<maxVBal[a], maxVal[a]>> is <<-1, None>> or one of a's votes."""
        problem = self._last_vote_problems[s.maxVBal, s.maxVal, self.votes(s)]
        assert not problem, problem
        return True

    def _last_vote_problem(self, key: tuple) -> str:
        max_vbal, max_val, votes = key
        for a, vbal, val in zip(range(self.nodes), max_vbal, max_val):
            if vbal == -1:
                if val is not None:
                    return f"acceptor {a} has maxVBal -1 but maxVal {val}"
            elif (vbal, val) not in votes[a]:
                return f"acceptor {a}'s last vote {(vbal, val)} was never sent as 2b"
        return ""

    @invariant
    def messages_consistent(self, s: State) -> bool:
        """Every sent 1b, 2a and 2b message agrees with the acceptors' state and votes."""
        sent = self.sent[s.msgs]
        votes = sent.votes
        joined = self._reply_problems[sent.replies, s.maxBal]
        claimed = self._claim_problems[self._claims[sent.replies], votes]
        proposed = self._proposal_problems[sent.proposals, votes, s.maxBal]
        cast = self._vote_problems[votes, s.maxVBal, sent.proposals]
        if joined or claimed or proposed or cast:
            # (message, what is wrong); the first by message is reported, and a 1b
            # message's ballot above maxBal before the vote it reports
            seen = {m for m, _ in joined}
            problems = [*joined, *(p for p in claimed if p[0] not in seen), *proposed, *cast]
            raise AssertionError(min(problems)[1])
        return True

    def _reply_problem(self, key: tuple) -> tuple[tuple[str, str], ...]:
        """1b messages for ballots above their sender's maxBal."""
        replies, max_bal = key
        return tuple(
            (repr(m), f"{m} but maxBal[{m[1]}] = {max_bal[m[1]]}")
            for m in replies
            if not max_bal[m[1]] >= m[2]
        )

    def _claims_in(self, replies: frozenset[Message]) -> tuple[Message, ...]:
        """The 1b messages that report a vote, sorted."""
        return tuple(sorted(m for m in replies if m[3] >= 0))

    def _claim_problem(self, key: tuple) -> tuple[tuple[str, str], ...]:
        """1b messages reporting a vote their sender never cast."""
        claims, votes = key
        return tuple(
            (repr(m), f"{m} reports a vote never cast")
            for m in claims
            if (m[3], m[4]) not in votes[m[1]]
        )

    def _proposal_problem(self, key: tuple) -> tuple[tuple[str, str], ...]:
        """2a messages no quorum shows safe, and ballots with two 2a messages."""
        proposals, votes, max_bal = key
        problems = []
        proposed: dict[int, tuple] = {}
        for m in proposals:
            _, bal, val = m
            if not self.safe(votes, max_bal, bal, val):
                problems.append((repr(m), f"{m} but no quorum shows {val!r} safe at ballot {bal}"))
            other = proposed.setdefault(bal, m)
            if other != m:
                first, second = sorted((m, other), key=repr)
                problems.append(
                    (repr(first), f"two 2a messages for ballot {bal}: {first} and {second}")
                )
        return tuple(problems)

    def _vote_problem(self, key: tuple) -> tuple[tuple[str, str], ...]:
        """2b messages above their sender's maxVBal, or without their 2a message."""
        votes, max_vbal, proposals = key
        problems = []
        for acc, cast in enumerate(votes):
            for bal, val in cast:
                if not max_vbal[acc] >= bal:
                    m = ("2b", acc, bal, val)
                    problems.append((repr(m), f"{m} but maxVBal[{acc}] = {max_vbal[acc]}"))
                elif ("2a", bal, val) not in proposals:
                    m = ("2b", acc, bal, val)
                    problems.append((repr(m), f"{m} without its 2a message"))
        return tuple(problems)

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
        votes, votes2 = self.sent[s.msgs].votes, self.sent[t.msgs].votes
        if votes == votes2:  # chosen is decided by the votes alone
            return True
        before, after = self._chosen[votes], self._chosen[votes2]
        assert before == after or (not before and len(after) == 1), (
            f"chosen went from {sorted(before)} to {sorted(after)}"
        )
        return True

    @step_invariant
    def refines_voting(self, s: State, t: State) -> bool:
        """V!Spec: each step stutters on <<votes, maxBal>> or is a step of Voting.tla."""
        votes, votes2 = self.sent[s.msgs].votes, self.sent[t.msgs].votes
        if votes == votes2 and s.maxBal == t.maxBal:
            return True
        problem = self._voting_steps[votes, s.maxBal, votes2, t.maxBal]
        assert not problem, problem
        return True

    def _voting_step(self, step: tuple[Votes, tuple[int, ...], Votes, tuple[int, ...]]) -> str:
        """Why <<votes, maxBal>> -> <<votes2, maxBal2>> is no step of Voting.tla ("" if it
        is one). Only those variables matter, so each such step is judged once."""
        votes, max_bal, votes2, max_bal2 = step
        moved = [a for a in range(self.nodes) if max_bal[a] != max_bal2[a]]
        if votes == votes2:
            if len(moved) != 1:
                return f"maxBal changed for acceptors {moved} in one step"
            a = moved[0]
            b = max_bal2[a]
            if not (b in range(self.ballots) and b > max_bal[a]):  # IncreaseMaxBal(a, b)
                return f"maxBal[{a}] went from {max_bal[a]} to {b}"
            return ""
        voted = [a for a in range(self.nodes) if votes[a] != votes2[a]]  # VoteFor(a, b, v)
        if not (len(voted) == 1 and set(moved) <= set(voted)):
            return f"acceptors {voted} voted and {moved} changed maxBal in one step"
        a = voted[0]
        b = max_bal2[a]
        new = votes2[a] - votes[a]
        if not (len(new) == 1 and votes[a] <= votes2[a]):
            return f"votes[{a}] became {sorted(votes2[a])}"
        ((vb, v),) = new
        if vb != b:
            return f"acceptor {a} voted in ballot {vb} but set maxBal to {b}"
        if max_bal[a] > b:
            return f"acceptor {a} voted in ballot {b} below maxBal {max_bal[a]}"
        if any(vt[0] == b for vt in votes[a]):
            return f"acceptor {a} voted twice in ballot {b}"
        if any(vt[1] != v for c in range(self.nodes) if c != a for vt in votes[c] if vt[0] == b):
            return f"acceptor {a} voted {v!r} in ballot {b}, where another value was voted"
        if not self.safe(votes, max_bal, b, v):
            return f"acceptor {a} voted {v!r} in ballot {b}, but no quorum showed it safe"
        return ""

    @reachable
    def some_value_chosen(self, s: State) -> bool:
        """A quorum of acceptors voted for one value in one ballot."""
        return bool(self.chosen(s))


def _chosen_by(votes: Votes, quorums: tuple[frozenset[int], ...]) -> frozenset[str]:
    """The values some quorum voted for in one ballot (acceptor sets as bit masks)."""
    voters: dict[tuple[int, str], int] = {}
    for a, cast in enumerate(votes):
        for vote in cast:
            voters[vote] = voters.get(vote, 0) | (1 << a)
    if not voters:
        return frozenset()
    masks = [sum(1 << a for a in q) for q in quorums]
    return frozenset(v for (_, v), acc in voters.items() if any(acc & q == q for q in masks))


@lru_cache(maxsize=1 << 16)
def _shows_safe(
    votes: Votes,
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
