"""Message-passing protocols (layer 2): nodes with handlers, compiled to plain actions.

A protocol describes one node's behaviour; the layer owns the network and the faults:

    class Ping(Protocol):
        def init_node(self, n):
            return State(got=0), [self.msg("Ping", n, (n + 1) % self.nodes)]
        @receive("Ping")
        def on_ping(self, n, local, m):
            return local.set(got=local.got + 1)

A handler takes `(self, n, local, m)` and returns the node's new local state, or a
pair `(local, messages)` to send, or None when the message cannot be handled now (it
stays in the network). `@timer(**domains)` marks a step a node may take at any time
(a timeout, a client request); its domains are functions of `(self, n, local)`.

Handlers and domains must depend on their arguments alone (and the protocol's
parameters), as actions depend on the state alone: a protocol calls a handler once per
(message, receiver's local state) and a timer's domains once per (node, local state),
and reuses what they returned wherever the pair recurs, which in most protocols is in
many states (with a `set` network, every message sent so far is offered again in every
later state).

Everything compiles to ordinary actions on the global state
`State(node=(local per node), net=..., down=(crashed per node), cut=...)`:
one action per message kind (`Ping(src=0, dst=1)`), one per timer, and the faults:
`crash` (budget `faults`), `restart` (crash-recovery only), `drop` (budget `drop`),
`duplicate` (budget `duplicate`), `partition` (budget `partitions`) and `heal`.
The engine, traces and reports need no special case for any of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from checker.memo import Memo
from checker.model import ordered_domain
from checker.network import NETWORKS, Message, Network, make_network, payload
from checker.spec import ActionLabel, Choice, Spec, SpecDefinitionError, action, fault, terminal
from checker.state import State, with_item

_ACTOR_TAG = "__checker_actor_role__"


def receive(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tag `(self, n, local, m)` as the handler of messages of `kind`."""
    if not kind.isidentifier():
        raise SpecDefinitionError(f"message kind {kind!r} must be an identifier, like Prepare")

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _ACTOR_TAG, ("receive", kind, {}))
        return fn

    return mark


