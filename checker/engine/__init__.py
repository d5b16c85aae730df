"""The search engine: `check(spec, options) -> Result`."""

from checker.engine.result import (
    ActionCoverage,
    Progress,
    Result,
    SpecError,
    Stats,
    Verdict,
    Violation,
    ViolationKind,
)
from checker.engine.search import check

__all__ = [
    "ActionCoverage",
    "Progress",
    "Result",
    "SpecError",
    "Stats",
    "Verdict",
    "Violation",
    "ViolationKind",
    "check",
]
