"""Compile a `Spec` instance into the `Model` the engine explores.

The model owns everything the engine needs to know about a spec: its initial states,
the deterministic enumeration of successors, fault budgets, and the predicates. The
engine sees opaque states and integers; labels and user-facing states are rebuilt
only when a trace is reported.

Fault budgets: when a spec has fault actions with a positive budget, the model's
state is the pair `(spec state, faults used per budget)`, so a budget is counted
per path. With every budget at zero the fault actions are left out and the model's
state is the spec's state.
"""

from __future__ import annotations

import copy
import functools
import inspect
import itertools
import operator
import traceback
import types
from collections.abc import Callable, Container, Iterable, Iterator
from dataclasses import dataclass
from types import GeneratorType
from typing import Any, NamedTuple

from checker.spec import ActionDef, ActionLabel, Choice, PropertyDef, Spec, SpecDefinitionError
from checker.state import Fingerprinter, find_unhashable

_new_tuple = tuple.__new__
_is_not_none = functools.partial(operator.is_not, None)


class SpecRuntimeError(Exception):
    """User code (an action, domain or predicate) raised, or returned something unusable."""

    def __init__(self, where: str, message: str, cause: BaseException | None = None):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message
        self.cause = cause

    def details(self) -> str:
        """The end of the spec's own traceback, if user code raised ("" otherwise)."""
        if self.cause is None:
            return ""
        return "".join(traceback.format_exception(self.cause)[-4:])


class BadDomain(SpecRuntimeError, SpecDefinitionError):
    """A parameter domain that is not iterable: refused at load, or when met later."""

    def __init__(self, where: str, message: str):
        SpecRuntimeError.__init__(self, where, message)
        self.args = (f"{where} {message}",)


class Transition(NamedTuple):
    """One enabled step: which action (index into `Model.actions`), with what parameters."""

    action: int
    params: tuple[tuple[str, Any], ...]
    target: Any


@dataclass(frozen=True)
class PropertyFailure:
    """A predicate that did not hold, with the explanation the spec gave (if any)."""

    name: str
    kind: str
    message: str = ""


@dataclass(frozen=True)
class _CompiledAction:
    definition: ActionDef
    domains: tuple[tuple[str, Callable[[Any], list[Any]]], ...]
    budget_slot: int | None  # index into the used-faults tuple, for faults
    limit: int
    static: bool  # no domain looks at the state
    # the domain names in the order the method takes them by position after (self, s),
    # when there are one or two: a call by keywords took three times as long as one by
    # position (about 230 against 40 ns, timed on an action that returns at once)
    positional: tuple[str, ...] | None


