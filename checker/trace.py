"""Counterexample paths: rebuilt by replaying the spec, never stored whole.

The engine keeps, per state, only its parent's key (the parent state in exact mode,
its fingerprint otherwise). A trace is rebuilt by replaying from the initial state,
taking at each state the first step that reaches the next key on the path; when none
does, the spec is not deterministic, which is itself a bug in the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from checker.model import Model, SpecRuntimeError
from checker.spec import ActionLabel


class ReplayError(Exception):
    """A path could not be replayed: the spec changed, or it is not deterministic."""


_NONDETERMINISM_HINT = (
    "The spec is not deterministic: the same step from the same state gave a "
    "different result. Usual causes: iterating over a set or dict whose order "
    "varies between runs, randomness, time, or hidden mutable state (attributes of "
    "self or globals changed by an action)."
)


@dataclass(frozen=True)
class Step:
    """One step of a trace: the label that led here (None for the initial state)."""

    label: ActionLabel | None
    state: Any
    fingerprint: int


@dataclass(frozen=True)
class Trace:
    """A path from an initial state; `steps[0]` is the initial state.

    `initial` is that state's position among the spec's initial states.
    """

    steps: tuple[Step, ...]
    initial: int = 0

    def __len__(self) -> int:
        """The number of actions taken (the initial state is not a step)."""
        return len(self.steps) - 1

    @property
    def last(self) -> Step:
        return self.steps[-1]

    def extended(self, step: Step) -> Trace:
        return Trace(self.steps + (step,), self.initial)


def replay_keys(
    model: Model, keys: Sequence[Any], key: Callable[[Any], Any] | None = None
) -> tuple[Trace, Any]:
    """Rebuild the trace through states with the given keys, in order.

    `keys[0]` is an initial state's; each next one must be reached by one step from
    the previous state: the first step (in successor order) that reaches it is
    taken. Returns the trace and the final model state. Raises `ReplayError` when the
    spec does not reproduce the path. `key` is what the search keyed states by (the
    fingerprint by default; the state itself in exact mode).
    """
    key = key or model.fingerprint
    initial = model.initial()
    init_index = next((i for i, st in enumerate(initial) if key(st) == keys[0]), None)
    if init_index is None:
        raise ReplayError(
            f"no initial state is the one found during the search. {_NONDETERMINISM_HINT}"
        )
    st = initial[init_index]
    steps = [Step(None, model.user_state(st), model.fingerprint(st))]
    for k, wanted in enumerate(keys[1:], start=1):
        successors = list(model.successors(st))
        tr = next((tr for tr in successors if key(tr.target) == wanted), None)
        if tr is None:
            enabled = ", ".join(str(model.label(t)) for t in successors[:5]) or "none"
            more = ", ..." if len(successors) > 5 else ""
            raise ReplayError(
                f"step {k}: none of the steps enabled now ({enabled}{more}) reaches the "
                f"state the search reached. {_NONDETERMINISM_HINT}"
            )
        st = tr.target
        steps.append(Step(model.label(tr), model.user_state(st), model.fingerprint(st)))
    return Trace(tuple(steps), init_index), st


def replay_labels(
    model: Model, labels: Sequence[tuple[str, tuple]], init_index: int = 0
) -> tuple[Trace, list[Any]]:
    """Replay a path given by labels (as saved in a counterexample file).

    Returns the trace and the model states along it. Raises `ReplayError` naming
    the first step whose action is not enabled, which means the spec has changed.
    """
    initial = model.initial()
    if not 0 <= init_index < len(initial):
        raise ReplayError(
            f"the spec has {len(initial)} initial states; no initial state {init_index}"
        )
    st = initial[init_index]
    states = [st]
    steps = [Step(None, model.user_state(st), model.fingerprint(st))]
    for k, (name, params) in enumerate(labels, start=1):
        wanted = (name, tuple(params))
        try:
            successors = list(model.successors(st))
        except SpecRuntimeError as err:
            raise ReplayError(f"step {k}: {err}") from err
        match = next(
            (tr for tr in successors if (model.label(tr).name, model.label(tr).params) == wanted),
            None,
        )
        if match is None:
            enabled = ", ".join(sorted({str(model.label(tr)) for tr in successors})) or "none"
            shown = ActionLabel(name, tuple(params))
            raise ReplayError(
                f"step {k}: {shown} is not enabled in the current spec (enabled: {enabled})"
            )
        st = match.target
        states.append(st)
        steps.append(Step(model.label(match), model.user_state(st), model.fingerprint(st)))
    return Trace(tuple(steps), init_index), states


def confirm_violation(model: Model, states: Sequence[Any], kind: str, name: str) -> str | None:
    """Re-check a saved violation at the end of a replayed path.

    Returns the explanation (possibly empty) when the property still fails there,
    or None when the current spec no longer violates it.
    """
    final = states[-1]
    if kind == "invariant":
        failure = model.check_invariants(final, only=name)
    elif kind == "step invariant":
        if len(states) < 2:
            return None
        failure = model.check_step(states[-2], final, only=name)
    elif kind == "deadlock":
        stuck = all(model.is_fault(tr.action) for tr in model.successors(final))
        return "" if stuck and not model.is_terminal(final) else None
    else:
        raise ReplayError(f"cannot re-check a violation of kind {kind!r}")
    return None if failure is None else failure.message
