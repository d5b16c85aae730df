"""What a search returns and the events it emits while running."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from checker.spec import ActionLabel
from checker.trace import Trace


class Verdict(str, Enum):
    """The outcome of a check; `exit_code` is the CLI's contract."""

    HOLDS = "holds"
    VIOLATED = "violated"
    INCOMPLETE = "incomplete"
    SPEC_ERROR = "spec error"

    @property
    def exit_code(self) -> int:
        return {"holds": 0, "violated": 1, "incomplete": 3, "spec error": 4}[self.value]


class ViolationKind(str, Enum):
    INVARIANT = "invariant"
    STEP_INVARIANT = "step invariant"
    DEADLOCK = "deadlock"
    REACHABLE = "reachable"


@dataclass(frozen=True)
class Violation:
    """A property that failed. `trace` ends in the offending state (or step)."""

    property: str
    kind: ViolationKind
    message: str
    trace: Trace | None


@dataclass(frozen=True)
class SpecError:
    """The spec itself misbehaved: an exception, nondeterminism, an invalid state."""

    where: str
    message: str
    trace: Trace | None
    details: str = ""


@dataclass(frozen=True)
class ActionCoverage:
    """How often one action (or fault) produced a successor."""

    name: str
    fired: int
    is_fault: bool


@dataclass(frozen=True)
class Stats:
    """Counts of a search. `depth` follows TLC: the initial states are depth 1."""

    distinct: int
    generated: int
    depth: int
    elapsed: float
    queue: int
    coverage: tuple[ActionCoverage, ...]
    witnessed: tuple[str, ...]
    exact: bool = False
    orbits: int | None = None  # with symmetry="count": classes of symmetric states
    workers: int = 1  # processes that explored (see CheckOptions.workers)
    workers_reason: str = ""  # why the automatic choice took several
    lent: int = 0  # states a worker handed another to expand, evening out a level
    shipped: int = 0  # states a worker shipped to the worker owning them
    by_locality: bool = False  # workers owned states by the spec's locality

    @property
    def states_per_second(self) -> float:
        return self.generated / self.elapsed if self.elapsed > 0 else float(self.generated)

    @property
    def collision_probability(self) -> float:
        """TLC's optimistic estimate: distinct * (generated - distinct) / 2**64 (0 if exact)."""
        if self.exact:
            return 0.0
        return self.distinct * max(self.generated - self.distinct, 0) / 2.0**64


class Edge(NamedTuple):
    """One recorded transition of the state graph, between two fingerprints."""

    src: int
    dst: int
    label: ActionLabel


@dataclass(frozen=True)
class StateGraph:
    """The part of the state graph a search recorded (see `CheckOptions.graph_limit`).

    `complete` is True only when every reachable state and transition is in it (with a
    depth bound: every one within the bound).
    """

    states: dict[int, Any]
    initial: tuple[int, ...]
    edges: tuple[Edge, ...]
    complete: bool


@dataclass(frozen=True)
class Result:
    """The answer of `check`: a verdict plus what supports it."""

    verdict: Verdict
    stats: Stats
    violation: Violation | None = None
    error: SpecError | None = None
    incomplete_reason: str | None = None
    unknown_reachables: tuple[str, ...] = ()
    graph: StateGraph | None = None

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


@dataclass(frozen=True)
class Progress:
    """Emitted every `progress_interval` seconds while searching."""

    elapsed: float
    distinct: int
    generated: int
    queue: int
    depth: int

    @property
    def states_per_second(self) -> float:
        return self.generated / self.elapsed if self.elapsed > 0 else 0.0