def timer(**domains: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Tag `(self, n, local, **params)` as a step node n may take at any time.

    Each domain is an iterable or a function of `(self, n, local)`.
    """

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(fn, _ACTOR_TAG, ("timer", fn.__name__, domains))
        return fn

    return mark


def _split(out: Any, where: str) -> tuple[Any, tuple[Message, ...]]:
    """A handler's result as (local, messages)."""
    if isinstance(out, State) or type(out) is not tuple:
        return out, ()
    if len(out) != 2:
        raise TypeError(f"{where} must return local or (local, messages), got a {len(out)}-tuple")
    local, sends = out
    if isinstance(sends, Message):
        sends = (sends,)
    sends = tuple(sends)
    for m in sends:
        if not (isinstance(m, State) and m._fields[:3] == ("kind", "src", "dst")):
            raise TypeError(f"{where} sent {m!r}, which is not a message; build it with self.msg")
    return local, sends


@dataclass(frozen=True)
class StepEvent:
    """What one step of a trace did, in message-passing terms (for diagrams).

    `kind` is "deliver", "timer", "crash", "restart", "drop", "duplicate",
    "partition", "heal" or "action" (a plain action of the spec); `node` is the node
    that acted (the receiver of a delivery); `message` the message delivered, lost or
    duplicated; `sent` the messages this step added to the network; `side` the nodes
    on one side of a new partition.
    """

    kind: str
    node: Any = None
    message: Message | None = None
    sent: tuple[Message, ...] = ()
    side: frozenset | None = None


_FAULT_KINDS = ("crash", "restart", "drop", "duplicate", "partition", "heal")


def _own_nodes(self: Protocol) -> list[Any]:
    return list(self.node_ids())


class Protocol(Spec):
    """Base class of message-passing specs. Subclasses define `init_node` and handlers.

    Class attributes: `default_network` ("set", "unordered" or "fifo"), `recovery`
    (crashed nodes may restart), `durable` (the local fields a restarted node keeps) and
    `ghosts` (history fields kept for the properties' sake, which a restart never erases).
    """

    default_network: ClassVar[str] = "set"
    recovery: ClassVar[bool] = False
    durable: ClassVar[tuple[str, ...]] = ()
    ghosts: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        faults: int = 0,
        network: str | None = None,
        drop: int = 0,
        duplicate: int = 0,
        partitions: int = 0,
    ):
        for name, value in (
            ("faults", faults),
            ("drop", drop),
            ("duplicate", duplicate),
            ("partitions", partitions),
        ):
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        self.network = network if network is not None else self.default_network
        self.net: Network = make_network(self.network)
        if not self.net.consumes and (drop or duplicate):
            raise ValueError(
                "the set network already loses and duplicates messages implicitly (a message "
                "may never be delivered, or be delivered again); use --network unordered or "
                "fifo to count drops and duplicates"
            )
        self.faults, self.drop, self.duplicate, self.partitions = (
            faults,
            drop,
            duplicate,
            partitions,
        )

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        defaults = super().default_params()
        defaults["network"] = cls.default_network
        return defaults

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for attr, member in list(vars(cls).items()):
            role = getattr(member, _ACTOR_TAG, None)
            if role is None:
                continue
            kind, name, domains = role
            if kind == "receive":
                if name in vars(cls) and name != attr and not _is_generated(vars(cls)[name]):
                    raise SpecDefinitionError(
                        f"{cls.__name__}: message kind {name!r} clashes with the method "
                        f"{name}; rename one of them"
                    )
                setattr(cls, name, _delivery_action(name, attr))
            else:
                setattr(cls, attr, _timer_action(attr, member, domains))
        super().__init_subclass__(**kwargs)

    # --- what a protocol defines -------------------------------------------------------

    def node_ids(self) -> Iterable[Any]:
        """The nodes, by default 0..nodes-1."""
        return range(self.nodes)  # type: ignore[attr-defined]

    def node_name(self, n: Any) -> str:
        """How node n is called in traces and diagrams."""
        return f"n{n}"

    def init_node(self, n: Any) -> Any:
        """Node n's initial local state, or (local, messages to send at start)."""
        raise NotImplementedError

    def crashable(self, n: Any) -> bool:
        """Whether node n may crash (all nodes, unless a protocol says otherwise)."""
        return True

    # --- helpers for handlers and invariants ------------------------------------------

    def msg(self, kind: str, src: Any, dst: Any, **fields: Any) -> Message:
        """A message record: `self.msg("Prepare", n, a, ballot=b)`."""
        return State(kind=kind, src=src, dst=dst, **fields)

    def broadcast(self, kind: str, src: Any, dsts: Iterable[Any], **fields: Any) -> list[Message]:
        return [self.msg(kind, src, d, **fields) for d in dsts]

    def in_flight(self, s: State) -> Iterator[Message]:
        """Every distinct message in the network (for `set`: every message ever sent)."""
        return self.net.messages(s.net)

    def initial_sends(self, s: State) -> tuple[Message, ...]:
        """The messages already in the network in a state (the initial sends, at step 0)."""
        counts = self.net.counts(s.net)
        return tuple(m for m in sorted(counts, key=self.net.key) for _ in range(counts[m]))

    def step_event(self, label: ActionLabel, before: State, after: State) -> StepEvent:
        """Describe the step `label` from `before` to `after` for diagrams."""
        params = dict(label.params)
        old, new = self.net.counts(before.net), self.net.counts(after.net)
        added = tuple(
            sorted((m for m, k in new.items() for _ in range(k - old.get(m, 0))), key=self.net.key)
        )
        if label.name in self.kinds_handled():
            m = self.msg(label.name, **params)
            return StepEvent("deliver", m.dst, m, added)
        if label.name in ("drop", "duplicate"):
            fields = {k: v for k, v in params.items() if k != "pos"}
            m = self.msg(fields.pop("kind"), **fields)
            return StepEvent(label.name, m.src, m)
        if label.name in _FAULT_KINDS:
            return StepEvent(label.name, params.get("n"), sent=added, side=params.get("side"))
        if "n" in params and label.name in self.timer_names():
            return StepEvent("timer", params["n"], sent=added)
        return StepEvent("action", params.get("n"), sent=added)

    @classmethod
    def kinds_handled(cls) -> tuple[str, ...]:
        """The message kinds this protocol has handlers for."""
        return tuple(
            a.name
            for a in cls.spec_info().actions
            if getattr(a.method, "__checker_generated__", False)
            and not hasattr(a.method, "__checker_timer__")
        )

    @classmethod
    def timer_names(cls) -> tuple[str, ...]:
        return tuple(
            a.name for a in cls.spec_info().actions if hasattr(a.method, "__checker_timer__")
        )

    # --- compilation to layer 1 -----------------------------------------------------------

    def init_states(self) -> Iterator[State]:
        nodes = list(self.node_ids())
        locals_ = []
        net = self.net.empty()
        for n in nodes:
            local, sends = _split(self.init_node(n), f"{type(self).__name__}.init_node")
            locals_.append(local)
            net = self.net.add(net, sends)
        yield State(node=tuple(locals_), net=net, down=(False,) * len(nodes), cut=None)

    def _index(self, n: Any) -> int:
        return self._indices()[n]

    def _indices(self) -> dict[Any, int]:
        """Node -> its position in the global state's tuples."""
        try:
            return self._node_index
        except AttributeError:
            self._node_index = {node: i for i, node in enumerate(self.node_ids())}
            return self._node_index

    def _can_deliver(self, s: State, m: Message) -> bool:
        if s.down[self._index(m.dst)]:
            return False
        cut = s.cut
        return cut is None or ((m.src in cut) == (m.dst in cut))

    def _apply(self, s: State, i: int, local: Any, sends: tuple[Message, ...], net: Any) -> State:
        """`s` with node i's local state `local` and `sends` added to the network `net`."""
        if sends:
            net = self.net.add(net, sends)
        return s.set(node=with_item(s.node, i, local), net=net)

    def omitted_actions(self) -> frozenset[str]:
        omitted = set()
        if not self.recovery:
            omitted.add("restart")
        if not self.partitions:
            omitted.add("heal")
        return frozenset(omitted)

    @fault(n=_own_nodes)
    def crash(self, s: State, n: Any) -> State | None:
        i = self._index(n)
        if s.down[i] or not self.crashable(n):
            return None
        return s.set(down=with_item(s.down, i, True))

    @action(n=_own_nodes)
    def restart(self, s: State, n: Any) -> State | None:
        i = self._index(n)
        if not s.down[i]:
            return None
        fresh, sends = _split(self.init_node(n), f"{type(self).__name__}.init_node")
        old = s.node[i]
        kept = [f for f in (*self.durable, *self.ghosts) if f in getattr(old, "_fields", ())]
        if kept:
            fresh = fresh.set(**{f: getattr(old, f) for f in kept})
        return s.set(
            node=with_item(s.node, i, fresh),
            down=with_item(s.down, i, False),
            net=self.net.add(s.net, sends),
        )

    @fault(budget="drop")
    def drop(self, s: State) -> Iterator[Choice]:
        for params, net in self.net.drops(s.net):
            yield Choice(s.set(net=net), params)

    @fault(budget="duplicate")
    def duplicate(self, s: State) -> Iterator[Choice]:
        for params, net in self.net.duplicates(s.net):
            yield Choice(s.set(net=net), params)

    def _sides(self) -> list[frozenset]:
        nodes = list(self.node_ids())
        first, rest = nodes[0], nodes[1:]
        sides = []
        for size in range(0, len(rest)):
            for combo in itertools.combinations(rest, size):
                sides.append(frozenset((first, *combo)))
        return sides

    @fault(budget="partitions", side=_sides)
    def partition(self, s: State, side: frozenset) -> State | None:
        return None if s.cut is not None else s.set(cut=side)

    @action()
    def heal(self, s: State) -> State | None:
        return None if s.cut is None else s.set(cut=None)

    @terminal
    def quiescent(self, s: State) -> bool:
        """A message-passing protocol may fall silent: nothing left to do is not a deadlock.

        Override (and re-tag with @terminal) to name the states where stopping is fine.
        """
        return True


