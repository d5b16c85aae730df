"""Plain-text reports: the verdict, a numbered trace of changes, and the summary."""

from __future__ import annotations

from checker.engine.result import Progress, Result, SpecError, Stats, Verdict, Violation
from checker.report.diff import diff
from checker.report.run import RunInfo
from checker.report.values import show, state_lines
from checker.state import State
from checker.trace import Trace

_INDENT = "      "


def _steps(n: int) -> str:
    return f"{n} step" if n == 1 else f"{n} steps"


def format_trace(trace: Trace) -> list[str]:
    """Numbered steps: the initial state in full, then each action and what it changed."""
    first = trace.steps[0].state
    lines = ["  0. initial state"]
    if isinstance(first, State):
        lines += [f"{_INDENT}{key} = {text}" for key, text in state_lines(first)]
    else:
        lines.append(f"{_INDENT}{show(first)}")
    for k, (prev, step) in enumerate(zip(trace.steps, trace.steps[1:]), start=1):
        marker = "  [fault]" if step.label is not None and step.label.is_fault else ""
        lines.append(f"{k:>3}. {step.label}{marker}")
        changes = diff(prev.state, step.state)
        if not changes:
            lines.append(f"{_INDENT}(no change)")
        for c in changes:
            if c.is_set_change:
                for v in c.added:
                    lines.append(f"{_INDENT}{c.path}: + {show(v)}")
                for v in c.removed:
                    lines.append(f"{_INDENT}{c.path}: - {show(v)}")
            else:
                lines.append(f"{_INDENT}{c.path}: {show(c.before)} -> {show(c.after)}")
    return lines


def format_violation(violation: Violation) -> list[str]:
    kind = violation.kind.value
    lines = [
        f"VIOLATED: {kind} `{violation.property}`"
        if violation.property != "deadlock"
        else "VIOLATED: deadlock"
    ]
    if violation.message:
        lines.append(f"  {violation.message}")
    if violation.trace is not None:
        lines.append(f"Counterexample ({_steps(len(violation.trace))}):")
        lines += format_trace(violation.trace)
        if violation.kind.value == "deadlock":
            lines.append(
                "  No step but faults is enabled in the last state, and it is not terminal."
            )
    return lines


def format_error(error: SpecError) -> list[str]:
    lines = [f"SPEC ERROR in {error.where}: {error.message}"]
    if error.trace is not None:
        lines.append(f"Reached in {_steps(len(error.trace))}:")
        lines += format_trace(error.trace)
    if error.details:
        lines.append("Python said:")
        lines += ["  " + line for line in error.details.rstrip().splitlines()]
    return lines


def format_stats(stats: Stats, complete: bool = True) -> list[str]:
    lines = [
        f"States: {stats.distinct:,} distinct, {stats.generated:,} generated, depth "
        f"{stats.depth}, {stats.elapsed:.2f} s ({stats.states_per_second:,.0f} states/s)"
    ]
    if stats.queue:
        lines.append(f"Left unexplored in the queue: {stats.queue:,}")
    fired = [c for c in stats.coverage if c.fired]
    never = [c for c in stats.coverage if not c.fired]
    if fired:
        lines.append(
            "Coverage: "
            + ", ".join(f"{c.name}{' (fault)' if c.is_fault else ''} {c.fired:,}" for c in fired)
        )
    if never:
        lead = "Never fired (dead code?): " if complete else "Not fired before the search stopped: "
        lines.append(lead + ", ".join(f"{c.name}{' (fault)' if c.is_fault else ''}" for c in never))
    if stats.witnessed:
        lines.append("Reachable, witnessed: " + ", ".join(stats.witnessed))
    if stats.workers > 1:
        why = f" (chosen automatically: {stats.workers_reason})" if stats.workers_reason else ""
        owned = ", owning states by the spec's locality" if stats.by_locality else ""
        moved = [f"{stats.shipped:,} states shipped to their owners"] if stats.shipped else []
        if stats.lent:
            moved.append(f"{stats.lent:,} {'' if moved else 'states '}lent to even out levels")
        line = f"Workers: {stats.workers} processes{owned}{why}"
        lines.append(line + "; " + ", ".join(moved) if moved else line)
    if stats.exact:
        lines.append("Visited set: exact (whole states kept; no fingerprint collisions)")
        return lines
    lines.append(
        f"Fingerprint collision probability: {stats.collision_probability:.1e} "
        "(optimistic estimate, as TLC computes it)"
    )
    return lines


def format_result(result: Result, run: RunInfo) -> list[str]:
    """The whole report of a run, as printed and as saved to the .txt file."""
    header = f"{run.spec_name}  {run.params_text()}".rstrip()
    lines = [header]
    if result.verdict is Verdict.HOLDS:
        lines.append("HOLDS: every property holds in every reachable state (exhaustive search)")
    elif result.verdict is Verdict.INCOMPLETE:
        lines.append(f"INCOMPLETE: {result.incomplete_reason}; nothing is proven")
        if result.unknown_reachables:
            lines.append("  Not yet witnessed: " + ", ".join(result.unknown_reachables))
    elif result.violation is not None:
        lines += format_violation(result.violation)
    elif result.error is not None:
        lines += format_error(result.error)
    lines += format_stats(result.stats, complete=result.verdict is Verdict.HOLDS)
    return lines


def format_progress(p: Progress) -> str:
    return (
        f"  {p.elapsed:6.1f} s  {p.distinct:,} distinct  {p.generated:,} generated  "
        f"{p.states_per_second:,.0f}/s  queue {p.queue:,}  depth {p.depth}"
    )