class Model:
    """The explored transition system of one spec instance. Build with `compile_spec`."""

    def __init__(self, spec: Spec):
        self.spec = spec
        info = type(spec).spec_info()
        self.info = info
        if not info.actions:
            raise SpecDefinitionError(
                f"spec {type(spec).__name__} defines no actions; tag at least one method "
                "with @action(...)"
            )
        if type(spec).init_states is Spec.init_states:
            raise SpecDefinitionError(
                f"spec {type(spec).__name__} has no init_states(); define one that yields "
                "the initial state(s)"
            )
        self._fingerprint = Fingerprinter()
        #: `validate` without its error: raises TypeError or ValueError on a new state
        #: that could not be fingerprinted (for the engine's inner loop)
        self.check_like = self._fingerprint.check_like
        self._static_bindings: dict[int, list[tuple[tuple, dict, tuple | None]]] = {}
        self.budget_names: tuple[str, ...] = ()
        self.actions: tuple[_CompiledAction, ...] = self._compile_actions(spec, info.actions)
        self.invariants = info.invariants
        self.step_invariants = info.step_invariants
        self.reachables = info.reachables
        self.terminals = info.terminals
        self.constraints = info.constraints
        self._initial = self._compute_initial()

    # --- compilation -------------------------------------------------------------

    def _compile_actions(self, spec: Spec, defs: tuple[ActionDef, ...]) -> tuple:
        budgets: dict[str, int] = {}
        for d in defs:
            if d.is_fault and d.budget is not None and d.budget not in budgets:
                limit = getattr(spec, d.budget, None)
                if limit is None:
                    raise SpecDefinitionError(
                        f"fault `{d.name}` is counted against budget `{d.budget}`, but spec "
                        f"{type(spec).__name__} has no attribute `{d.budget}`; add a "
                        f"`{d.budget}` parameter to __init__ and store it on self"
                    )
                if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
                    raise SpecDefinitionError(
                        f"fault budget `{d.budget}` must be a whole number >= 0, got {limit!r}"
                    )
                budgets[d.budget] = limit
        active = [name for name, limit in budgets.items() if limit > 0]
        self.budget_names = tuple(active)
        compiled = []
        omitted = spec.omitted_actions()
        for d in defs:
            if d.name in omitted:
                continue
            slot = None
            limit = 0
            if d.is_fault:
                if d.budget not in active:
                    continue  # budget 0: this fault can never fire
                slot = active.index(d.budget)
                limit = budgets[d.budget]
            domains = tuple((name, _domain_reader(d.name, name, dom)) for name, dom in d.domains)
            static = all(_is_static(dom) for _, dom in d.domains)
            positional = _positional(d.method, tuple(name for name, _ in d.domains))
            compiled.append(_CompiledAction(d, domains, slot, limit, static, positional))
        if not compiled:
            raise SpecDefinitionError(
                f"spec {type(spec).__name__} has only fault actions; add an @action"
            )
        return tuple(compiled)

    def _compute_initial(self) -> list[Any]:
        try:
            states = list(self.spec.init_states())
        except Exception as exc:
            raise SpecRuntimeError("init_states()", f"raised {exc!r}", exc) from exc
        if not states:
            raise SpecDefinitionError(
                f"spec {type(self.spec).__name__}.init_states() produced no state"
            )
        for s in states:
            bad = find_unhashable(s)
            if bad:
                raise SpecDefinitionError(f"initial state is not a valid state: {bad}")
        if self.budget_names:
            zero = (0,) * len(self.budget_names)
            return [(s, zero) for s in states]
        return states

    @property
    def has_locality(self) -> bool:
        """Whether the spec says which part of a state its owner is chosen by."""
        return type(self.spec).locality is not Spec.locality

    def owner(self, count: int, by_locality: bool = True) -> Callable[[Any], int]:
        """Which of `count` workers owns a state: by the hash of the spec's `locality`
        of it if the spec defines one (and `by_locality`), else by the hash of the
        whole state. Workers are forked, so `hash()` (its secret for strings too) is
        the same in each."""
        if not (by_locality and self.has_locality):
            return lambda st: hash(st) % count
        locality = self.spec.locality
        budgeted = bool(self.budget_names)

        def owner(st: Any) -> int:
            try:
                return hash(locality(st[0] if budgeted else st)) % count
            except Exception as exc:
                raise SpecRuntimeError("locality", f"raised {exc!r}", exc) from exc

        return owner

    def symmetric_key(self, exact: bool = False, sort: bool = True) -> Callable[[Any], Any]:
        """A key equal for states that differ only by renaming interchangeable nodes.

        With the spec's `node_signature` (and `sort`), it is the fingerprint of the
        state renamed so that the nodes' signatures come in sorted order; otherwise the
        smallest fingerprint over all renamings. With `exact`, the renamed state itself.
        Raises `SpecDefinitionError` without `permute`.
        """
        spec = self.spec
        if type(spec).permute is Spec.permute:
            raise SpecDefinitionError(
                f"spec {type(spec).__name__} declares no symmetry; define "
                "permute(self, state, perm) to rename node ids, or drop --symmetry"
            )
        ids = list(spec.symmetric_ids())
        budgeted = bool(self.budget_names)
        fingerprint = self.fingerprint

        def renamed(s: Any, perm: dict[Any, Any]) -> Any:
            try:
                return spec.permute(s, perm)
            except Exception as exc:
                raise SpecRuntimeError("permute", f"raised {exc!r}", exc) from exc

        if sort and type(spec).node_signature is not Spec.node_signature:
            signature, rank = spec.node_signature, self._fingerprint

            def sorted_key(st: Any) -> Any:
                s = st[0] if budgeted else st
                try:  # signatures are ordered by their fingerprints: any value will do
                    ranks = [rank(signature(s, n)) for n in ids]
                except Exception as exc:
                    raise SpecRuntimeError("node_signature", f"raised {exc!r}", exc) from exc
                order = sorted(range(len(ids)), key=ranks.__getitem__)
                t = renamed(s, {ids[old]: ids[new] for new, old in enumerate(order)})
                t = (t, st[1]) if budgeted else t
                return t if exact else fingerprint(t)

            return sorted_key

        perms = [dict(zip(ids, p)) for p in itertools.permutations(ids)]

        def key(st: Any) -> Any:
            s = st[0] if budgeted else st
            best_fp, best = None, None
            for perm in perms:
                t = renamed(s, perm)
                t = (t, st[1]) if budgeted else t
                fp = fingerprint(t)
                if best_fp is None or fp < best_fp:
                    best_fp, best = fp, t
            return best if exact else best_fp

        return key

    def explorer(self, roots: list[Any] | None = None) -> Model:
        """This model without properties, optionally starting from `roots` (model states).

        For drawing: exploring it visits the state graph without stopping at a
        violation; with roots, it visits the neighbourhood of those states.
        """
        other = copy.copy(self)
        other.invariants = other.step_invariants = other.reachables = ()
        if roots is not None:
            other._initial = list(roots)
        return other

    # --- what the engine calls ----------------------------------------------------

    def initial(self) -> list[Any]:
        return self._initial

    def user_state(self, st: Any) -> Any:
        """The spec's view of a model state (without the fault counters)."""
        return st[0] if self.budget_names else st

    def fingerprint(self, st: Any) -> int:
        """The state's stable fingerprint; refuses values that cannot be in a state."""
        try:
            return self._fingerprint(st)
        except (TypeError, ValueError):
            raise self.refused(st) from None

    def validate(self, st: Any, parent: Any) -> None:
        """Refuse a new state that could not be fingerprinted (a plain object in it),
        looking only at what differs from `parent`, a state that passed."""
        try:
            self._fingerprint.check_like(st, parent)
        except (TypeError, ValueError):
            raise self.refused(st) from None

    def validate_step(self, st: Any, parent: Any, index: int, params: tuple, item: Any) -> None:
        """`validate` for the successor a step made (its action index, label parameters
        and item, as in `step_groups`): the error names the action."""
        try:
            self._fingerprint.check_like(st, parent)
        except (TypeError, ValueError):
            raise self.invalid_state(st, self.transition(index, params, item)) from None

    def refused(self, st: Any) -> SpecRuntimeError:
        """The error for a state that cannot be fingerprinted, when its step is unknown."""
        return SpecRuntimeError("a successor", f"is not a valid state: {self._why_invalid(st)}")

    def _why_invalid(self, st: Any) -> str:
        """What in `st` cannot be part of a state (the field and what to use instead)."""
        return find_unhashable(self.user_state(st)) or "it cannot be fingerprinted"

    def successors(self, st: Any) -> Iterator[Transition]:
        """Every enabled step from `st`, in a deterministic order."""
        transition = self.transition
        for index, params, items in self.step_groups(st):
            for item in items:
                yield transition(index, params, item)

    def step_groups(self, st: Any) -> list[tuple[int, tuple, list[Any]]]:
        """The steps of `successors`, grouped by call of an action: (action index, the
        call's label parameters, what it yielded, Nones left out). An item is a target
        or a `Choice` (target, more parameters); `transition` makes it a Transition.

        For the engine's inner loop: an action's generator is drained in C, and a step
        becomes a Transition only when it is recorded or reported.
        """
        spec = self.spec
        budgeted = bool(self.budget_names)
        s, used = (st[0], st[1]) if budgeted else (st, None)
        static = self._static_bindings
        groups = []
        for index, act in enumerate(self.actions):
            if budgeted and act.budget_slot is not None and used[act.budget_slot] >= act.limit:
                continue
            method = act.definition.method
            bindings = static.get(index)
            if bindings is None:
                bindings = self._bindings(index, act, s)
            for params, kwargs, args in bindings:
                try:
                    if args is None:
                        out = method(spec, s, **kwargs) if kwargs else method(spec, s)
                    elif len(args) == 1:
                        out = method(spec, s, args[0])
                    else:
                        out = method(spec, s, args[0], args[1])
                except Exception as exc:
                    raise self._raised(act, params, exc) from exc
                if out is None:
                    continue
                kind = type(out)
                if kind is GeneratorType or kind is list or isinstance(out, (GeneratorType, list)):
                    try:
                        items = list(filter(_is_not_none, out))
                    except Exception as exc:
                        raise self._raised(act, params, exc) from exc
                    if not items:
                        continue
                elif kind is bool:
                    label = ActionLabel(act.definition.name, params, act.definition.is_fault)
                    raise SpecRuntimeError(
                        f"action {label}",
                        f"returned {out}; return the next state, or None when it is disabled "
                        "(`return cond and s.set(...)` returns False)",
                    )
                else:
                    items = [out]
                if budgeted:
                    # each target paired with the budgets used after the step (one
                    # more of this action's, if it has one); no call per item
                    slot = act.budget_slot
                    after = (
                        used if slot is None else used[:slot] + (used[slot] + 1,) + used[slot + 1 :]
                    )
                    items = [
                        _new_tuple(Choice, ((item[0], after), item[1]))
                        if type(item) is Choice or isinstance(item, Choice)
                        else (item, after)
                        for item in items
                    ]
                groups.append((index, params, items))
        return groups

    @staticmethod
    def transition(index: int, params: tuple, item: Any) -> Transition:
        """The Transition of an item of `step_groups`."""
        if type(item) is Choice or isinstance(item, Choice):
            return _new_tuple(Transition, (index, params + item[1] if params else item[1], item[0]))
        return _new_tuple(Transition, (index, params, item))

    def _raised(self, act: _CompiledAction, params: tuple, exc: Exception) -> SpecRuntimeError:
        label = ActionLabel(act.definition.name, params, act.definition.is_fault)
        return SpecRuntimeError(f"action {label}", f"raised {exc!r}", exc)

    def _bindings(
        self, index: int, act: _CompiledAction, s: Any
    ) -> list[tuple[tuple, dict, tuple | None]]:
        """Every (label params, keyword arguments, the same by position or None) of an
        action in state `s`.

        When no domain looks at the state, the list is computed once per model (and
        `step_groups` finds it in `_static_bindings`).
        """
        names = tuple(n for n, _ in act.domains)
        values = [read(self.spec, s) for _, read in act.domains]
        order = act.positional  # (one or two names: the domains' order, or reversed)
        flip = order is not None and order != names
        bindings = [
            (
                tuple(zip(names, combo)),
                dict(zip(names, combo)),
                None if order is None else combo[::-1] if flip else combo,
            )
            for combo in itertools.product(*values)
        ]
        if act.static:
            self._static_bindings[index] = bindings
        return bindings

    def label(self, tr: Transition) -> ActionLabel:
        d = self.actions[tr.action].definition
        return ActionLabel(d.name, tr.params, d.is_fault)

    def is_fault(self, action: int) -> bool:
        return self.actions[action].definition.is_fault

    def check_invariants(self, st: Any, only: str | None = None) -> PropertyFailure | None:
        """The first invariant (or just `only`) that fails in `st`, or None."""
        props = self.invariants
        if only is not None:
            props = tuple(p for p in props if p.name == only)
        return _check_all(_bound(self.spec, props), (self.user_state(st),))

    def check_step(
        self, before: Any, after: Any, only: str | None = None
    ) -> PropertyFailure | None:
        """The first step invariant (or just `only`) that fails from `before` to `after`."""
        props = self.step_invariants
        if only is not None:
            props = tuple(p for p in props if p.name == only)
        return _check_all(
            _bound(self.spec, props), (self.user_state(before), self.user_state(after))
        )

    def step_checker(self) -> Callable[[Any, Any], PropertyFailure | None] | None:
        """`check_step` without its options, for the engine's inner loop (None if no step
        invariants)."""
        if not self.step_invariants:
            return None
        checks = _bound(self.spec, self.step_invariants)
        if self.budget_names:
            return lambda before, after: _check_all(checks, (before[0], after[0]))
        return lambda before, after: _check_all(checks, (before, after))

    def invariant_checker(self) -> Callable[[Any], PropertyFailure | None]:
        """`check_invariants` without its options, for the engine's inner loop."""
        checks = _bound(self.spec, self.invariants)
        if self.budget_names:
            return lambda st: _check_all(checks, (st[0],))
        return lambda st: _check_all(checks, (st,))

    def is_terminal(self, st: Any) -> bool:
        s = self.user_state(st)
        return any(_predicate(self.spec, p, s) for p in self.terminals)

    def explain_deadlock(self, st: Any) -> str:
        try:
            text = self.spec.explain_deadlock(self.user_state(st))
        except Exception as exc:
            raise SpecRuntimeError("explain_deadlock", f"raised {exc!r}", exc) from exc
        return text or "no step is enabled and the state is not declared terminal"

    def admits(self, st: Any) -> bool:
        s = self.user_state(st)
        return all(_predicate(self.spec, p, s) for p in self.constraints)

    def witnessed(self, st: Any, known: Container[int] = ()) -> list[int]:
        """Indices of the @reachable properties that `st` satisfies, among those not in
        `known` (a search looks for each only until some state has shown it)."""
        s = self.user_state(st)
        spec = self.spec
        return [
            i for i, p in enumerate(self.reachables) if i not in known and _predicate(spec, p, s)
        ]

    def invalid_state(self, st: Any, tr: Transition) -> SpecRuntimeError:
        """The error for a successor that cannot be a state, naming the action and field."""
        return SpecRuntimeError(
            f"action {self.label(tr)}", f"returned an invalid state: {self._why_invalid(st)}"
        )