def _is_generated(member: Any) -> bool:
    return getattr(member, "__checker_generated__", False)


def _delivery_action(kind: str, handler_name: str) -> Callable[..., Any]:
    """The action that delivers messages of `kind` to the handler named `handler_name`."""

    where = f"handler {handler_name}"

    def outcomes(self: Protocol) -> Callable[[tuple[Message, Any]], Any]:
        """(message, receiver's local state) -> the handler's outcome, split into
        (local, messages), or None."""
        handler = getattr(self, handler_name)

        def outcome(key: tuple[Message, Any]) -> Any:
            m, local = key
            out = handler(m.dst, local, m)
            return None if out is None else _split(out, where)

        return outcome

    def deliver(self: Protocol, s: State) -> Iterator[Choice]:
        # a handler is a function of (n, local, m): its outcome is worked out once per
        # message and local state, which recur in many states
        known = _memo(self, ("deliver", kind), outcomes)
        labels = _memo(self, "labels", _payloads)
        down, cut, node, index = s.down, s.cut, s.node, self._indices()
        for m in self.net.deliverable(s.net, kind):
            i = index[m.dst]
            if down[i] or not (cut is None or (m.src in cut) == (m.dst in cut)):
                continue  # as `_can_deliver`, inlined: a call less per message
            outcome = known[m, node[i]]
            if outcome is None:
                continue
            new, sends = outcome
            yield Choice(self._apply(s, i, new, sends, self.net.remove(s.net, m)), labels[m])

    deliver.__name__ = kind
    deliver.__qualname__ = kind
    deliver.__doc__ = f"Deliver a {kind} message to its destination's {handler_name}."
    deliver.__checker_generated__ = True  # type: ignore[attr-defined]
    return action()(deliver)


