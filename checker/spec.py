"""The spec API: a `Spec` base class and decorators that tag its methods.

A spec is a transition system written as a class, in the spirit of TLA+'s
Init/Next and Stateright's `Model`:

    class Counter(Spec):
        def __init__(self, limit: int = 3):
            self.limit = limit
        def init_states(self):
            yield State(n=0)
        @action()
        def inc(self, s):
            return s.set(n=s.n + 1) if s.n < self.limit else None
        @invariant
        def bounded(self, s):
            return s.n <= self.limit

Decorators only tag; the base class collects the tagged members once per class and
refuses a malformed spec with a `SpecDefinitionError` that names the fix.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, ClassVar

Domain = Callable[..., Iterable[Any]] | Iterable[Any]

_TAG = "__checker_role__"


class SpecDefinitionError(Exception):
    """A spec class or instance is malformed; the message says how to fix it."""


@dataclass(frozen=True)
class ActionDef:
    """An action or fault as declared: its method and parameter domains."""

    name: str
    method: Callable[..., Any]
    domains: tuple[tuple[str, Domain], ...]
    is_fault: bool = False
    budget: str | None = None


@dataclass(frozen=True)
class PropertyDef:
    """A predicate tagged on a spec: invariant, step invariant, reachable, etc."""

    name: str
    kind: str
    method: Callable[..., Any]
    doc: str = ""


@dataclass(frozen=True)
class ActionLabel:
    """A step's label as a value: the action's name and its parameters.

    Printed the same way everywhere: `read_X(p=1)`, and `crash(p=0)` for faults.
    """

    name: str
    params: tuple[tuple[str, Any], ...] = ()
    is_fault: bool = False

    def __str__(self) -> str:
        if not self.params:
            return self.name
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.params)
        return f"{self.name}({args})"


def _show(value: Any) -> str:
    from checker.syntax import format_value

    return format_value(value)


@dataclass(frozen=True)
class SpecInfo:
    """Everything the base class collected from a spec class, in declaration order."""

    actions: tuple[ActionDef, ...]
    invariants: tuple[PropertyDef, ...] = ()
    step_invariants: tuple[PropertyDef, ...] = ()
    reachables: tuple[PropertyDef, ...] = ()
    terminals: tuple[PropertyDef, ...] = ()
    constraints: tuple[PropertyDef, ...] = ()
    params: tuple[inspect.Parameter, ...] = field(default=())


def _tag(role: str, **extra: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(fn):
            raise SpecDefinitionError(f"@{role} must decorate a method, not {fn!r}")
        previous = getattr(fn, _TAG, None)
        if previous is not None:
            raise SpecDefinitionError(
                f"`{fn.__name__}` is tagged both @{previous[0]} and @{role}; "
                "a method plays one role: split it into two methods"
            )
        setattr(fn, _TAG, (role, extra))
        return fn

    return mark


def action(fn: Callable[..., Any] | None = None, /, **domains: Domain) -> Any:
    """Tag a method as an action. Keyword arguments give each parameter's domain.

    A domain is an iterable, or a function `(self)` or `(self, state)` returning one,
    like `\\E p \\in Procs`: `@action(p=lambda self, s: range(self.nodes))`. The method
    takes `(self, state, **params)` and returns the next state, None when disabled, or
    an iterable of next states (or of `Choice` values to label each one). Bare
    `@action` tags a method with no parameters, typically one that yields `Choice`s:
    `for m in sorted(s.msgs): yield Choice(next_state, (("m", m),))`.
    """
    if fn is not None:
        return _tag("action", domains={})(fn)
    return _tag("action", domains=domains)


def fault(
    budget: str = "faults", **domains: Domain
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tag a method as a fault: an action counted against the budget named `budget`.

    The budget is the spec attribute of that name (`--faults` sets `faults`). Each
    fault step is labelled as one in traces and counted in the state.
    """
    return _tag("fault", domains=domains, budget=budget)