def compile_spec(spec: Spec) -> Model:
    """Validate `spec` and build its model; raises `SpecDefinitionError` with the fix."""
    model = Model(spec)
    first = model.user_state(model.initial()[0])
    for act in model.actions:
        for _, read in act.domains:
            read(spec, first)  # a domain that is not iterable is refused here, at load
    return model


def _positional(method: Callable[..., Any], names: tuple[str, ...]) -> tuple[str, ...] | None:
    """`names` in the order `method` takes them by position right after (self, s), if it
    can and there are one or two of them; else None (the call passes keywords)."""
    if not 1 <= len(names) <= 2:
        return None
    try:  # a wrapper's own signature: it may take keywords only, whatever it wraps
        params = list(inspect.signature(method, follow_wrapped=False).parameters.values())
    except (TypeError, ValueError):
        return None
    by_position = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    head = params[: 2 + len(names)]
    if len(head) < 2 + len(names) or any(p.kind not in by_position for p in head):
        return None
    order = tuple(p.name for p in head[2:])
    # (a name among the first two would be missing here)
    return order if sorted(order) == sorted(names) else None


def _is_static(dom: Any) -> bool:
    """Whether a domain ignores the state: an iterable, or a function of `self` only."""
    if not callable(dom):
        return True
    try:
        return len(inspect.signature(dom).parameters) == 1
    except (TypeError, ValueError):
        return False


