"""The search engine: `check(spec, options) -> Result`."""

from checker.engine.result import (
    ActionCoverage,
    Edge,
    Progress,
    Result,
    SpecError,
    StateGraph,
    Stats,
    Verdict,
    Violation,
    ViolationKind,
)
from checker.engine.search import check

__all__ = [
    "ActionCoverage",
    "Edge",
    "Progress",
    "Result",
    "SpecError",
    "StateGraph",
    "Stats",
    "Verdict",
    "Violation",
    "ViolationKind",
    "check",
]