def invariant(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Tag `(self, state) -> bool`, checked on every new state.

    Returning False, or failing an `assert` (whose message explains the values that
    broke it), is a violation.
    """
    return _tag("invariant")(fn)


def step_invariant(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Tag `(self, before, after) -> bool`, checked on every transition that changes the
    state (a stuttering step, to an equal state, is always allowed, as in TLA+)."""
    return _tag("step_invariant")(fn)


def reachable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Tag `(self, state) -> bool` that some reachable state must satisfy.

    A complete search that finds no witness is a violation: it guards against
    properties that pass only because the interesting states were never reached.
    """
    return _tag("reachable")(fn)


def terminal(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Tag `(self, state) -> bool`: states where having no step is not a deadlock."""
    return _tag("terminal")(fn)


def constraint(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Tag `(self, state) -> bool`: states failing it are discarded (TLC's CONSTRAINT)."""
    return _tag("constraint")(fn)


class Choice(tuple):
    """One of several next states an action yields, with its own label parameters.

    `Choice(next_state, (("m", m),))` or `Choice.of(next_state, m=m)`; the label
    reads `Action(m=...)`, after the action's own parameters if it has any. A pair
    (`choice.state`, `choice.params`); a plain tuple underneath, as an action may
    yield one per successor.
    """

    __slots__ = ()

    def __new__(cls, state: Any, params: tuple[tuple[str, Any], ...]) -> Choice:
        return _new_tuple(cls, (state, params))

    state = property(itemgetter(0), doc="the next state")
    params = property(itemgetter(1), doc="the label parameters, (name, value) pairs")

    @staticmethod
    def of(state: Any, **params: Any) -> Choice:
        return Choice(state, tuple(params.items()))

    def __getnewargs__(self) -> tuple[Any, tuple[tuple[str, Any], ...]]:
        return (self[0], self[1])

    def __repr__(self) -> str:
        return f"Choice(state={self[0]!r}, params={self[1]!r})"


_new_tuple = tuple.__new__


_ROLE_FIELD = {
    "invariant": "invariants",
    "step_invariant": "step_invariants",
    "reachable": "reachables",
    "terminal": "terminals",
    "constraint": "constraints",
}


class Spec:
    """Base class of every spec. Subclasses define `init_states` and tagged methods.

    Parameters are the keyword arguments of `__init__` (`nodes`, `faults`, ...); the
    CLI maps `--nodes`, `--faults` and `--param key=value` onto them.
    """

    _info: ClassVar[SpecInfo]
    #: catalogue name; defaults to the class name in kebab-case
    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__).lower()
        cls._info = _collect(cls)

    def init_states(self) -> Iterable[Any]:
        raise NotImplementedError

    @classmethod
    def spec_info(cls) -> SpecInfo:
        return cls._info

    def permute(self, state: Any, perm: dict[Any, Any]) -> Any:
        """The state with node ids renamed by `perm` (old id -> new id), for --symmetry.

        Define it only when nodes are interchangeable: the initial states, every
        action and every property must treat a renamed state like the original.
        `check --symmetry-check` verifies that on a small instance.
        """
        raise NotImplementedError

    def symmetric_ids(self) -> Iterable[Any]:
        """The interchangeable node ids that `permute` renames (by default 0..nodes-1)."""
        return range(self.nodes)  # type: ignore[attr-defined]

    def node_signature(self, state: Any, node: Any) -> Any:
        """Optional, with `permute`: everything `state` says about `node`, without naming
        it or any other interchangeable node (e.g. `(s.rmState[rm], rm in s.tmPrepared)`).

        With it, `--symmetry` sorts the nodes by signature and renames them in that
        order: one `permute` per state instead of one per renaming (n! of them). Nodes
        with equal signatures must then be interchangeable in the state; if they are
        not, the search stays sound but keeps more than one state per symmetry class,
        which `--symmetry-check` reports.
        """
        raise NotImplementedError

    def locality(self, state: Any) -> Any:
        """Optional, for `--workers`: the part of `state` that decides which worker
        owns it, chosen so that few steps change it (e.g. the leaders' records).

        By default a state is owned by the hash of all of it, so with n workers a
        successor belongs to another worker (n-1)/n of the time and is shipped there.
        Owned by a part that most steps leave alone, most successors stay with the
        worker that made them (Lerda and Sisto's locality-preserving partition). The
        part must take many values, spread evenly over the states of each level, or
        one worker keeps most of the states. It must be a function of `state` alone;
        results (counts, counterexample lengths) do not depend on it, only speed.
        """
        raise NotImplementedError

    def omitted_actions(self) -> frozenset[str]:
        """Names of actions that cannot fire in this configuration, left out of the model.

        They then neither cost time nor show up as "never fired" in coverage.
        """
        return frozenset()

    def explain_deadlock(self, state: Any) -> str | None:
        """Say, in the spec's own terms, why nothing can move in `state` (optional)."""
        return None

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Each parameter's default as it takes effect (for listings and file names)."""
        return {p.name: p.default for p in cls._info.params}

    def describe_params(self) -> dict[str, Any]:
        """The parameter values this instance was built with, for labels and file names."""
        return {p.name: getattr(self, p.name, p.default) for p in self._info.params}


def _collect(cls: type[Spec]) -> SpecInfo:
    actions: list[ActionDef] = []
    props: dict[str, list[PropertyDef]] = {k: [] for k in _ROLE_FIELD.values()}
    seen: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for attr, member in vars(klass).items():
            tag = getattr(member, _TAG, None)
            if tag is None:
                continue
            role, extra = tag
            if attr in seen:
                if seen[attr] != role:
                    raise SpecDefinitionError(
                        f"{cls.__name__}.{attr} overrides a @{seen[attr]} with a @{role}; "
                        "give the new method another name"
                    )
                _drop(actions, props, attr)
            seen[attr] = role
            if role in ("action", "fault"):
                actions.append(
                    ActionDef(
                        name=attr,
                        method=member,
                        domains=tuple(extra["domains"].items()),
                        is_fault=role == "fault",
                        budget=extra.get("budget"),
                    )
                )
                _check_signature(cls, attr, member, tuple(extra["domains"]))
            else:
                doc = inspect.getdoc(member) or ""
                props[_ROLE_FIELD[role]].append(PropertyDef(attr, role, member, doc))
    # an override without a tag removes the role
    for attr in list(seen):
        if getattr(getattr(cls, attr, None), _TAG, None) is None:
            _drop(actions, props, attr)
    return SpecInfo(
        actions=tuple(actions),
        params=_init_params(cls),
        **{k: tuple(v) for k, v in props.items()},
    )


def _init_params(cls: type) -> tuple[inspect.Parameter, ...]:
    """The keyword parameters of `cls.__init__`; `**kwargs` passes on to the base's."""
    params: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        passes_on = False
        for p in inspect.signature(init).parameters.values():
            if p.kind is p.VAR_KEYWORD:
                passes_on = True
            elif p.name != "self" and p.kind is not p.VAR_POSITIONAL:
                params.setdefault(p.name, p)
        if not passes_on:
            break
    return tuple(params.values())


def _drop(actions: list[ActionDef], props: dict[str, list[PropertyDef]], attr: str) -> None:
    actions[:] = [a for a in actions if a.name != attr]
    for lst in props.values():
        lst[:] = [p for p in lst if p.name != attr]


def _check_signature(cls: type, attr: str, method: Callable[..., Any], names: tuple) -> None:
    sig = inspect.signature(method)
    positional = [p for p in sig.parameters.values() if p.name not in names]
    accepted = {p.name for p in sig.parameters.values()}
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    unknown = [n for n in names if n not in accepted and not has_kwargs]
    if unknown:
        raise SpecDefinitionError(
            f"{cls.__name__}.{attr} declares domains for {unknown} but takes no such "
            f"parameter; add them to its signature: def {attr}(self, s, {', '.join(names)})"
        )
    if len(positional) < 2:
        raise SpecDefinitionError(
            f"{cls.__name__}.{attr} must take the state: def {attr}(self, s"
            + "".join(f", {n}" for n in names)
            + ")"
        )