def _timer_action(name: str, method: Callable[..., Any], domains: dict[str, Any]):
    """The action in which any live node may take the step `method`."""
    names = tuple(domains)

    def values(self: Protocol, n: Any, local: Any) -> list[list[Any]]:
        return [
            ordered_domain(
                f"domain of `{param}` in timer `{name}`",
                dom(self, n, local) if callable(dom) else dom,
            )
            for param, dom in domains.items()
        ]

    where = f"timer {name}"

    def calls_of(self: Protocol) -> Callable[[tuple[Any, Any]], list[tuple[tuple, dict]]]:
        """(node, local state) -> the node's calls of the step: (label, parameters)."""

        def calls(key: tuple[Any, Any]) -> list[tuple[tuple, dict[str, Any]]]:
            n, local = key
            return [
                ((("n", n), *zip(names, combo)), dict(zip(names, combo)))
                for combo in itertools.product(*values(self, n, local))
            ]

        return calls

    def step(self: Protocol, s: State) -> Iterator[Choice]:
        # the domains are functions of (self, n, local): worked out once per node and
        # local state, which recur in many states
        known = _memo(self, ("timer", name), calls_of)
        down, node, index = s.down, s.node, self._indices()
        for n in self.node_ids():
            i = index[n]
            if down[i]:
                continue
            local = node[i]
            for label, params in known[n, local]:
                out = method(self, n, local, **params)
                if out is None:
                    continue
                local_after, sends = _split(out, where)
                yield Choice(self._apply(s, i, local_after, sends, s.net), label)

    step.__name__ = name
    step.__qualname__ = name
    step.__doc__ = method.__doc__
    step.__checker_generated__ = True  # type: ignore[attr-defined]
    step.__checker_timer__ = method  # type: ignore[attr-defined]
    return action()(step)


#: how many outcomes of a handler, calls of a timer and labels of messages a protocol
#: keeps (see `Memo`: the older half is forgotten when full)
_KEPT = 1 << 14


def _memo(protocol: Protocol, name: Any, make: Callable[[Protocol], Callable]) -> Memo:
    """The protocol's `Memo` called `name`, of the function `make(protocol)` returns:
    what one protocol instance worked out is its own."""
    memos = protocol.__dict__.get("_checker_memos")
    if memos is None:
        memos = protocol.__dict__["_checker_memos"] = {}
    memo = memos.get(name)
    if memo is None:
        memo = memos[name] = Memo(make(protocol), _KEPT)
    return memo


def _payloads(protocol: Protocol) -> Callable[[Message], tuple]:
    """A delivered message -> its label's parameters."""
    return payload


__all__ = ["NETWORKS", "Message", "Protocol", "StepEvent", "receive", "timer"]
