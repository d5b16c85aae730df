"""Network semantics for message-passing protocols, as immutable values in the state.

- `set`: TLA+ style. A sent message stays in the set forever and can be delivered any
  number of times, so loss, duplication and reordering are all implicit.
- `unordered`: a multiset; a delivery consumes one copy. Messages may be reordered.
- `fifo`: one queue per (sender, receiver) link, delivered in order, like TCP.

Messages are `State` records with fields `kind`, `src`, `dst` and a payload. Every
enumeration is sorted by a canonical key, so the order of successors is the same in
every process and run.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from typing import Any

from checker.state import State, canonical

Message = State

NETWORKS = ("set", "unordered", "fifo")


def message_key(m: Message) -> bytes:
    """A total, process-independent order on messages."""
    return marshal.dumps(canonical(m), 2)


class _Keys(dict):
    """Memoised `message_key`: messages recur in many states."""

    def __missing__(self, m: Message) -> bytes:
        key = self[m] = message_key(m)
        return key


def payload(m: Message) -> tuple[tuple[str, Any], ...]:
    """The label parameters of a message: everything but its kind."""
    return tuple((k, v) for k, v in m.items() if k != "kind")


class Network:
    """The operations every semantics provides over its immutable representation."""

    name = ""
    consumes = True

    def __init__(self) -> None:
        self.key = _Keys().__getitem__
        self._last: tuple[Any, dict[str | None, list[Message]]] = (None, {})

    def deliverable(self, net: Any, kind: str | None = None) -> list[Message]:
        """Distinct messages that could be delivered next (of `kind`), in canonical order."""
        last_net, by_kind = self._last
        if net is not last_net:  # every action of one state asks about the same network
            by_kind = {None: self._deliverable(net)}
            for m in by_kind[None]:
                by_kind.setdefault(m.kind, []).append(m)
            self._last = (net, by_kind)
        return by_kind.get(kind, [])

    def _deliverable(self, net: Any) -> list[Message]:
        raise NotImplementedError

    def empty(self) -> Any:
        raise NotImplementedError

    def add(self, net: Any, msgs: Iterable[Message]) -> Any:
        raise NotImplementedError

    def remove(self, net: Any, m: Message) -> Any:
        """The network after `m` was delivered."""
        raise NotImplementedError

    def messages(self, net: Any) -> Iterator[Message]:
        """Every distinct message in the network."""
        raise NotImplementedError

    def drops(self, net: Any) -> Iterator[tuple[tuple[tuple[str, Any], ...], Any]]:
        """(label params, network) for every way to lose one message."""
        raise NotImplementedError

    def duplicates(self, net: Any) -> Iterator[tuple[tuple[tuple[str, Any], ...], Any]]:
        """(label params, network) for every way to duplicate one message."""
        raise NotImplementedError


class SetNetwork(Network):
    name = "set"
    consumes = False

    def empty(self) -> frozenset:
        return frozenset()

    def add(self, net: frozenset, msgs: Iterable[Message]) -> frozenset:
        return net.union(msgs)

    def _deliverable(self, net: frozenset) -> list[Message]:
        return sorted(net, key=self.key)

    def remove(self, net: frozenset, m: Message) -> frozenset:
        return net

    def messages(self, net: frozenset) -> Iterator[Message]:
        return iter(self.deliverable(net))

    def drops(self, net: frozenset):
        return iter(())

    def duplicates(self, net: frozenset):
        return iter(())


class UnorderedNetwork(Network):
    """A multiset kept as a frozenset of (message, copies) pairs."""

    name = "unordered"

    def empty(self) -> frozenset:
        return frozenset()

    def add(self, net: frozenset, msgs: Iterable[Message]) -> frozenset:
        counts = dict(net)
        for m in msgs:
            counts[m] = counts.get(m, 0) + 1
        return frozenset(counts.items())

    def _deliverable(self, net: frozenset) -> list[Message]:
        return sorted((m for m, _ in net), key=self.key)

    def remove(self, net: frozenset, m: Message) -> frozenset:
        counts = dict(net)
        if counts[m] == 1:
            del counts[m]
        else:
            counts[m] -= 1
        return frozenset(counts.items())

    def messages(self, net: frozenset) -> Iterator[Message]:
        return iter(self.deliverable(net))

    def drops(self, net: frozenset):
        for m in self.deliverable(net):
            yield (("kind", m.kind),) + payload(m), self.remove(net, m)

    def duplicates(self, net: frozenset):
        for m in self.deliverable(net):
            yield (("kind", m.kind),) + payload(m), self.add(net, (m,))


class FifoNetwork(Network):
    """Per-link queues, kept as a frozenset of ((src, dst), queue) for non-empty links."""

    name = "fifo"

    def empty(self) -> frozenset:
        return frozenset()

    def add(self, net: frozenset, msgs: Iterable[Message]) -> frozenset:
        links = dict(net)
        for m in msgs:
            link = (m.src, m.dst)
            links[link] = links.get(link, ()) + (m,)
        return frozenset(links.items())

    def _links(self, net: frozenset) -> list[tuple[tuple[Any, Any], tuple[Message, ...]]]:
        return sorted(net, key=lambda item: message_key(item[0]))

    def _deliverable(self, net: frozenset) -> list[Message]:
        return [queue[0] for _, queue in self._links(net)]

    def remove(self, net: frozenset, m: Message) -> frozenset:
        links = dict(net)
        link = (m.src, m.dst)
        rest = links[link][1:]
        if rest:
            links[link] = rest
        else:
            del links[link]
        return frozenset(links.items())

    def messages(self, net: frozenset) -> Iterator[Message]:
        seen = {m for _, queue in net for m in queue}
        return iter(sorted(seen, key=self.key))

    def _replace(self, net: frozenset, link: tuple, queue: tuple) -> frozenset:
        links = dict(net)
        if queue:
            links[link] = queue
        else:
            del links[link]
        return frozenset(links.items())

    def drops(self, net: frozenset):
        for link, queue in self._links(net):
            for i, m in enumerate(queue):
                params = (("kind", m.kind),) + payload(m) + (("pos", i),)
                yield params, self._replace(net, link, queue[:i] + queue[i + 1 :])

    def duplicates(self, net: frozenset):
        for link, queue in self._links(net):
            for i, m in enumerate(queue):
                params = (("kind", m.kind),) + payload(m) + (("pos", i),)
                yield params, self._replace(net, link, queue + (m,))


def make_network(name: str) -> Network:
    """The semantics called `name`; raises ValueError naming the choices."""
    table = {"set": SetNetwork, "unordered": UnorderedNetwork, "fifo": FifoNetwork}
    if name not in table:
        raise ValueError(f"unknown network {name!r}; choose one of {', '.join(NETWORKS)}")
    return table[name]()
