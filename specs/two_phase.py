"""Two-phase commit as Gray and Lamport specify it in TwoPhase.tla (tlaplus/Examples).

A transcription of `specifications/transaction_commit/TwoPhase.tla`, with the
resource managers `RM` numbered 0..nodes-1 (TwoPhase.cfg has three: 288 distinct
states, depth 11, in TLC).

Variables:

- `rmState[rm]`: "working", "prepared", "committed" or "aborted", a tuple with one
  slot per resource manager;
- `tmState`: the transaction manager's "init", "committed" or "aborted";
- `tmPrepared`: the RMs whose Prepared message the TM has taken in, a frozenset;
- `msgs`: every message ever sent, a frozenset that only grows. A message is a
  tuple whose first item is its type: ("Prepared", rm), ("Commit",), ("Abort",).

Next (TPNext) is the disjunction of the TM's actions `TMRcvPrepared(rm)`,
`TMCommit`, `TMAbort` and the RMs' `RMPrepare(rm)`, `RMChooseToAbort(rm)`,
`RMRcvCommitMsg(rm)`, `RMRcvAbortMsg(rm)`. As in the TLA+, receiving a message
does not look at the receiver's own state and may happen again, so taking in a
message twice is a stuttering step. Hence no state is a deadlock: while the TM is
in "init" it may abort, and once it has decided, its decision can be received
again. The default deadlock check therefore passes, as it does in TLC.

Properties: TPTypeOK, TCommit.tla's TCConsistent (no RM committed while another
aborted) and, as a step invariant, the module's theorem TPSpec => TC!TCSpec: every
step leaves rmState alone or is a Prepare(rm) or Decide(rm) step of TCommit.tla.
`all_committed` and `all_aborted` must be reachable, so a vacuous pass is refused.
"""

from __future__ import annotations

from checker import Spec, State, action, invariant, reachable, step_invariant, with_item

Message = tuple

COMMIT: Message = ("Commit",)
ABORT: Message = ("Abort",)

RM_STATES = frozenset({"working", "prepared", "committed", "aborted"})
TM_STATES = frozenset({"init", "committed", "aborted"})


def _rms(self: TwoPhase) -> range:
    return range(self.nodes)


