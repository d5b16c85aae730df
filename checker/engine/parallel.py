"""Breadth-first search on several processes, each owning a share of the states.

A state has one owner among the workers: it alone keeps it in its visited set and
checks its invariants, and it expands it unless it lends it to a worker that has run
out of states in the level (`_Balance`). The search advances one BFS level at a time,
through the coordinator (this process), which only forwards bytes. Successors a worker owns
are looked up at once; the others are held back, each once per level, and then:

- exact searches (`_ExactWorker`) ship the held states themselves to their owners, who
  keep the ones they have not seen. Two exchanges a level (expand, receive). Pickle
  streams between each pair of workers keep their memo from level to level, so a part
  shipped before (a message, a node's record) travels as a reference.
- fingerprint searches (`_Worker`) send only fingerprints (with the parent's) first;
  each owner answers which it has not seen, and just those states are shipped: four
  exchanges (expand, claim, ship, receive), the design of Stern and Dill's parallel
  Murphi and of distributed TLC.

Who owns a state (`Model.owner`): by default the hash of the whole state (exact) or
its fingerprint, so that with n workers a successor belongs to another (n-1)/n of the
time. A spec may name the part of its states that few steps change (`Spec.locality`,
e.g. paxos's proposers); states are then owned by the hash of that part, and most
successors stay with the worker that made them (Lerda and Sisto's locality-preserving
partition). Lending (below) evens out the expanding when that part leaves one worker
more states.

Exact workers turn into fingerprint ones between levels when a default search gets
big (they keep their owners). Shipping a distinct held state costs less than
fingerprinting every successor: on paxos with 3 nodes and 1 fault, two exact workers
generate 3.8 successors a state and ship 0.9 states a state owning by the whole state
(0.16-0.27 by paxos's locality). Levels keep BFS's guarantee: a
violation found at a level has the shortest length; the search ends at the first
level where any worker finds one, and reports the shortest of them. Workers are
forked, so they share the compiled model (and `hash()`'s secret) without pickling it.
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import pickle
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from checker.engine.frontier import Queue
from checker.engine.memory import resident_bytes
from checker.engine.visited import FingerprintSet
from checker.model import Model, PropertyFailure, SpecRuntimeError
from checker.spec import Choice


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


@dataclass
class Found:
    """Something a worker found that ends the search (sent to the coordinator)."""

    kind: str  # "invariant", "step", "deadlock", "error" or "invalid"
    length: int  # the counterexample's number of steps
    # the violating state (for "step" and "invalid": the state the step starts from)
    fp: int
    failure: PropertyFailure | None = None
    # for "step": what the step reaches (its key: a fingerprint or itself); for
    # "invalid": the successor an exact worker refused (shipped to it, so no action known)
    target: Any = None
    where: str = ""
    message: str = ""
    details: str = ""


@dataclass
class LevelReport:
    """What one worker did in one phase of a level."""

    generated: int = 0
    fired: list[int] = field(default_factory=list)
    new: int = 0
    witnessed: set[int] = field(default_factory=set)
    found: Found | None = None
    timed_out: bool = False  # the expansion stopped at the deadline, unfinished
    queued: int = 0  # states in the worker's queue after expanding (new and unexpanded)
    lent: int = 0  # states of the level this worker handed to another to expand
    shipped: int = 0  # states other workers shipped to this one (new to them, maybe not here)
    resident: int = 0  # bytes of memory the worker held at the level's end (exact workers)


#: how many states a worker expands between updates of its live counters
_TICK = 16

#: the worker of this process once it has stopped, never freed (see `_Worker.serve`)
_KEPT: list[Any] = []

#: how long a worker must expect to go on expanding (its states left times its mean time
#: a state in the level) for an idle one to ask it for half (lending costs a pickling
#: each way and a few hundred microseconds of waiting)
_LEND_AFTER = 0.002

_NOTHING = pickle.dumps([], pickle.HIGHEST_PROTOCOL)


class _Balance:
    """What lets a worker that has expanded its share of a level take half of what
    another has left, so that neither waits for the other at the level's end (an
    expansion can be made anywhere: only the owner of a state keeps and checks it).

    Made before the fork and shared by every worker. A worker is busy while it has
    states of the level to expand; every _TICK states it says how many it has left and
    how long it expects them to take. An idle one asks the busy worker that expects to
    go on longest, and waits on its own inbox; the lender sees the request before its
    next state and sends half of what it has left, or nothing if it has stopped.
    Requests are made and taken under the lock, and a worker that stops being busy
    answers the request made to it, so no worker waits for one that will not answer.
    A state's successors are the same wherever it is expanded, so counts and
    counterexample lengths do not change.
    """

    def __init__(self, context: Any, count: int):
        self.count = count
        self.lock = context.Lock()
        self.left = context.RawArray("q", count)  # states each has left, at its last tick
        self.ahead = context.RawArray("d", count)  # the seconds each expects to go on, then
        self.want = context.RawArray("q", [-1] * count)  # who asked each for states, or -1
        self.busy = context.RawArray("b", count)  # 1 while it expands states of the level
        pipes = [context.Pipe(duplex=False) for _ in range(count)]
        self.inbox = [receiver for receiver, _ in pipes]  # where lent states arrive, by worker
        self.post = [sender for _, sender in pipes]

    def begin(self, index: int, left: int, cost: float) -> None:
        """`index` starts on `left` states, expecting `cost` seconds for each."""
        with self.lock:
            self.busy[index] = 1 if left else 0
            self.left[index] = left
            self.ahead[index] = left * cost

    def retire(self, index: int) -> None:
        """`index` has nothing left to expand: not busy, and whoever asked is told so."""
        with self.lock:
            self.busy[index] = 0
            self.left[index] = 0
            self.ahead[index] = 0.0
            thief, self.want[index] = self.want[index], -1
        if thief >= 0:
            self.post[thief].send_bytes(_NOTHING)

    def ask(self, index: int, cost: float) -> list[Any] | None:
        """For idle `index`: half of what the busy worker expecting to go on longest has
        left (perhaps nothing, if it stopped meanwhile); None if no worker expects to go
        on for _LEND_AFTER seconds."""
        with self.lock:
            lender, most = -1, _LEND_AFTER
            for other in range(self.count):
                if (
                    other != index
                    and self.busy[other]
                    and self.want[other] < 0
                    and self.left[other] > 1
                    and self.ahead[other] >= most
                ):
                    lender, most = other, self.ahead[other]
            if lender < 0:
                return None
            self.want[lender] = index
        lent: list[Any] = pickle.loads(self.inbox[index].recv_bytes())
        if lent:
            self.begin(index, len(lent), cost)
        return lent

    def asker(self, index: int) -> int:
        """Who asked `index` for states (or -1), the request then taken."""
        with self.lock:
            thief, self.want[index] = self.want[index], -1
        return thief

    def lend(self, thief: int, states: list[Any]) -> None:
        self.post[thief].send_bytes(pickle.dumps(states, pickle.HIGHEST_PROTOCOL))


class _Worker:
    """The loop of one worker process: its visited set, its frontier, its level."""

    def __init__(
        self,
        model: Model,
        key: Any,
        options: Any,
        index: int,
        count: int,
        visited: FingerprintSet | None = None,
        level: int = 0,
        live: Any = None,
        owner: Callable[[Any], int] | None = None,
        *,
        balance: _Balance,
    ):
        self.model = model
        self.key = key
        self.options = options
        self.index = index
        self.count = count
        # (expanded, generated, new) of the level under way, shared with the coordinator
        self.live = live
        self.visited = visited if visited is not None else FingerprintSet()
        self.frontier = Queue()
        self.level = level  # steps from an initial state of the states being expanded
        self.check_step = model.step_checker()
        self.check_invariants = model.invariant_checker()
        self.progress_actions = [not a.definition.is_fault for a in model.actions]
        self.held: list[dict[Any, Any]] = [{} for _ in range(count)]
        self.witnessed: set[int] = set()  # the reachability properties this worker saw hold
        # which worker owns a state (`Model.owner`), or None: its fingerprint modulo the
        # workers (after an exact search turned to fingerprints, the same as before)
        self.owner = owner
        # what replaces this worker after a command (see _ExactWorker._convert)
        self.successor: _Worker | None = None
        self.balance = balance
        self._left = 0  # states of the level under way still in the frontier, to expand here
        self._lent: list[Any] = []  # states of the level lent to this worker, to expand
        self._cost = 0.0  # the mean seconds this worker took a state, in this level so far

    def serve(self, conn: Connection) -> None:
        gc.disable()
        worker = self
        while True:
            command, payload = pickle.loads(conn.recv_bytes())
            if command == "stop":
                # the process's exit frees its memory at once; freeing the states object
                # by object first took 0.24 s at the end of paxos (3 nodes, 1 fault)
                _KEPT.append(worker)
                return
            handler = getattr(worker, "_" + command)
            try:
                reply = handler(payload)
            except SpecRuntimeError as err:
                found = Found(
                    "error", worker.level, 0, None, None, err.where, err.message, err.details()
                )
                report = LevelReport(found=found)
                reply = (report, worker.empty_outbox()) if command == "expand" else report
            finally:
                if command == "expand":
                    # (already, unless the level ended early here) so no one waits for it
                    worker.balance.retire(worker.index)
                    worker._lent.clear()
            conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))
            if worker.successor is not None:
                worker = worker.successor

    def empty_outbox(self) -> Any:
        """What `_expand` sends the other owners when it sends nothing."""
        return [([], [])] * self.count

    # --- the phases of a level ---------------------------------------------------------

    def _seed(self, states: list[tuple[Any, int]]) -> LevelReport:
        report = LevelReport(fired=[0] * len(self.model.actions))
        for st, fp in states:
            if fp not in self.visited:
                self._admit(st, fp, None, report, 0)
                if report.found:
                    break
        return report

    def _adopt(self, states: list[tuple[Any, int]]) -> None:
        """Take over states already seen and checked, to expand at this level."""
        for item in states:
            self.frontier.push(item)

    def _expand(
        self, deadline: float | None
    ) -> tuple[LevelReport, list[tuple[list[int], list[int]]]]:
        """Expand this level's states (until `deadline`, see `_pending`); returns the
        fingerprints bound for other owners."""
        model, key, visited = self.model, self.key, self.visited
        count, index = self.count, self.index
        report = LevelReport(fired=[0] * len(model.actions))
        fired, progress_actions = report.fired, self.progress_actions
        check_step = self.check_step
        admits = model.admits if model.constraints else None
        outbox: list[tuple[list[int], list[int]]] = [([], []) for _ in range(count)]
        held, owner_of = self.held, self.owner
        steps = self.level
        choice = Choice
        for st, fp in self._pending(report, deadline):
            progress = False
            for action, params, items in model.step_groups(st):
                report.generated += len(items)
                fired[action] += len(items)
                if progress_actions[action]:
                    progress = True
                for item in items:
                    nxt = item[0] if type(item) is choice or isinstance(item, choice) else item
                    # a stutter is the state itself, or has its fingerprint (below)
                    if nxt is st or (admits is not None and not admits(nxt)):
                        continue
                    try:
                        nfp = key(nxt)
                    except (SpecRuntimeError, TypeError) as err:
                        tr = model.transition(action, params, item)
                        raise model.invalid_state(nxt, tr) from err
                    if nfp == fp:
                        continue
                    owner = nfp % count if owner_of is None else owner_of(nxt)
                    if owner == index:
                        if nfp not in visited:
                            self._admit(nxt, nfp, fp, report, steps + 1)
                            if report.found:
                                return report, outbox
                    elif nfp not in held[owner]:
                        held[owner][nfp] = nxt
                        fps, parents = outbox[owner]
                        fps.append(nfp)
                        parents.append(fp)
                    if check_step is not None:
                        failure = check_step(st, nxt)
                        if failure:  # the level goes on: a new state's invariants come first
                            report.found = Found("step", steps + 1, fp, failure, nfp)
                            return report, outbox
            if not progress and self.options.check_deadlock and not model.is_terminal(st):
                report.found = Found("deadlock", steps, fp)
                return report, outbox
        report.queued = len(self.frontier) + len(self._lent)
        return report, outbox

    def _pending(self, report: LevelReport, deadline: float | None) -> Iterator[Any]:
        """This level's states, one at a time: first those queued here, then any lent by
        other workers (see `_Balance`), until there are none or the deadline has passed
        (then `report.timed_out`). Every _TICK states it publishes the live counters and
        what it has left; before each state it answers a request for states, if one was
        made. The monotonic clock is the same in every process."""
        live, base, index = self.live, 3 * self.index, self.index
        frontier, lent, balance = self.frontier, self._lent, self.balance
        self._left = len(frontier)
        balance.begin(index, self._left, self._cost)
        wanted = balance.want
        done, begun = 0, time.perf_counter()
        while True:
            if done % _TICK == 0:
                if live is not None:
                    live[base : base + 3] = [done, report.generated, report.new]
                if deadline is not None and time.monotonic() >= deadline:
                    report.timed_out = True
                    return
                if done:
                    self._cost = (time.perf_counter() - begun) / done
                left = balance.left[index] = self._left + len(lent)
                balance.ahead[index] = left * self._cost
            if wanted[index] >= 0:  # (looked at every state: states may be slow)
                self._lend(report)
            if self._left:
                self._left -= 1
                item = frontier.pop()
            elif lent:
                item = lent.pop()
            else:
                balance.retire(index)
                more = balance.ask(index, self._cost)
                if more is None:
                    return
                lent.extend(more)
                continue
            done += 1
            yield item

    def _lend(self, report: LevelReport) -> None:
        """Send half of the states of the level left here to the worker that asked."""
        balance, lent = self.balance, self._lent
        thief = balance.asker(self.index)
        if thief < 0:
            return
        share = (self._left + len(lent)) // 2
        cut = len(lent) - min(share, len(lent))  # lent states go first
        given = lent[cut:]
        del lent[cut:]
        frontier = self.frontier
        while len(given) < share:
            given.append(frontier.pop())
            self._left -= 1
        balance.lend(thief, given)
        left = balance.left[self.index] = self._left + len(lent)
        balance.ahead[self.index] = left * self._cost
        report.lent += len(given)

    def _claim(self, incoming: list[tuple[list[int], list[int]]]) -> list[list[int]]:
        """Keep the fingerprints not seen before; answer, per sender, which are wanted."""
        visited = self.visited
        wanted: list[list[int]] = []
        for fps, parents in incoming:
            mine: list[int] = []
            for fp, parent in zip(fps, parents):
                if fp not in visited:
                    visited.add_new(fp, parent)
                    mine.append(fp)
            wanted.append(mine)
        return wanted

    def _ship(self, wanted: list[list[int]]) -> list[bytes]:
        """Pickle the wanted held-back states, one batch per owner."""
        batches = []
        for owner, fps in enumerate(wanted):
            held = self.held[owner]
            batches.append(pickle.dumps([(held[fp], fp) for fp in fps], pickle.HIGHEST_PROTOCOL))
            held.clear()
        return batches

    def _receive(self, batches: list[bytes]) -> LevelReport:
        """Check and queue the new states shipped by other workers; end the level."""
        report = LevelReport(fired=[0] * len(self.model.actions))
        for blob in batches:
            states = pickle.loads(blob)
            report.shipped += len(states)
            for st, fp in states:
                self._check(st, fp, report, self.level + 1)
                if report.found:
                    return report
        self.level += 1
        return report

    def _parent(self, fp: int) -> int | None:
        try:
            return self.visited.parent(fp)
        except KeyError:
            return None

    # --- helpers -----------------------------------------------------------------

    def _admit(
        self, st: Any, fp: int, parent: int | None, report: LevelReport, length: int
    ) -> None:
        self.visited.add_new(fp, parent)
        self._check(st, fp, report, length)

    def _check(self, st: Any, fp: int, report: LevelReport, length: int) -> None:
        """Count a new state, check its invariants, queue it (`length`: steps to it)."""
        report.new += 1
        model = self.model
        failure = self.check_invariants(st)
        if len(self.witnessed) < len(model.reachables):  # until this worker has seen them all
            found = model.witnessed(st, self.witnessed)
            report.witnessed.update(found)
            self.witnessed.update(found)
        if failure:
            report.found = Found("invariant", length, fp, failure)
            return
        self.frontier.push((st, fp))


#: the parent of a state this worker did not reach itself: an initial state, or one a
#: single-process search reached before handing over (the coordinator knows its path)
ROOT = -1


class _ExactWorker(_Worker):
    """A worker keeping whole states, as one process does in exact mode.

    It owns the states `owner` (`Model.owner`) gives its index: by the hash of the
    spec's `locality` of the state, or of the whole state; forked workers share the
    hash's secret, so each state has one owner, found without fingerprinting it. Owned
    successors are looked up at once; the others are held back, each once per level,
    and shipped whole to their owners at the end of the level, who keep (and validate)
    those they have not seen; on paxos owned by the whole state they have six in seven
    already, reached from their own states in the same level. Shipping every distinct
    foreign successor costs less than fingerprinting every successor (the exchange of
    fingerprint-mode workers): on paxos, two workers generate about four successors a
    state and ship 0.9 states a state owning by the whole state, 0.16-0.27 by its
    locality.

    A state's identity across processes is a number: `k * count + index` for the k-th
    state this worker numbered. `seen` maps each owned state to its parent's number,
    or ROOT; the path to a state is followed back by asking owners (`_path`).
    """

    owner: Callable[[Any], int]  # always given: exact workers own states by Model.owner

    def __init__(
        self,
        model: Model,
        options: Any,
        index: int,
        count: int,
        inherited: dict[Any, Any] | None,
        level: int,
        live: Any,
        balance: _Balance,
        owner: Callable[[Any], int],
    ):
        super().__init__(
            model, None, options, index, count, None, level, live, owner, balance=balance
        )
        # with symmetry, a state stands for its class: the renamed state `symmetric_key`
        # picks (kept, shipped and expanded, as one process keys its visited set by it)
        self.canon = model.symmetric_key(exact=True) if options.symmetry == "on" else None
        self.inherited = inherited
        # owned state -> its parent's number (ROOT for initial and inherited states)
        self.seen: dict[Any, int] = (
            {} if inherited is None else {st: ROOT for st in inherited if owner(st) == index}
        )
        self.states: list[Any] = []  # the numbered states, by k
        # one pickle stream to each other worker and one from each, memo kept between
        # levels: a part shipped before (a message, a node's record) travels as a
        # reference, and arrives as the object that came before
        self._outs = [io.BytesIO() for _ in range(count)]
        self._picklers = [pickle.Pickler(out, _PROTOCOL) for out in self._outs]
        self._ins = [io.BytesIO() for _ in range(count)]
        self._unpicklers = [pickle.Unpickler(stream) for stream in self._ins]
        self._shipped = [0] * count  # states pickled to each owner since its memo was new

    def empty_outbox(self) -> Any:
        return [None] * self.count

    def _seed(self, states: list[Any]) -> LevelReport:
        report = LevelReport(fired=[0] * len(self.model.actions))
        for st in states:
            if st not in self.seen:
                self._take(st, ROOT, report, 0)
                if report.found:
                    break
        return report

    def _adopt(self, states: list[Any]) -> None:
        """Number and queue states already seen and checked (handed over), to expand."""
        numbered, count, index = self.states, self.count, self.index
        for st in states:
            self.frontier.push((st, len(numbered) * count + index))
            numbered.append(st)

    def _expand(
        self, deadline: float | None
    ) -> tuple[LevelReport, list[tuple[bool, bytes] | None]]:
        """Expand this level's states; returns, per owner, the pickled states held for it
        (new to this worker in this level, perhaps not to their owner)."""
        model, seen, held, owner_of = self.model, self.seen, self.held, self.owner
        canon = self.canon
        index = self.index
        report = LevelReport(fired=[0] * len(model.actions))
        fired, progress_actions = report.fired, self.progress_actions
        check_step = self.check_step
        admits = model.admits if model.constraints else None
        validate, choice = model.validate_step, Choice
        steps = self.level
        count = self.count
        for st, number in self._pending(report, deadline):
            progress = False
            lent = number % count != index  # numbered by another worker, its owner
            for action, params, items in model.step_groups(st):
                report.generated += len(items)
                fired[action] += len(items)
                if progress_actions[action]:
                    progress = True
                for item in items:
                    nxt = item[0] if type(item) is choice or isinstance(item, choice) else item
                    if nxt is st:  # a stutter returned as the state itself
                        continue
                    try:
                        key = nxt if canon is None else canon(nxt)
                        owner = owner_of(key)
                        mine = owner == index
                        if mine:
                            new = key not in seen
                            # only a state seen can be a stutter (equal to st, or with
                            # symmetry a renaming of it), and only step invariants care
                            stutter = not new and check_step is not None and key == st
                        else:
                            new = key not in held[owner]
                            # only a lent st's successors can be st again: no step to
                            # check, and nothing to ship back to its owner
                            stutter = lent and key == st
                    except SpecRuntimeError:  # the spec's locality or permute raised
                        raise
                    except Exception as err:
                        raise model.invalid_state(
                            nxt, model.transition(action, params, item)
                        ) from err
                    if stutter:
                        continue
                    if new:
                        if admits is not None and not admits(nxt):
                            continue
                        if mine:
                            validate(nxt, st, action, params, item)  # as fingerprints would
                            self._take(key, number, report, steps + 1)
                            if report.found:
                                return report, self.empty_outbox()
                        else:  # its owner validates it, if new there (most are not)
                            held[owner][key] = number
                    if check_step is not None:
                        failure = check_step(st, nxt)
                        if failure:  # the level goes on: a new state's invariants come first
                            report.found = Found("step", steps + 1, number, failure, key)
                            return report, self._pack()
            if not progress and self.options.check_deadlock and not model.is_terminal(st):
                report.found = Found("deadlock", steps, number)
                return report, self.empty_outbox()
        report.queued = len(self.frontier) + len(self._lent)
        return report, self.empty_outbox() if report.timed_out else self._pack()

    def _pack(self) -> list[tuple[bool, bytes] | None]:
        """The held states with their parents' numbers, pickled per owner on the stream to
        it; then forgotten. Each batch says whether the stream's memo was emptied first
        (its references keep everything shipped alive, so now and then it is)."""
        batches: list[tuple[bool, bytes] | None] = []
        for owner, states in enumerate(self.held):
            if owner == self.index or not states:
                batches.append(None)
                continue
            pickler, out = self._picklers[owner], self._outs[owner]
            fresh = self._shipped[owner] >= _MEMO_STATES
            if fresh:  # a new pickler (and unpickler, at the other end): a new memo
                pickler = self._picklers[owner] = pickle.Pickler(out, _PROTOCOL)
                self._shipped[owner] = 0
            self._shipped[owner] += len(states)
            out.seek(0)
            out.truncate()
            pickler.dump((list(states), list(states.values())))
            batches.append((fresh, out.getvalue()))
            states.clear()
        return batches

    def _receive(self, batches: list[tuple[bool, bytes] | None]) -> LevelReport:
        """Keep, validate, check and queue the shipped states not seen before; end the level."""
        report = LevelReport(fired=[0] * len(self.model.actions))
        seen, length, validate = self.seen, self.level + 1, self.model.validate
        for sender, batch in enumerate(batches):
            if batch is None:
                continue
            fresh, blob = batch
            unpickler, stream = self._unpicklers[sender], self._ins[sender]
            if fresh:  # (clearing a memo in place confuses protocol 4's implicit indices)
                unpickler = self._unpicklers[sender] = pickle.Unpickler(stream)
            stream.seek(0)
            stream.truncate()
            stream.write(blob)
            stream.seek(0)
            states, parents = unpickler.load()
            report.shipped += len(states)
            like = None  # the last state validated from this sender's stream
            for st, parent in zip(states, parents):
                if st not in seen:
                    # Parts that arrived before (a reference in the stream) are the very
                    # objects of `like`, and are not looked at again
                    try:
                        validate(st, like)
                    except (SpecRuntimeError, TypeError):
                        report.found = Found("invalid", self.level, parent, None, st)
                        return report
                    like = st
                    self._take(st, parent, report, length)
                    if report.found:
                        return report
        self.level += 1
        report.resident = resident_bytes()
        return report

    def _take(self, st: Any, parent: int, report: LevelReport, length: int) -> None:
        """Number a new owned state, check it, queue it (`length`: steps to it)."""
        number = len(self.states) * self.count + self.index
        self.states.append(st)
        self.seen[st] = parent
        self._check(st, number, report, length)

    def _path(self, number: int) -> tuple[Any, int]:
        """The numbered state and its parent's number (ROOT if none known here)."""
        st = self.states[number // self.count]
        return st, self.seen[st]

    def _number(self, _: Any) -> bytes:
        """The fingerprints of the numbered states, by k (to turn to fingerprints)."""
        fingerprint = self.model.fingerprint
        return array("Q", map(fingerprint, self.states)).tobytes()

    def _convert(self, tables: list[bytes]) -> None:
        """Become a fingerprint-mode worker (owning by hash, as before): every owned state
        goes into a FingerprintSet with its parent's fingerprint, taken from `tables`
        (every worker's `_number`); the queue is keyed by fingerprints."""
        fps = [array("Q", blob) for blob in tables]
        count, mine = self.count, fps[self.index]
        fingerprint, inherited = self.model.fingerprint, self.inherited
        visited = FingerprintSet()
        for k, st in enumerate(self.states):
            parent = self.seen.pop(st)
            if parent == ROOT and inherited is not None and st in inherited:
                self.seen[st] = ROOT  # inherited: added below with the others
                continue
            visited.add_new(
                mine[k], None if parent == ROOT else fps[parent % count][parent // count]
            )
        for st in self.seen:  # the inherited states this worker owns
            parent_state = inherited[st] if inherited is not None else None
            visited.add_new(
                fingerprint(st), None if parent_state is None else fingerprint(parent_state)
            )
        worker = _Worker(
            self.model,
            fingerprint,
            self.options,
            self.index,
            count,
            visited,
            self.level,
            self.live,
            self.owner,
            balance=self.balance,
        )
        while len(self.frontier):
            st, number = self.frontier.pop()
            worker.frontier.push((st, mine[number // count]))
        # what stays of this worker is its frame in `serve`: let go of the rest
        self.seen, self.states, self.inherited = {}, [], None
        self._picklers, self._unpicklers, self._outs, self._ins = [], [], [], []
        self.successor = worker


_PROTOCOL = pickle.HIGHEST_PROTOCOL
# states pickled to one owner before its stream starts a new memo: on paxos (3 nodes, 1
# fault), 1 << 15 took 8.6-9.2 s and 233 MiB a worker; a memo per batch 9.7-10.5 s and
# 161 MiB; 1 << 17 (never renewed there) 9.0-9.9 s and 326 MiB
_MEMO_STATES = 1 << 15


def _serve(
    model: Model,
    key: Any,
    options: Any,
    index: int,
    count: int,
    visited: Any,
    level: int,
    live: Any,
    balance: _Balance,
    owner: Callable[[Any], int] | None,
    conn: Connection,
    adopt: list[Any] | None,
) -> None:
    try:
        if key is None:  # exact: `visited`, if given, is the whole states seen so far
            assert owner is not None
            worker: _Worker = _ExactWorker(
                model, options, index, count, visited, level, live, balance, owner
            )
        else:
            worker = _Worker(
                model, key, options, index, count, visited, level, live, owner, balance=balance
            )
        if adopt is not None:
            worker._adopt(adopt)
        worker.serve(conn)
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


class Pool:
    """The worker processes of one search, and the coordinator's side of the exchanges."""

    def __init__(
        self,
        model: Model,
        key: Any,
        options: Any,
        count: int,
        visited: Any = None,
        level: int = 0,
        owner: Callable[[Any], int] | None = None,
        adopt: list[list[Any]] | None = None,
    ):
        """Fork `count` workers; each inherits `visited` (states seen so far) if given,
        and its share of `adopt` (states seen and checked, to expand first: by fork, not
        pickled through a pipe, which took 40-150 ms for a level of 8,000-46,000 states).
        With `key` None the workers keep whole states (`_ExactWorker`) and `visited`, if
        given, is a `Visited` of whole states; otherwise a `FingerprintSet`. `owner`
        gives a state's worker (`Model.owner`); without it (only with a `key`), a state
        is owned by its key modulo `count`."""
        if key is None and owner is None:
            raise ValueError("exact workers need an owner function")
        context = multiprocessing.get_context("fork")
        self.count = count
        self.exact = key is None  # whole states, until `fingerprints`
        self.by_key = owner is None  # states owned by their key (a fingerprint) modulo count
        self.conns: list[Connection] = []
        self.procs = []
        # each worker's (expanded, generated, new) so far in the level it is expanding
        self.live = context.RawArray("q", 3 * count)
        self.balance = _Balance(context, count)
        for index in range(count):
            mine, theirs = context.Pipe()
            proc = context.Process(
                target=_serve,
                args=(
                    model,
                    key,
                    options,
                    index,
                    count,
                    visited,
                    level,
                    self.live,
                    self.balance,
                    owner,
                    theirs,
                    None if adopt is None else adopt[index],
                ),
                daemon=True,
            )
            proc.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(proc)

    def ask_all(
        self,
        command: str,
        payloads: list[Any],
        tick: Callable[[], None] | None = None,
        every: float = 1.0,
    ) -> list[Any]:
        """Send each worker its payload; their answers, in order. While waiting, call
        `tick` about every `every` seconds (for progress lines)."""
        for conn, payload in zip(self.conns, payloads):
            conn.send_bytes(pickle.dumps((command, payload), pickle.HIGHEST_PROTOCOL))
        answers: dict[int, Any] = {}
        pending = {id(conn): i for i, conn in enumerate(self.conns)}
        while pending:
            ready = wait([self.conns[i] for i in pending.values()], every if tick else None)
            for conn in ready:
                answers[pending.pop(id(conn))] = pickle.loads(conn.recv_bytes())  # type: ignore[union-attr]
            if tick is not None and pending:
                tick()
        return [answers[i] for i in range(self.count)]

    def fingerprints(self) -> None:
        """Turn exact workers into fingerprint-mode ones (each keeps its owner function)."""
        tables = self.ask_all("number", [None] * self.count)
        self.ask_all("convert", [tables] * self.count)
        self.exact = False

    def live_counts(self) -> tuple[int, int, int]:
        """(expanded, generated, new) summed over the workers, in the level under way."""
        live = self.live
        return (sum(live[0::3]), sum(live[1::3]), sum(live[2::3]))

    def reset_live(self) -> None:
        self.live[:] = [0] * len(self.live)

    def ask(self, worker: int, command: str, payload: Any) -> Any:
        conn = self.conns[worker]
        conn.send_bytes(pickle.dumps((command, payload), pickle.HIGHEST_PROTOCOL))
        return pickle.loads(conn.recv_bytes())

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send_bytes(pickle.dumps(("stop", None)))
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
        for conn in self.conns + self.balance.inbox + self.balance.post:
            conn.close()
