"""Shared-memory consensus on one register X: lock-based, CAS, and lock-less.

Processes 0..n-1 propose values 'v0', 'v1', ... and share atomic registers. One
action is one atomic step of one process, with an explicit program counter `pc`;
a process decides in the same step as its last register operation. A crash (a
fault, counted against --faults) stops a process at any point, including while it
holds the lock.

- `LockRegister`: acquire lock; read X; if X is empty write own value; release and
  decide. Safe, but a crash while holding the lock blocks everyone else forever.
- `CasRegister`: CAS(X, empty, own value), then decide X. Safe and wait-free.
- `LocklessRegister`: the version-number scheme `if read(V) > N: return;
  write(V, N); if read(X) is empty: write(X, v)`, where N is unique per process.
  Reads and writes are separate steps, so it violates agreement; re-reading V just
  before writing X does not help, as read/write registers have
  consensus number 1 (`LocklessRecheckRegister`). A process that returns early
  gives up without deciding.
"""

from __future__ import annotations

from checker import Spec, State, action, fault, invariant, step_invariant, terminal, with_item

DONE = "done"
RETURNED = "returned"


def _procs(self: RegisterConsensus) -> range:
    return range(self.nodes)


class RegisterConsensus(Spec):
    """What the register family shares: parameters, crashes and the safety properties."""

    def __init__(self, nodes: int = 2, faults: int = 0):
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1, got {nodes}")
        if faults < 0:
            raise ValueError(f"faults must be at least 0, got {faults}")
        self.nodes = nodes
        self.faults = faults
        self.values = tuple(f"v{p}" for p in range(nodes))

    def fresh(self, first_pc: str, **extra: object) -> State:
        n = self.nodes
        return State(**extra, pc=(first_pc,) * n, decided=(None,) * n, crashed=(False,) * n)

    def at(self, s: State, p: int, pc: str) -> bool:
        """Whether process p is alive and about to run step `pc`."""
        return s.pc[p] == pc and not s.crashed[p]

    def move(self, s: State, p: int, pc: str, **changes: object) -> State:
        return s.set(pc=with_item(s.pc, p, pc), **changes)

    def decide(self, s: State, p: int, value: object, **changes: object) -> State:
        return s.set(pc=with_item(s.pc, p, DONE), decided=with_item(s.decided, p, value), **changes)

    @fault(p=_procs)
    def crash(self, s: State, p: int) -> State | None:
        if s.crashed[p] or s.pc[p] in (DONE, RETURNED):
            return None
        return s.set(crashed=with_item(s.crashed, p, True))

    @invariant
    def agreement(self, s: State) -> bool:
        """No two processes decide different values."""
        decided = {(p, d) for p, d in enumerate(s.decided) if d is not None}
        values = {d for _, d in decided}
        assert len(values) <= 1, "processes decided different values: " + ", ".join(
            f"P{p} decided {d!r}" for p, d in sorted(decided)
        )
        return True

    @invariant
    def validity(self, s: State) -> bool:
        """Every decision is some process's proposal."""
        bad = [(p, d) for p, d in enumerate(s.decided) if d is not None and d not in self.values]
        assert not bad, f"decisions that nobody proposed: {bad}"
        return True

    @invariant
    def decisions_match_register(self, s: State) -> bool:
        """Every decision equals the register's current value (write-once, part 1)."""
        bad = [(p, d) for p, d in enumerate(s.decided) if d is not None and d != s.X]
        assert not bad, f"X = {s.X!r} but " + ", ".join(f"P{p} decided {d!r}" for p, d in bad)
        return True

    @step_invariant
    def write_once(self, s: State, t: State) -> bool:
        """Once X is set it never changes (write-once, part 2)."""
        assert s.X is None or t.X == s.X, f"X changed from {s.X!r} to {t.X!r}"
        return True

    def explain_deadlock(self, s: State) -> str:
        waiting = [
            p for p in range(self.nodes) if not s.crashed[p] and s.pc[p] not in (DONE, RETURNED)
        ]
        crashed = [p for p in range(self.nodes) if s.crashed[p]]
        text = ", ".join(f"P{p} waits at {s.pc[p]!r}" for p in waiting) + " forever"
        if crashed:
            text += "; crashed: " + ", ".join(f"P{p}" for p in crashed)
        return text

    @terminal
    def all_finished(self, s: State) -> bool:
        """Every process that has not crashed has decided or returned."""
        return all(c or pc in (DONE, RETURNED) for pc, c in zip(s.pc, s.crashed))


