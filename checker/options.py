"""The one frozen options object that configures a check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from checker.syntax import format_value

#: spec parameters that have a command-line flag of their own (`--nodes 3`, `--drop 1`)
FLAG_PARAMS = ("nodes", "faults", "network", "drop", "duplicate", "partitions")


def param_words(params: Iterable[tuple[str, Any]]) -> list[str]:
    """Command-line words that set these parameters: `--nodes 3`, `--param values=2`."""
    words: list[str] = []
    for key, value in params:
        if key in FLAG_PARAMS:
            words += [f"--{key}", value if isinstance(value, str) else format_value(value)]
        else:
            words += ["--param", f"{key}={format_value(value)}"]
    return words


class Strategy(str, Enum):
    """Frontier discipline: BFS finds shortest counterexamples, DFS uses less queue."""

    BFS = "bfs"
    DFS = "dfs"


@dataclass(frozen=True)
class CheckOptions:
    """How to search. Every field has a default; a new behaviour is a new field.

    `max_depth` counts steps from an initial state; `max_states` counts distinct
    states; `time_limit` is in seconds. Hitting any of them makes the verdict
    incomplete unless nothing was actually cut off.
    """

    strategy: Strategy = Strategy.BFS
    max_depth: int | None = None
    max_states: int | None = None
    time_limit: float | None = None
    #: True: keep whole states in the visited set (no collision is possible, more
    #: memory); False: 64-bit fingerprints from the start (TLC's way: compact, a tiny
    #: collision risk); None: whole states, which is faster, until the search's
    #: processes hold a quarter of the machine's memory, then fingerprints (the run then
    #: reports the collision risk)
    exact: bool | None = None
    #: "off"; "on": states that differ only by a renaming of interchangeable nodes
    #: (the spec's `permute`) count as one; "count": explore unreduced but also count
    #: those classes (orbits), for checking that `permute` really is a symmetry
    symmetry: str = "off"
    check_deadlock: bool = True
    progress_interval: float = 3.0
    #: record the state graph (states and labelled edges) while it has at most this many
    #: states; None records nothing. For drawing small spaces, not for big runs.
    graph_limit: int | None = None
    #: processes for a breadth-first search: 1 is this process only; N > 1
    #: forks N workers that own a share of the states each; None decides by itself:
    #: a search still running after a second, whose states cost at least 15
    #: microseconds each, whose next level holds at least 0.25 s of expanding, and for
    #: which workers are predicted to be 1.45x faster, hands that level to a worker per
    #: core (see `engine.search._choose_and_run`)
    workers: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_depth", "max_states"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.symmetry not in ("off", "on", "count"):
            raise ValueError(f"symmetry must be off, on or count, not {self.symmetry!r}")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError(f"time_limit must be > 0 seconds, got {self.time_limit}")
