"""The search loop: one loop for every strategy, returning a `Result`.

It never prints, exits or writes files; progress goes to an optional observer.
Invariants are checked when a state is first reached, so with BFS the first
violation found has a shortest trace; step invariants are checked on every
transition that changes the state, after the target's own invariants. Breadth-first
searches may also run on several processes (`engine.parallel`), coordinated here.
Deadlock (a state that is not terminal and has no enabled non-fault step) is checked
when a state is expanded.
"""

from __future__ import annotations

import dataclasses
import gc
import pickle
import time
from collections.abc import Callable
from typing import Any

from checker.engine.frontier import make_frontier
from checker.engine.memory import exact_budget, resident_bytes
from checker.engine.parallel import ROOT as _ROOT
from checker.engine.parallel import Found, Pool, available_cores, can_fork
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
from checker.engine.visited import FingerprintSet, Visited, path_by_parents
from checker.model import Model, PropertyFailure, SpecRuntimeError, Transition, compile_spec
from checker.options import CheckOptions, Strategy
from checker.spec import Choice, Spec
from checker.trace import ReplayError, Step, Trace, replay_keys

Observer = Callable[[Progress], None]

_CLOCK_EVERY = 256  # expansions between looks at the clock
_COLLECT_FIRST = 1 << 13  # expansions before the first collection of cyclic garbage
_QUIET_COLLECTIONS = 2  # ...and after this many in a row found none, no more
# By default states are kept whole while the search's processes hold less than a quarter
# of the machine's memory (engine.memory), then as fingerprints: whole states are looked
# up faster (two-phase commit with 8 RMs, 1,745,408 states, one process: 51-57 s and 478
# MiB kept whole, 84-89 s and 198 MiB turning to fingerprints at 262,144 states, 91 s
# and 210 MiB with fingerprints from the start)
_EXACT_UNTIL: int | None = None  # ...and, if set, at most this many states (for tests)
_LOOK_EVERY = 1 << 15  # new states between looks at the memory
_PROBE_SECONDS = 1.0  # a search still running after this long may move to more processes
_PARALLEL_FROM = 15e-6  # ...when a state costs at least this many seconds to expand
# (measured at the probe, start-up included), the predicted gain is at least _WORTH, and
# the next level holds at least _HANDOVER_WORK seconds of expanding (its states times
# the cost of one). A worker's extra work is finding each successor's owner (by the
# spec's locality or the state's hash; a fingerprint's owner costs nothing more) and
# shipping the ones others own (see _predicted_gain), and two busy cores slowed each other
# by _CONTENTION here (bench/run.py --ceiling: two independent runs took 1.02-1.46x as
# long). The prediction leaves out level barriers, each worker's own memos and the
# slower look-ups of shipped copies, and cannot tell specs apart: owning by a spec's
# locality it sat at 1.47-1.64 on every spec measured at 76643f4. Moved at the probe,
# on this 2-core machine, in two rounds against one process each (seconds):
#   two-phase commit, 7 RMs (63 us a state at the probe, predicted 1.61): 5.4-5.6 / 7.8-8.2
#   paxos, 3 nodes, 1 fault (54 us, 1.61): 3.6-3.8 / 4.0-5.0
#   paxos-lamport, ballots=3 (43 us, 1.61): 4.3-5.4 / 6.1-6.7
#   lock-register, 12 nodes (17 us, 1.47): 4.0-4.2 / 4.4-6.7
#   echo, 9 nodes, 3 drops (63 us, 1.48): 7.4-9.7 / 9.5-11.9
#   cas-register, 11 nodes, 3 faults (48 us, 1.53): 8.4-9.2 / 10.1-10.5
#   two-phase commit, 6 RMs (41-46 us, 1.60-1.64): 1.2-1.7 / 1.1-1.9, slower when the
#     probe came late in the search (a fast spell of the machine; at the handover point
#     of such runs the next level held 0.09-0.15 s of expanding), faster when it came
#     earlier (0.31-0.37 s queued at the probe)
_CONTENTION = 1.2
_WORTH = 1.45
_HANDOVER_WORK = 0.25  # seconds; what moving costs: a fork, then a barrier a level
_SAMPLE = 256  # queued states whose successors are timed (hashed and shipped, or
# fingerprinted) to predict the gain
_SAMPLE_SECONDS = 0.1  # ...or as many as are expanded in this long
# Exact workers ship each successor another owner holds, once per worker and level:
# with two workers owning states by their whole hash, 0.90 states per state expanded on
# paxos (3 nodes, 1 fault) and 0.81 on paxos-lamport (ballots=3), so about 1.8 times
# the share of successors owned by another worker than their parent (measured on the
# sample: about half by the whole hash, a few percent by paxos's locality)
_SHIPPED = 1.8
_PAUSE = "pause"
_PAUSED: Any = object()


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
        details = err.details()
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
        # exact keys (whole states) unless asked for fingerprints; by default only until
        # the search is big, then the visited set is converted (see _to_fingerprints)
        exact = options.exact is True or (
            options.exact is None and options.symmetry == "off" and not options.graph_limit
        )
        # the state count at which to look next at whether whole states take too much
        # memory (None: never, they are kept to the end or were never kept)
        self.memory_look = self._next_look(0) if exact and options.exact is None else None
        self.exact_budget = exact_budget()
        self.visited: Visited | FingerprintSet = Visited() if exact else FingerprintSet()
        # exact mode keeps every state in the visited set anyway: no use pickling the queue
        self.frontier = make_frontier(options.strategy, serialize=not exact)
        self.generated = 0
        self.max_steps = 0
        self.fired = [0] * len(model.actions)
        self.progress_actions = [not a.definition.is_fault for a in model.actions]
        self.check_step = model.step_checker()
        self.check_invariants = model.invariant_checker()
        self.witnessed: set[int] = set()
        self.cut_by_depth = False
        self.recorder = _Recorder(model, options.graph_limit) if options.graph_limit else None
        # what the visited set is keyed by: the state itself (exact) or its fingerprint
        self.exact = exact
        self.key = _same if exact else model.fingerprint
        if options.symmetry == "on":
            self.key = model.symmetric_key(exact=self.exact)
        # classes are counted by trying every renaming: the reference for --symmetry-check
        self.orbit_key = model.symmetric_key(sort=False) if options.symmetry == "count" else None
        self.orbits: set[int] = set()
        self.start = time.monotonic()
        self.next_report = self.start + options.progress_interval
        self.pause_at: float | None = None  # when to stop and decide on more processes
        self.expanded = 0
        self.next_collect: int | None = _COLLECT_FIRST  # None: the spec makes no cycles
        self.quiet_collections = 0
        self.workers = 1
        self.auto_reason = ""
        self.lent = 0  # states one worker handed another to expand (see engine.parallel)
        self.shipped = 0  # states a worker shipped to their owner (see engine.parallel)
        self.by_locality = False  # states owned by the spec's locality (see Spec.locality)
        self.frontier_size = 0
        self.level = 0  # steps to the state being expanded
        self.stop_at_level: int | None = None  # pause before expanding a state this deep

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> Result:
        # States are immutable and acyclic: the cyclic collector only costs time here
        # (a quarter of it on paxos-lamport). It is paused and run on young objects
        # now and then while that finds anything, so a spec's own cycles are freed.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result = self._choose_and_run()
        finally:
            self.frontier.close()
            if collecting:
                if not gc.get_freeze_count():
                    # everything made meanwhile is young: into the oldest generation
                    # unexamined (freeze, unfreeze), or the first collection after this
                    # walks it all (half a second after paxos-lamport with ballots=3)
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
        if self.recorder is None:
            return result
        # complete: every reachable state, or every one within the depth bound
        complete = result.verdict is Verdict.HOLDS or (
            result.verdict is Verdict.INCOMPLETE
            and self.cut_by_depth
            and (result.incomplete_reason or "").startswith("depth limit")
        )
        return dataclasses.replace(result, graph=self.recorder.graph(complete))

    def _choose_and_run(self) -> Result:
        """One process, or several when asked for or (automatically) when it pays."""
        workers = self.options.workers
        if not self._parallel_possible():
            return self._run()
        if workers is not None and workers > 1:
            return _Search(self.model, self.options, self.observer)._run_parallel(workers)
        cores = available_cores()
        if workers == 1 or cores < 2:
            return self._run()
        self.pause_at = self.start + _PROBE_SECONDS
        result = self._run()
        if result is not _PAUSED:
            return result
        per_state = (time.monotonic() - self.start) / max(1, self.expanded)
        self.pause_at = None
        if per_state < _PARALLEL_FROM:
            return self._resume()
        # finish the level under way here; hand the next one to the workers if it holds
        # enough work to win back what moving costs, and they are predicted to gain
        self.stop_at_level = self.level + 1
        result = self._resume()
        if result is not _PAUSED:
            return result
        self.stop_at_level = None
        if len(self.frontier) * per_state < _HANDOVER_WORK:
            return self._resume()
        gain, share = self._predicted_gain(cores, per_state)
        if gain < _WORTH:
            return self._resume()
        self.auto_reason = (
            f"{per_state * 1e6:.0f} us per state, "
            f"shipping {share:.0%} of a worker's time, "
            f"predicted {gain:.1f}x"
        )
        return self._run_parallel(cores, handover=True)

    def _predicted_gain(self, cores: int, per_state: float) -> tuple[float, float]:
        """How much faster `cores` workers should be than this process, and the share of
        a worker's time its extra work would take: finding every successor's owner (by
        the spec's locality or, keeping whole states, their hash; a fingerprint's owner
        costs nothing more, one process fingerprints every successor too), and shipping
        about one state per state expanded (pickled and unpickled) by the share of
        successors another worker owns.

        Measured on a few queued states: their successors per state and the cost of
        that extra work for one. A spec error met here is left for the search to report.
        """
        model = self.model
        successors: list[Any] = []
        parents: list[Any] = []  # each successor's parent
        sampled = 0
        until = time.perf_counter() + _SAMPLE_SECONDS  # costly states: fewer of them
        try:
            for st, _, _ in self.frontier.peek_many(_SAMPLE):
                for tr in model.successors(st):
                    if tr[2] is not st and tr[2] != st:
                        successors.append(tr[2])
                        parents.append(st)
                sampled += 1
                if time.perf_counter() > until:
                    break
            sampled = max(1, sampled)
            local = self._by_locality()
            if self.exact or local:
                owner = model.owner(cores, local)
                # a first, untimed look may fill memos that the search fills anyway
                # (paxos-lamport's locality reads the sorted-out messages its properties
                # read; 17 us a state the first time, 2.6 the second)
                for nxt in successors:
                    owner(nxt)
                start = time.perf_counter()
                owners = [owner(nxt) for nxt in successors]
                hashing = time.perf_counter() - start
            else:  # by the key (a fingerprint), which this process computes anyway
                key = self.key
                owner = lambda st: key(st) % cores  # noqa: E731
                owners = [owner(nxt) for nxt in successors]
                hashing = 0.0
            # the successors another worker owns: (cores-1)/cores by a hash of the whole
            # state; fewer by the spec's locality
            away = sum(map(int.__ne__, owners, map(owner, parents)))
            crossing = away / len(successors) if successors else 0.0
            shipped = successors[:sampled] or [None]
            start = time.perf_counter()
            pickle.loads(pickle.dumps(shipped, pickle.HIGHEST_PROTOCOL))
            per_ship = (time.perf_counter() - start) / len(shipped)
            extra = hashing / sampled + per_ship * _SHIPPED * crossing
        except (SpecRuntimeError, pickle.PicklingError, TypeError, ValueError, AttributeError):
            return 0.0, 0.0  # (a state that cannot be pickled cannot be shipped either)
        share = extra / (per_state + extra)
        return cores * (1 - share) / _CONTENTION, share

    def _by_locality(self) -> bool:
        """Whether workers own states by the spec's locality: not with symmetry, where a
        state is owned by its key (a renamed state or a fingerprint, the same for its
        whole class)."""
        return self.model.has_locality and self.options.symmetry == "off"

    def _next_look(self, count: int) -> int:
        """The state count at which to look again at the memory whole states take."""
        look = count + _LOOK_EVERY
        return look if _EXACT_UNTIL is None else min(look, _EXACT_UNTIL)

    def _exact_full(self, count: int, resident: int) -> bool:
        """Whether a default search keeping `count` whole states, its processes holding
        `resident` bytes, should turn to fingerprints now; if not, when to look again."""
        if resident >= self.exact_budget or (_EXACT_UNTIL is not None and count >= _EXACT_UNTIL):
            return True
        self.memory_look = self._next_look(count)
        return False

    def _to_fingerprints(self) -> None:
        """Switch a big exact search to fingerprints: 16 bytes a state, a pickled queue.

        Every kept state is fingerprinted once (as it would have been on arrival), its
        parent's fingerprint recorded, and the queue rebuilt with fingerprint keys.
        """
        fingerprint = self.model.fingerprint
        exact = self.visited
        assert isinstance(exact, Visited)
        fps = {st: fingerprint(st) for st in exact.keys()}
        compact = FingerprintSet()
        for st, parent in exact.items():
            compact.add_new(fps[st], None if parent is None else fps[parent])
        frontier = make_frontier(self.options.strategy)
        old = self.frontier
        items = [old.pop() for _ in range(len(old))]
        if self.options.strategy is not Strategy.BFS:
            items.reverse()  # a stack pops newest first: push back oldest first
        for st, key, steps in items:
            frontier.push((st, fps[key], steps))
        self.visited, self.frontier, self.key = compact, frontier, fingerprint
        self.exact, self.memory_look = False, None

    def _parallel_possible(self) -> bool:
        options = self.options
        return (
            options.workers != 1
            and options.strategy is Strategy.BFS
            and options.symmetry != "count"
            and options.max_depth is None
            and self.recorder is None
            and can_fork()
        )

    def _resume(self) -> Result:
        """Expand until done, stopped, or paused (then `_PAUSED`, to be resumed later)."""
        try:
            reason = self._explore()
        except _Found as found:
            return found.result
        except KeyboardInterrupt:
            reason = "interrupted"
        if reason is _PAUSE:
            return _PAUSED
        return self._finish(reason)

    def _run(self) -> Result:
        try:
            model = self.model
            for st in model.initial():
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
                if admitted and fp not in self.visited:
                    self._admit(st, fp, None)
                    self.frontier.push((st, fp, 0))
        except _Found as found:
            return found.result
        except KeyboardInterrupt:
            return self._finish("interrupted")
        return self._resume()

    def _explore(self) -> str | None:
        """Expand states until the frontier is empty, or return why the search stopped."""
        options, frontier, visited = self.options, self.frontier, self.visited
        max_depth, max_states = options.max_depth, options.max_states
        deadline = self.start + options.time_limit if options.time_limit else None
        expansions = self.expanded
        expand = self._expander()
        while frontier:
            expansions += 1
            if expansions % _CLOCK_EVERY == 0:
                if self.next_collect is not None and expansions >= self.next_collect:
                    self._collect(expansions)
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return self._out_of_time()
                if self.pause_at is not None and now >= self.pause_at:
                    self.expanded = expansions
                    return _PAUSE
                if now >= self.next_report:
                    self._report(now)
            if max_states is not None and len(visited) >= max_states:
                return f"state limit of {max_states} distinct states reached"
            if (
                self.memory_look is not None
                and len(visited) >= self.memory_look
                and self._exact_full(len(visited), resident_bytes())
            ):
                self._to_fingerprints()
                frontier, visited, expand = self.frontier, self.visited, self._expander()
            if self.stop_at_level is not None and frontier.peek()[2] >= self.stop_at_level:
                self.expanded = expansions
                return _PAUSE
            st, fp, steps = frontier.pop()
            self.level = steps
            try:
                if max_depth is not None and steps >= max_depth:
                    self._at_bound(st, fp)
                    continue
                expand(st, fp, steps)
            except SpecRuntimeError as err:
                raise _Found(self._spec_error(err, fp)) from err
        return None

    def _collect(self, expansions: int) -> None:
        """Free the cyclic garbage a spec may make, at doubling intervals; stop looking
        once collections keep finding none (each one walks every object made since the
        last, so looking is not free)."""
        if gc.collect(0):
            self.quiet_collections = 0
        else:
            self.quiet_collections += 1
        if self.quiet_collections >= _QUIET_COLLECTIONS:
            self.next_collect = None
        else:
            self.next_collect = 2 * expansions

    def _expander(self) -> Callable[[Any, int, int], None]:
        """`_expand`, or `_expand_exact` where it does the same: whole states as keys,
        no graph recorded, no state constraints, no orbits counted."""
        lean = (
            self.key is _same
            and self.recorder is None
            and not self.model.constraints
            and self.orbit_key is None
        )
        return self._expand_exact if lean else self._expand

    def _expand_exact(self, st: Any, fp: Any, steps: int) -> None:
        """`_expand` for the common case, with `_admit` inlined: a tenth of the engine's
        time on paxos-lamport went to the general loop's branches and calls.

        `fp` is the state itself (exact keys). Results, counters and errors are the
        general loop's, in the same order.
        """
        model = self.model
        fired, progress_actions = self.fired, self.progress_actions
        check_step, check_invariants = self.check_step, self.check_invariants
        check_like, choice = model.check_like, Choice
        visited, push = self.visited, self.frontier.push
        witness = bool(model.reachables)
        deeper = steps + 1
        progress = False
        for index, params, items in model.step_groups(st):
            self.generated += len(items)
            fired[index] += len(items)
            if progress_actions[index]:
                progress = True
            for item in items:
                nxt = item[0] if type(item) is choice or isinstance(item, choice) else item
                if nxt is st:  # a stutter returned as the state itself
                    continue
                try:
                    new = nxt not in visited
                except Exception as err:
                    raise model.invalid_state(nxt, model.transition(index, params, item)) from err
                if new:
                    try:
                        check_like(nxt, st)
                    except (TypeError, ValueError):
                        model.validate_step(nxt, st, index, params, item)  # raises, naming it
                    if deeper > self.max_steps:
                        self.max_steps = deeper
                    visited[nxt] = st
                    try:
                        failure = check_invariants(nxt)
                        if witness and len(self.witnessed) < len(model.reachables):
                            self.witnessed.update(model.witnessed(nxt, self.witnessed))
                    except SpecRuntimeError as err:
                        raise _Found(self._spec_error(err, nxt)) from err
                    if failure:
                        raise _Found(self._violation(failure, nxt))
                    push((nxt, nxt, deeper))
                elif check_step is None or nxt == st:
                    continue  # seen before; a stutter has no step to check
                if check_step is not None:
                    failure = check_step(st, nxt)
                    if failure:
                        extra = model.transition(index, params, item)
                        raise _Found(self._violation(failure, fp, extra=extra))
        if not progress:
            self._check_deadlock(st, fp, progress)

    def _expand(self, st: Any, fp: int, steps: int) -> None:
        """Generate the successors of one state; push the new ones.

        A step to an equal state is a stutter: it reaches nothing and, as in TLA+'s
        `[][P]_vars`, step invariants are not checked on it.
        """
        model = self.model
        fired, progress_actions = self.fired, self.progress_actions
        check_step = self.check_step
        admits = model.admits if model.constraints else None
        key, visited, push = self.key, self.visited, self.frontier.push
        # whole states as keys: a step that is not a stutter reaches another key
        plain = key is _same
        careful = check_step is not None or self.recorder is not None
        validate = model.validate_step if self.exact else None
        recorder = self.recorder
        transition, choice = model.transition, Choice
        progress = False
        for index, params, items in model.step_groups(st):
            self.generated += len(items)
            fired[index] += len(items)
            if progress_actions[index]:
                progress = True
            for item in items:
                nxt = item[0] if type(item) is choice or isinstance(item, choice) else item
                if nxt is st:  # a stutter returned as the state itself
                    if recorder is not None:
                        recorder.edge(fp, fp, transition(index, params, item))
                    continue
                if plain:
                    try:
                        # only a state already seen can be another stutter, and telling
                        # it from another seen state matters only to step invariants
                        # and the graph
                        new = nxt not in visited
                        stutter = not new and careful and nxt == st
                    except Exception as err:
                        raise model.invalid_state(nxt, transition(index, params, item)) from err
                    if stutter:
                        if recorder is not None:
                            recorder.edge(fp, fp, transition(index, params, item))
                        continue
                    if new and admits is not None and not admits(nxt):
                        continue  # (a state seen was admitted)
                    nfp = nxt
                else:
                    if admits is not None and not admits(nxt):
                        continue
                    try:
                        nfp = key(nxt)
                    except (SpecRuntimeError, TypeError) as err:
                        raise model.invalid_state(nxt, transition(index, params, item)) from err
                    if nfp == fp:  # a stutter, equal under the key (symmetry) or a collision
                        if recorder is not None:
                            recorder.edge(fp, fp, transition(index, params, item))
                        continue
                    new = nfp not in visited
                if new and validate is not None:
                    # refuses what fingerprints refuse (a plain object)
                    validate(nxt, st, index, params, item)
                if new:
                    if steps >= self.max_steps:
                        self.max_steps = steps + 1
                    self._admit(nxt, nfp, fp)
                    push((nxt, nfp, steps + 1))
                if recorder is not None:
                    recorder.edge(fp, nfp, transition(index, params, item))
                if check_step is not None:
                    failure = check_step(st, nxt)
                    if failure:
                        extra = transition(index, params, item)
                        raise _Found(self._violation(failure, fp, extra=extra))
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
            if self.cut_by_depth or tr.target is st:
                continue
            key = self.key(tr.target)
            if key != fp and key not in self.visited:
                self.cut_by_depth = True
        self._check_deadlock(st, fp, progress)

    def _admit(self, st: Any, fp: Any, parent: Any) -> None:
        """Record a newly reached state (not yet in the visited set) and check it."""
        self.visited.add_new(fp, parent)
        model = self.model
        if self.recorder is not None:
            self.recorder.state(fp, st, parent is None)
        if self.orbit_key is not None:
            self.orbits.add(self.orbit_key(st))
        try:
            failure = self.check_invariants(st)
            if model.reachables and len(self.witnessed) < len(model.reachables):
                self.witnessed.update(model.witnessed(st, self.witnessed))
        except SpecRuntimeError as err:
            raise _Found(self._spec_error(err, fp)) from err
        if failure:
            raise _Found(self._violation(failure, fp))

    # --- several processes ---------------------------------------------------------------

    def _run_parallel(self, count: int, handover: bool = False) -> Result:
        """Level-synchronous BFS on `count` forked workers (see `engine.parallel`).

        Exact searches stay exact on the workers (states owned by the spec's locality or
        their hash()), and by default turn to fingerprints as one process would, once
        the workers' memory reaches the budget; fingerprint searches own states by the
        spec's locality or their fingerprint. With `handover`, this search has just
        finished a level: the workers inherit its visited set (by fork) and share out
        the next level's states; otherwise they start from the initial states.
        """
        model, exact = self.model, self.exact
        key = None if exact else self.key
        local = self._by_locality()
        state_owner = model.owner(count, local) if exact or local else None
        if state_owner is None:
            owner: Callable[[Any, Any], int] = lambda st, fp: fp % count  # noqa: E731
        else:
            # exact workers keep states by their key: themselves, or (with symmetry)
            # the renamed state standing for their class
            owner = lambda st, fp: state_owner(fp if exact else st)  # noqa: E731
        self.workers = count
        self.by_locality = local
        shares: list[list[Any]] = [[] for _ in range(count)]
        if handover:
            frontier = self.frontier
            try:
                while len(frontier):
                    st, fp, _ = frontier.pop()
                    shares[owner(st, fp)].append(fp if exact else (st, fp))
            except SpecRuntimeError as err:  # the spec's locality raised
                error = SpecError(err.where, err.message, None, err.details())
                return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
            inherited = self.visited
        else:
            inherited = None
            try:
                for st in model.initial():
                    self.generated += 1
                    if model.constraints and not model.admits(st):
                        continue
                    fp = self.key(st)
                    shares[owner(st, fp)].append(fp if exact else (st, fp))
            except SpecRuntimeError as err:
                error = SpecError(err.where, err.message, None)
                return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
        level = self.level + 1 if handover else 0
        pool = Pool(
            model,
            key,
            self.options,
            count,
            inherited,
            level,
            state_owner,
            shares if handover else None,
        )
        remote = _Remote(pool, inherited if exact else None)
        remote.count = len(inherited) if inherited is not None else 0
        self.visited = remote  # type: ignore[assignment]
        try:
            if handover:
                return self._levels(pool, shares, adopt=True)
            return self._levels(pool, shares)
        except KeyboardInterrupt:
            return self._finish("interrupted")
        finally:
            pool.close()

    def _levels(
        self, pool: Pool, shares: list[list[tuple[Any, int]]], adopt: bool = False
    ) -> Result:
        """Run levels until none is left or something is found; `shares` are each
        worker's first states: initial ones to check, or (`adopt`) a level to expand."""
        count, options = pool.count, self.options
        deadline = self.start + options.time_limit if options.time_limit else None
        if adopt:  # (the workers adopted their shares when forked)
            found, fresh, level = None, sum(map(len, shares)), self.max_steps
        else:
            found = self._absorb(pool.ask_all("seed", shares))
            level, fresh = 0, len(self.visited)
        while found is None and fresh:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return self._finish(self._out_of_time())
            if options.max_states is not None and len(self.visited) >= options.max_states:
                return self._finish(f"state limit of {options.max_states} distinct states reached")
            self.frontier_size = fresh
            if now >= self.next_report:
                self._report(now)
            before = len(self.visited)
            pool.reset_live()
            expanded = pool.ask_all(
                "expand",
                [deadline] * count,
                tick=lambda: self._report_live(pool),
                every=min(1.0, options.progress_interval),
            )
            found = self._absorb([report for report, _ in expanded])
            if found is None and any(report.timed_out for report, _ in expanded):
                # a level cut short by the deadline (had a worker found something
                # before it, that would stand); left are the level's unexpanded states
                # and the new ones found so far
                self.frontier_size = sum(report.queued for report, _ in expanded)
                return self._finish(self._out_of_time())
            if found is not None and found.kind != "step":
                break
            outboxes = [outbox for _, outbox in expanded]
            if pool.exact:  # the held states themselves, straight to their owners
                batches = outboxes
            else:  # fingerprints first; then the states their owners want
                wanted = pool.ask_all("claim", [[box[o] for box in outboxes] for o in range(count)])
                batches = pool.ask_all("ship", [[w[s] for w in wanted] for s in range(count)])
            receipts = pool.ask_all("receive", [[b[o] for b in batches] for o in range(count)])
            received = self._absorb(receipts)
            found = min((f for f in (found, received) if f), key=_rank, default=None)
            fresh = len(self.visited) - before
            if fresh:
                level += 1
                self.max_steps = level
            if (  # (not with something found: its keys are the exact workers' numbers)
                found is None
                and pool.exact
                and self.memory_look is not None
                and len(self.visited) >= self.memory_look
                and self._exact_full(len(self.visited), sum(r.resident for r in receipts))
            ):
                pool.fingerprints()  # as one process would: 16 bytes a state from now on
                self.visited.inherited = None  # type: ignore[attr-defined]
                self.key, self.exact, self.memory_look = self.model.fingerprint, False, None
        self.frontier_size = 0
        if found is None:
            return self._finish(None)
        return self._found(found)

    def _absorb(self, reports: list[Any]) -> Found | None:
        """Add the workers' counts; the shortest of what they found, if anything."""
        founds = []
        for report in reports:
            self.generated += report.generated
            self.lent += report.lent
            self.shipped += report.shipped
            for i, n in enumerate(report.fired):
                self.fired[i] += n
            self.visited.count += report.new  # type: ignore[attr-defined]
            self.witnessed |= report.witnessed
            if report.found is not None:
                founds.append(report.found)
        if not founds:
            return None
        return min(founds, key=_rank)

    def _found(self, found: Found) -> Result:
        """The result for what a worker found, with its trace replayed here."""
        if found.kind == "error":
            error = SpecError(found.where, found.message, None, found.details)
            return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
        if found.kind == "invariant":
            assert found.failure is not None
            return self._violation(found.failure, found.fp)
        if found.kind == "invalid":
            return self._invalid(found)
        try:
            _, st = replay_keys(self.model, self.visited.path_to(found.fp), self.key)
        except (ReplayError, SpecRuntimeError) as err:
            error = SpecError("replaying the counterexample", str(err), None)
            return Result(Verdict.SPEC_ERROR, self._stats(), error=error)
        if found.kind == "deadlock":
            return self._deadlock(st, found.fp)
        assert found.failure is not None
        for tr in self.model.successors(st):
            if self.key(tr.target) == found.target and self.check_step(st, tr.target):
                return self._violation(found.failure, found.fp, extra=tr)
        error = SpecError("replaying the counterexample", "the failing step did not recur", None)
        return Result(Verdict.SPEC_ERROR, self._stats(), error=error)

    def _invalid(self, found: Found) -> Result:
        """An exact worker refused a successor shipped to it: the step that made it is
        found again from its parent, to name the action as one process would."""
        model = self.model
        try:
            _, parent = replay_keys(model, self.visited.path_to(found.fp), self.key)
            for tr in model.successors(parent):
                try:
                    model.validate(tr.target, parent)
                except SpecRuntimeError:
                    return self._spec_error(model.invalid_state(tr.target, tr), found.fp)
        except (ReplayError, SpecRuntimeError):
            pass
        return self._spec_error(model.refused(found.target), found.fp)

    # --- results --------------------------------------------------------------------------

    def _report(self, now: float) -> None:
        self.next_report = now + self.options.progress_interval
        if self.observer is not None:
            self.observer(
                Progress(
                    now - self.start,
                    len(self.visited),
                    self.generated,
                    self._queue(),
                    self.max_steps + 1,
                )
            )

    def _report_live(self, pool: Pool) -> None:
        """A progress line while the workers are in the middle of a level."""
        now = time.monotonic()
        if now < self.next_report or self.observer is None:
            return
        self.next_report = now + self.options.progress_interval
        expanded, generated, new = pool.live_counts()
        self.observer(
            Progress(
                now - self.start,
                len(self.visited) + new,
                self.generated + generated,
                max(0, self.frontier_size - expanded),
                self.max_steps + 1,
            )
        )

    def _out_of_time(self) -> str:
        return f"time limit of {self.options.time_limit:g} s reached"

    def _queue(self) -> int:
        return self.frontier_size if self.workers > 1 else len(self.frontier)

    def _stats(self) -> Stats:
        model = self.model
        return Stats(
            distinct=len(self.visited),
            generated=self.generated,
            depth=self.max_steps + 1 if len(self.visited) else 0,
            elapsed=time.monotonic() - self.start,
            queue=self._queue(),
            coverage=tuple(
                ActionCoverage(a.definition.name, n, a.definition.is_fault)
                for a, n in zip(model.actions, self.fired)
            ),
            witnessed=tuple(model.reachables[i].name for i in sorted(self.witnessed)),
            exact=self.exact,
            workers=self.workers,
            workers_reason=self.auto_reason,
            lent=self.lent,
            shipped=self.shipped,
            by_locality=self.by_locality,
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
        trace, _ = replay_keys(self.model, self.visited.path_to(fp), self.key)
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
        error = SpecError(err.where, err.message, trace, err.details())
        return Result(Verdict.SPEC_ERROR, self._stats(), error=error)


def _rank(found: Found) -> tuple[int, int]:
    """Shortest first; at one length, as one process would meet them: errors, then a new
    state's invariants and deadlocks, then the step that reached it."""
    return (found.length, {"error": 0, "invalid": 0, "step": 2}.get(found.kind, 1))


class _Remote:
    """The coordinator's view of the workers' visited sets: counts, and paths on demand.

    Keys are fingerprints, or (exact workers) the numbers workers give their states;
    an exact path ends at a state the workers did not reach, whose path is in
    `inherited` (the visited set of the search that handed over) if it is there.
    """

    def __init__(self, pool: Pool, inherited: Visited | None = None):
        self.pool = pool
        self.count = 0
        self.inherited = inherited

    def __len__(self) -> int:
        return self.count

    def parent(self, fp: int) -> int | None:
        pool = self.pool
        if pool.exact:
            return pool.ask(fp % pool.count, "path", fp)[1]
        if pool.count and not pool.by_key:  # owned by the state (not its key): ask each
            for worker in range(pool.count):
                found = pool.ask(worker, "parent", fp)
                if found is not None:
                    return found
            return None
        return pool.ask(fp % pool.count, "parent", fp)

    def __contains__(self, fp: int) -> bool:
        if self.pool.exact:
            return True  # numbers are only ever of states the workers took
        return self.parent(fp) is not None

    def path_to(self, fp: int) -> list[Any]:
        """The path to a state: fingerprints, or (exact workers) the states themselves."""
        pool = self.pool
        if not pool.exact:
            return path_by_parents(self.parent, fp)  # type: ignore[arg-type]
        path = []
        number = fp
        while True:
            st, number = pool.ask(number % pool.count, "path", number)
            path.append(st)
            if number == _ROOT:
                break
        path.reverse()
        inherited = self.inherited
        if inherited is not None and path[0] in inherited:
            path[:1] = inherited.path_to(path[0])
        return path