class TwoPhase(Spec):
    """TwoPhase.tla: a TM gathers Prepared messages, then broadcasts Commit or Abort."""

    name = "two-phase-commit"

    def __init__(self, nodes: int = 3):
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1, got {nodes}")
        self.nodes = nodes
        self.rm_set: frozenset[int] = frozenset(range(nodes))

    def permute(self, s: State, perm: dict[int, int]) -> State:
        """Rename resource managers: they are interchangeable (TLC's Permutations(RM))."""
        rm_state = [""] * self.nodes
        for rm, st in enumerate(s.rmState):
            rm_state[perm[rm]] = st
        return s.set(
            rmState=tuple(rm_state),
            tmPrepared=frozenset(perm[rm] for rm in s.tmPrepared),
            msgs=frozenset(("Prepared", perm[m[1]]) if m[0] == "Prepared" else m for m in s.msgs),
        )

    def node_signature(self, s: State, rm: int) -> tuple[str, bool, bool]:
        """All a state says about one RM: its state, and whether the TM took in its
        Prepared message and whether it sent one (so --symmetry renames by sorting)."""
        return (s.rmState[rm], rm in s.tmPrepared, ("Prepared", rm) in s.msgs)

    def locality(self, s: State) -> tuple[str, frozenset[int]]:
        """The TM's state (see `Spec.locality`): only the TM's steps change it, 4% of all
        with 6 RMs, so with --workers most successors stay with their state's owner."""
        return (s.tmState, s.tmPrepared)

    # --- Init and Next -------------------------------------------------------------

    def init_states(self):
        yield State(
            rmState=("working",) * self.nodes,
            tmState="init",
            tmPrepared=frozenset(),
            msgs=frozenset(),
        )

    @action(rm=_rms)
    def TMRcvPrepared(self, s: State, rm: int) -> State | None:
        """The TM, still undecided, takes in rm's Prepared message."""
        if s.tmState != "init" or ("Prepared", rm) not in s.msgs:
            return None
        return s.set(tmPrepared=s.tmPrepared | {rm})

    @action()
    def TMCommit(self, s: State) -> State | None:
        """The TM commits once it has a Prepared message from every RM."""
        if s.tmState != "init" or s.tmPrepared != self.rm_set:
            return None
        return s.set(tmState="committed", msgs=s.msgs | {COMMIT})

    @action()
    def TMAbort(self, s: State) -> State | None:
        """The undecided TM aborts, whenever it likes."""
        if s.tmState != "init":
            return None
        return s.set(tmState="aborted", msgs=s.msgs | {ABORT})

    @action(rm=_rms)
    def RMPrepare(self, s: State, rm: int) -> State | None:
        """A working RM prepares and tells the TM so."""
        if s.rmState[rm] != "working":
            return None
        return s.set(
            rmState=with_item(s.rmState, rm, "prepared"),
            msgs=s.msgs | {("Prepared", rm)},
        )

    @action(rm=_rms)
    def RMChooseToAbort(self, s: State, rm: int) -> State | None:
        """A working RM aborts on its own, sending nothing."""
        if s.rmState[rm] != "working":
            return None
        return s.set(rmState=with_item(s.rmState, rm, "aborted"))

    @action(rm=_rms)
    def RMRcvCommitMsg(self, s: State, rm: int) -> State | None:
        """An RM receives the TM's Commit (whatever its own state) and commits."""
        if COMMIT not in s.msgs:
            return None
        return s.set(rmState=with_item(s.rmState, rm, "committed"))

    @action(rm=_rms)
    def RMRcvAbortMsg(self, s: State, rm: int) -> State | None:
        """An RM receives the TM's Abort (whatever its own state) and aborts."""
        if ABORT not in s.msgs:
            return None
        return s.set(rmState=with_item(s.rmState, rm, "aborted"))

    # --- properties ----------------------------------------------------------------

    @invariant
    def TPTypeOK(self, s: State) -> bool:
        """Each variable holds a value of its type; msgs is a subset of Message."""
        assert len(s.rmState) == self.nodes and all(x in RM_STATES for x in s.rmState), (
            f"rmState = {s.rmState}"
        )
        assert s.tmState in TM_STATES, f"tmState = {s.tmState!r}"
        assert s.tmPrepared <= self.rm_set, f"tmPrepared = {sorted(s.tmPrepared)}"
        for m in s.msgs:
            ok = m in (COMMIT, ABORT) or (
                len(m) == 2 and m[0] == "Prepared" and m[1] in self.rm_set
            )
            assert ok, f"{m!r} is not a Message"
        return True

    @invariant
    def TCConsistent(self, s: State) -> bool:
        """No RM has committed while another has aborted."""
        states = s.rmState
        assert "committed" not in states or "aborted" not in states, (
            f"RM {states.index('committed')} committed but RM {states.index('aborted')} aborted"
        )
        return True

    @step_invariant
    def refines_TCommit(self, s: State, t: State) -> bool:
        """TC!TCSpec: each step stutters on rmState or is Prepare(rm) or Decide(rm)."""
        before, after = s.rmState, t.rmState
        if before is after or before == after:
            return True
        moved = [rm for rm in range(self.nodes) if before[rm] != after[rm]]
        assert len(moved) == 1, f"RMs {moved} changed state in one step"
        rm = moved[0]
        old, new = before[rm], after[rm]
        if new == "prepared":  # Prepare(rm)
            ok = old == "working"
        elif new == "committed":  # Decide(rm), commit branch: canCommit
            ok = old == "prepared" and all(x in ("prepared", "committed") for x in before)
        elif new == "aborted":  # Decide(rm), abort branch: notCommitted
            ok = old in ("working", "prepared") and "committed" not in before
        else:
            ok = False
        assert ok, f"RM {rm} went from {old} to {new} with rmState = {before}"
        return True

    @reachable
    def all_committed(self, s: State) -> bool:
        """Every RM committed the transaction."""
        return all(x == "committed" for x in s.rmState)

    @reachable
    def all_aborted(self, s: State) -> bool:
        """Every RM aborted the transaction."""
        return all(x == "aborted" for x in s.rmState)
