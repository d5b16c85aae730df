"""Catalogue entries: named, ready-to-run specs with the verdicts they promise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.options import param_words
from checker.spec import Spec


@dataclass(frozen=True)
class Expectation:
    """A promised outcome: with these parameters, this verdict (and trace length).

    `verdict` is "holds" or "violated"; a violation names its property and the
    length of the shortest (BFS) counterexample. The test suite runs every one.
    """

    params: tuple[tuple[str, Any], ...]
    verdict: str
    property: str | None = None
    length: int | None = None
    slow: bool = False  # the test suite runs it only with -m slow

    def describe(self) -> str:
        args = " ".join(param_words(self.params))
        if self.verdict == "holds":
            outcome = "holds"
        else:
            steps = "step" if self.length == 1 else "steps"
            outcome = f"violates {self.property} ({self.length} {steps})"
        return f"{args}: {outcome}" if args else outcome


@dataclass(frozen=True)
class Entry:
    """One catalogue spec or buggy variant."""

    name: str
    spec: type[Spec]
    family: str
    summary: str
    expectations: tuple[Expectation, ...] = ()
    fixed: dict[str, Any] = field(default_factory=dict)


def holds(slow: bool = False, **params: Any) -> Expectation:
    return Expectation(tuple(params.items()), "holds", slow=slow)


def violates(prop: str, length: int, slow: bool = False, **params: Any) -> Expectation:
    return Expectation(tuple(params.items()), "violated", prop, length, slow)
