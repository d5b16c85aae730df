"""The search loop: one loop for every strategy, returning a `Result`.

It never prints, exits or writes files; progress goes to an optional observer.
Invariants are checked when a state is first reached, so with BFS the first
violation found has a shortest trace; step invariants are checked on every
transition, after the target's own invariants. Deadlock (a state that is not terminal and
has no enabled non-fault step) is checked when a state is expanded.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Callable
from typing import Any

from checker.engine.frontier import make_frontier
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
from checker.engine.visited import Visited
from checker.model import Model, PropertyFailure, SpecRuntimeError, Transition, compile_spec
from checker.options import CheckOptions
from checker.spec import Spec
from checker.trace import ReplayError, Step, Trace, replay_indices

Observer = Callable[[Progress], None]

_CLOCK_EVERY = 256  # expansions between looks at the clock


def _same(st: Any) -> Any:
    """Exact mode keys states by themselves (their own hash and equality)."""
    return st


class _Recorder:
    """Keeps the states and labelled edges of a small state space, up to a limit."""

    def __init__(self, model: Model, limit: int):
        self.model = model
        self.limit = limit
        self.states: dict[int, Any] = {}
        self.initial: list[int] = []
        self.edges: list[Edge] = []
        self.overflow = False

    def state(self, fp: int, st: Any, initial: bool) -> None:
        if len(self.states) >= self.limit:
            self.overflow = True
            return
        self.states[fp] = self.model.user_state(st)
        if initial:
            self.initial.append(fp)

    def edge(self, src: int, dst: int, tr: Transition) -> None:
        if src in self.states and dst in self.states:
            self.edges.append(Edge(src, dst, self.model.label(tr)))

    def graph(self, complete: bool) -> StateGraph:
        return StateGraph(
            dict(self.states),
            tuple(self.initial),
            tuple(self.edges),
            complete and not self.overflow,
        )


class _Found(Exception):
    """Ends the loop early with a finished result."""

    def __init__(self, result: Result):
        self.result = result


def check(
    spec: Spec | Model, options: CheckOptions | None = None, observer: Observer | None = None
) -> Result:
    """Explore every state reachable in `spec` and report whether its properties hold.

    Raises `SpecDefinitionError` if the spec is malformed; every other outcome,
    including exceptions raised by the spec's own code, is a `Result`.
    """
    start = time.monotonic()
    try:
        model = spec if isinstance(spec, Model) else compile_spec(spec)
    except SpecRuntimeError as err:
        stats = Stats(0, 0, 0, time.monotonic() - start, 0, (), ())
        details = "".join(traceback.format_exception(err.cause)[-4:]) if err.cause else ""
        return Result(
            Verdict.SPEC_ERROR, stats, error=SpecError(err.where, err.message, None, details)
        )
    return _Search(model, options or CheckOptions(), observer).run()


class _Search:
    """The bookkeeping of one search: visited set, frontier, counters, clock."""

    def __init__(self, model: Model, options: CheckOptions, observer: Observer | None):
        self.model = model
        self.options = options
        self.observer = observer
        self.visited = Visited()
        self.frontier = make_frontier(options.strategy)
        self.generated = 0
        self.max_steps = 0
        self.fired = [0] * len(model.actions)
        self.progress_actions = [not a.definition.is_fault for a in model.actions]
        self.witnessed: set[int] = set()
        self.cut_by_depth = False
        self.recorder = _Recorder(model, options.graph_limit) if options.graph_limit else None
        # what the visited set is keyed by: the state itself (exact) or its fingerprint
        self.key = _same if options.exact else model.fingerprint
        if options.symmetry == "on":
            self.key = model.symmetric_key(exact=options.exact)
        self.orbit_key = model.symmetric_key() if options.symmetry == "count" else None
        self.orbits: set[int] = set()
        self.start = time.monotonic()
        self.next_report = self.start + options.progress_interval

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> Result:
        result = self._run()
        if self.recorder is None:
            return result
        complete = result.verdict is Verdict.HOLDS
        return dataclasses.replace(result, graph=self.recorder.graph(complete))

    def _run(self) -> Result:
        try:
            model = self.model
            for index, st in enumerate(model.initial()):
                self.generated += 1
                try:
                    admitted = not model.constraints or model.admits(st)
                except SpecRuntimeError as err:
                    return Result(
                        Verdict.SPEC_ERROR,
                        self._stats(),
                        error=SpecError(err.where, err.message, None),
                    )
                try:
                    fp = self.key(st)
                except SpecRuntimeError as err:
                    return Result(
                        Verdict.SPEC_ERROR,
                        self._stats(),
                        error=SpecError(err.where, err.message, None),
                    )
                if admitted and self._admit(st, fp, None, index):
                    self.frontier.push((st, fp, 0))
            reason = self._explore()
        except _Found as found:
            return found.result
        except KeyboardInterrupt:
            reason = "interrupted"
        return self._finish(reason)

    def _explore(self) -> str | None:
        """Expand states until the frontier is empty, or return why the search stopped."""
        options, frontier, visited = self.options, self.frontier, self.visited
        max_depth, max_states = options.max_depth, options.max_states
        deadline = self.start + options.time_limit if options.time_limit else None
        expansions = 0
        while frontier:
            expansions += 1
            if expansions % _CLOCK_EVERY == 0:
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return f"time limit of {options.time_limit:g} s reached"
                if now >= self.next_report:
                    self._report(now)
            if max_states is not None and len(visited) >= max_states:
                return f"state limit of {max_states} distinct states reached"
            st, fp, steps = frontier.pop()
            try:
                if max_depth is not None and steps >= max_depth:
                    self._at_bound(st, fp)
                    continue
                self._expand(st, fp, steps)
            except SpecRuntimeError as err:
                raise _Found(self._spec_error(err, fp)) from err
        return None

    def _expand(self, st: Any, fp: int, steps: int) -> None:
        """Generate the successors of one state; push the new ones."""
        model = self.model
        fired, progress_actions = self.fired, self.progress_actions
        check_step = bool(model.step_invariants)
        constrained = bool(model.constraints)
        fingerprint, visited, push = self.key, self.visited, self.frontier.push
        recorder = self.recorder
        progress = False
        for index, tr in enumerate(model.successors(st)):
            self.generated += 1
            fired[tr.action] += 1
            if progress_actions[tr.action]:
                progress = True
            nxt = tr.target
            if constrained and not model.admits(nxt):
                continue
            try:
                nfp = fingerprint(nxt)
                new = nfp not in visited
            except (SpecRuntimeError, TypeError) as err:
                raise model.invalid_state(nxt, tr) from err
            if new:
                if steps >= self.max_steps:
                    self.max_steps = steps + 1
                self._admit(nxt, nfp, fp, index)
                push((nxt, nfp, steps + 1))
            if recorder is not None:
                recorder.edge(fp, nfp, tr)
            if check_step:
                failure = model.check_step(st, nxt)
                if failure:
                    raise _Found(self._violation(failure, fp, extra=tr))
        self._check_deadlock(st, fp, progress)

    def _check_deadlock(self, st: Any, fp: int, progress: bool) -> None:
        """No enabled step but faults, and not terminal: a deadlock (unless turned off)."""
        if not progress and self.options.check_deadlock and not self.model.is_terminal(st):
            raise _Found(self._deadlock(st, fp))

    def _at_bound(self, st: Any, fp: int) -> None:
        """A state at the depth bound: note whether the bound hides anything, and deadlocks."""
        progress = False
        for tr in self.model.successors(st):
            self.generated += 1
            progress = progress or self.progress_actions[tr.action]
            if not self.cut_by_depth and self.key(tr.target) not in self.visited:
                self.cut_by_depth = True
        self._check_deadlock(st, fp, progress)

    def _admit(self, st: Any, fp: int, parent: int | None, index: int) -> bool:
        """Record a newly reached state and check it; False if already seen."""
        if not self.visited.add(fp, parent, index):
            return False
        model = self.model
        if self.recorder is not None:
            self.recorder.state(fp, st, parent is None)
        if self.orbit_key is not None:
            self.orbits.add(self.orbit_key(st))
        try:
            failure = model.check_invariants(st)
            if model.reachables and len(self.witnessed) < len(model.reachables):
                self.witnessed.update(model.witnessed(st))
        except SpecRuntimeError as err:
            raise _Found(self._spec_error(err, fp)) from err
        if failure:
            raise _Found(self._violation(failure, fp))
        return True

    # --- results --------------------------------------------------------------------------

    def _report(self, now: float) -> None:
        self.next_report = now + self.options.progress_interval
        if self.observer is not None:
            self.observer(
                Progress(
                    now - self.start,
                    len(self.visited),
                    self.generated,
                    len(self.frontier),
                    self.max_steps + 1,
                )
            )

    def _stats(self) -> Stats:
        model = self.model
        return Stats(
            distinct=len(self.visited),
            generated=self.generated,
            depth=self.max_steps + 1 if len(self.visited) else 0,
            elapsed=time.monotonic() - self.start,
            queue=len(self.frontier),
            coverage=tuple(
                ActionCoverage(a.definition.name, n, a.definition.is_fault)
                for a, n in zip(model.actions, self.fired)
            ),
            witnessed=tuple(model.reachables[i].name for i in sorted(self.witnessed)),
            exact=self.options.exact,
            orbits=len(self.orbits) if self.orbit_key is not None else None,
        )

    def _finish(self, reason: str | None) -> Result:
        if reason is None and self.cut_by_depth:
            reason = f"depth limit of {self.options.max_depth} steps reached"
        stats = self._stats()
        missing = [p for i, p in enumerate(self.model.reachables) if i not in self.witnessed]
        if reason is not None:
            return Result(
                Verdict.INCOMPLETE,
                stats,
                incomplete_reason=reason,
                unknown_reachables=tuple(p.name for p in missing),
            )
        if missing:
            prop = missing[0]
            message = "no reachable state satisfies it" + (f": {prop.doc}" if prop.doc else "")
            violation = Violation(prop.name, ViolationKind.REACHABLE, message, None)
            return Result(Verdict.VIOLATED, stats, violation=violation)
        return Result(Verdict.HOLDS, stats)

    def _trace(self, fp: int, extra: Transition | None = None) -> Trace:
        """Replay the path to `fp`, then (for a step property) the offending step."""
        init_index, indices, fps = self.visited.path_to(fp)
        trace, _ = replay_indices(self.model, init_index, indices, fps, self.key)
        if extra is not None:
            tr = extra
            model = self.model
            step = Step(model.label(tr), model.user_state(tr.target), model.fingerprint(tr.target))
            trace = trace.extended(step)
        return trace

    def _violation(
        self, failure: PropertyFailure, fp: int, extra: Transition | None = None
    ) -> Result:
        kind = (
            ViolationKind.STEP_INVARIANT
            if failure.kind == "step_invariant"
            else ViolationKind.INVARIANT
        )
        return self._violated(failure.name, kind, failure.message, fp, extra)

    def _deadlock(self, st: Any, fp: int) -> Result:
        try:
            message = self.model.explain_deadlock(st)
        except SpecRuntimeError as err:
            return self._spec_error(err, fp)
        return self._violated("deadlock", ViolationKind.DEADLOCK, message, fp)

    def _violated(
        self, name: str, kind: ViolationKind, message: str, fp: int, extra: Transition | None = None
    ) -> Result:
        try:
            trace = self._trace(fp, extra)
        except (ReplayError, SpecRuntimeError) as err:
            error = SpecError("replaying the counterexample", str(err), None)
            return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
        return Result(
            Verdict.VIOLATED, self._stats(), violation=Violation(name, kind, message, trace)
        )

    def _spec_error(self, err: SpecRuntimeError, fp: int) -> Result:
        try:
            trace = self._trace(fp) if fp in self.visited else None
        except (ReplayError, SpecRuntimeError):
            trace = None
        details = ""
        if err.cause is not None:
            details = "".join(traceback.format_exception(err.cause)[-4:])
        error = SpecError(err.where, err.message, trace, details)
        return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