def _domain_reader(action: str, param: str, dom: Any) -> Callable[[Any, Any], list[Any]]:
    """Turn a declared domain into `read(spec, state) -> list` with a deterministic order.

    A domain that does not look at the state (an iterable, or a function of `self`
    only) is evaluated once per model, not once per state.
    """
    where = f"domain of `{param}` in action `{action}`"
    if not callable(dom):
        fixed = ordered_domain(where, dom)
        return lambda spec, s: fixed
    try:
        arity = len(inspect.signature(dom).parameters)
    except (TypeError, ValueError):
        arity = 2
    if arity not in (1, 2):
        raise SpecDefinitionError(
            f"{where} must take (self) or (self, state), not {arity} arguments"
        )

    def call(spec: Any, s: Any) -> list[Any]:
        try:
            values = dom(spec) if arity == 1 else dom(spec, s)
        except Exception as exc:
            raise SpecRuntimeError(where, f"raised {exc!r}", exc) from exc
        return ordered_domain(where, values)

    if arity == 2:
        return call
    cache: list[list[Any]] = []  # readers are built per model, so one slot suffices

    def once(spec: Any, s: Any) -> list[Any]:
        if not cache:
            cache.append(call(spec, s))
        return cache[0]

    return once


def ordered_domain(where: str, values: Any) -> list[Any]:
    """`values` as a list in an order that is the same in every run (sets sorted)."""
    kind = type(values)
    if kind is range or kind is tuple or kind is list:  # the common cases, without the
        return list(values)  # abstract-class checks below, which cost more than the copy
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise BadDomain(
            where,
            f"is not iterable (got {type(values).__name__} {values!r}); "
            "give a range, tuple or set of values, e.g. range(self.nodes)",
        )
    if isinstance(values, (set, frozenset, dict)):
        try:
            return sorted(values)
        except TypeError:
            return sorted(values, key=repr)  # mixed types: still the same order every run
    return list(values)