class LockRegister(RegisterConsensus):
    """Lock-based: acquire; read X; write own value if X is empty; release and decide."""

    name = "lock-register"

    def init_states(self):
        yield self.fresh("acquire", lock=None, X=None, seen=(None,) * self.nodes)

    @action(p=_procs)
    def acquire(self, s: State, p: int) -> State | None:
        if not self.at(s, p, "acquire") or s.lock is not None:
            return None
        return self.move(s, p, "read_X", lock=p)

    @action(p=_procs)
    def read_X(self, s: State, p: int) -> State | None:  # noqa: N802 - register names
        if not self.at(s, p, "read_X"):
            return None
        nxt = "write_X" if s.X is None else "release"
        return self.move(s, p, nxt, seen=with_item(s.seen, p, s.X))

    @action(p=_procs)
    def write_X(self, s: State, p: int) -> State | None:  # noqa: N802
        if not self.at(s, p, "write_X"):
            return None
        v = self.values[p]
        return self.move(s, p, "release", X=v, seen=with_item(s.seen, p, v))

    @action(p=_procs)
    def release(self, s: State, p: int) -> State | None:
        if not self.at(s, p, "release"):
            return None
        return self.decide(s, p, s.seen[p], lock=None)

    def explain_deadlock(self, s: State) -> str:
        text = super().explain_deadlock(s)
        if s.lock is not None and s.crashed[s.lock]:
            text += f" (P{s.lock} crashed while holding the lock)"
        return text


class CasRegister(RegisterConsensus):
    """Compare-and-swap: CAS(X, empty, own value) and decide X in one atomic step."""

    name = "cas-register"

    def init_states(self):
        yield self.fresh("cas", X=None)

    @action(p=_procs)
    def cas(self, s: State, p: int) -> State | None:
        if not self.at(s, p, "cas"):
            return None
        x = self.values[p] if s.X is None else s.X
        return self.decide(s, p, x, X=x)


class LocklessRegister(RegisterConsensus):
    """Version numbers over plain reads and writes (unsafe): see the module docstring."""

    name = "lockless-register"

    def number(self, p: int) -> int:
        """Process p's unique sequence number N."""
        return p + 1

    def init_states(self):
        yield self.fresh("read_V", V=0, X=None)

    def _check_version(self, s: State, p: int, pc: str, nxt: str) -> State | None:
        if not self.at(s, p, pc):
            return None
        if s.V > self.number(p):
            return self.move(s, p, RETURNED)
        return self.move(s, p, nxt)

    @action(p=_procs)
    def read_V(self, s: State, p: int) -> State | None:  # noqa: N802
        return self._check_version(s, p, "read_V", "write_V")

    @action(p=_procs)
    def write_V(self, s: State, p: int) -> State | None:  # noqa: N802
        if not self.at(s, p, "write_V"):
            return None
        return self.move(s, p, "read_X", V=self.number(p))

    @action(p=_procs)
    def read_X(self, s: State, p: int) -> State | None:  # noqa: N802
        if not self.at(s, p, "read_X"):
            return None
        if s.X is not None:
            return self.decide(s, p, s.X)
        return self.move(s, p, self.before_write)

    before_write = "write_X"

    @action(p=_procs)
    def write_X(self, s: State, p: int) -> State | None:  # noqa: N802
        if not self.at(s, p, "write_X"):
            return None
        v = self.values[p]
        return self.decide(s, p, v, X=v)


class LocklessRecheckRegister(LocklessRegister):
    """The lock-less scheme that re-reads V just before writing X (still unsafe)."""

    name = "lockless-register-recheck"
    before_write = "recheck_V"

    @action(p=_procs)
    def recheck_V(self, s: State, p: int) -> State | None:  # noqa: N802
        return self._check_version(s, p, "recheck_V", "write_X")