def _bound(spec: Spec, props: tuple[PropertyDef, ...]) -> tuple[tuple[PropertyDef, Any], ...]:
    """Each property with its method bound to the spec, for `_check_all`."""
    return tuple((p, types.MethodType(p.method, spec)) for p in props)


def _check_all(checks: tuple[tuple[PropertyDef, Any], ...], args: tuple) -> PropertyFailure | None:
    """The first property that fails on `args`, or None: one guarded loop, no per-call setup."""
    p = None
    try:
        for p, method in checks:
            ok = method(*args)
            if not ok:
                if ok is None:
                    raise SpecRuntimeError(
                        f"{p.kind} {p.name}", "returned None; return True or False"
                    )
                return PropertyFailure(p.name, p.kind)
    except AssertionError as exc:
        assert p is not None
        return PropertyFailure(p.name, p.kind, str(exc))
    except SpecRuntimeError:
        raise
    except Exception as exc:
        assert p is not None
        raise SpecRuntimeError(f"{p.kind} {p.name}", f"raised {exc!r}", exc) from exc
    return None


def _predicate(spec: Spec, p: PropertyDef, s: Any) -> bool:
    try:
        return bool(p.method(spec, s))
    except Exception as exc:
        raise SpecRuntimeError(f"{p.kind} {p.name}", f"raised {exc!r}", exc) from exc
