"""Network semantics for message-passing protocols, as immutable values in the state.

- `set`: TLA+ style. A sent message stays in the set forever and can be delivered any
  number of times, so loss, duplication and reordering are all implicit.
- `unordered`: a multiset (`Bag`); a delivery consumes one copy; any order.
- `fifo`: one queue per (sender, receiver) link (a `FrozenMap`), in order, like TCP.

Messages are `State` records with fields `kind`, `src`, `dst` and a payload. Every
enumeration is sorted by a canonical key, so the order of successors is the same in
every process and run.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterable, Iterator
from typing import Any

from checker.memo import Memo
from checker.state import Bag, FrozenMap, State, canonical

Message = State

NETWORKS = ("set", "unordered", "fifo")

#: how many networks' deliverable messages are kept (the older half is forgotten)
_NETWORKS_KEPT = 1 << 12


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
        # every action of a state asks about its network, and many states share one
        # (on paxos with 3 nodes, 1,777 networks in 33,489 states); a network is a
        # frozenset, whose hash is kept, so a look-up costs little
        self._by_kind = Memo(self._split, limit=_NETWORKS_KEPT)

    def deliverable(self, net: Any, kind: str | None = None) -> list[Message]:
        """Distinct messages that could be delivered next (of `kind`), in canonical order."""
        return self._by_kind[net].get(kind, [])

    def _split(self, net: Any) -> dict[str | None, list[Message]]:
        by_kind = {None: self._deliverable(net)}
        for m in by_kind[None]:
            by_kind.setdefault(m.kind, []).append(m)
        return by_kind

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

    def counts(self, net: Any) -> dict[Message, int]:
        """How many copies of each message the network holds (1 each for `set`)."""
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

    def counts(self, net: frozenset) -> dict[Message, int]:
        return dict.fromkeys(net, 1)

    def drops(self, net: frozenset):
        return iter(())

    def duplicates(self, net: frozenset):
        return iter(())


class UnorderedNetwork(Network):
    """A multiset of messages (a `Bag`); a delivery consumes one copy."""

    name = "unordered"

    def empty(self) -> Bag:
        return Bag()

    def add(self, net: Bag, msgs: Iterable[Message]) -> Bag:
        return net.add(msgs)

    def _deliverable(self, net: Bag) -> list[Message]:
        return sorted((m for m, _ in net), key=self.key)

    def remove(self, net: Bag, m: Message) -> Bag:
        return net.remove(m)

    def messages(self, net: Bag) -> Iterator[Message]:
        return iter(self.deliverable(net))

    def counts(self, net: Bag) -> dict[Message, int]:
        return dict(net)

    def drops(self, net: Bag):
        for m in self.deliverable(net):
            yield (("kind", m.kind),) + payload(m), net.remove(m)

    def duplicates(self, net: Bag):
        for m in self.deliverable(net):
            yield (("kind", m.kind),) + payload(m), net.add((m,))


class FifoNetwork(Network):
    """One queue per (sender, receiver) link: a `FrozenMap` of the non-empty queues."""

    name = "fifo"

    def empty(self) -> FrozenMap:
        return FrozenMap()

    def add(self, net: FrozenMap, msgs: Iterable[Message]) -> FrozenMap:
        links = dict(net)
        for m in msgs:
            link = (m.src, m.dst)
            links[link] = links.get(link, ()) + (m,)
        return FrozenMap(links.items())

    def _links(self, net: FrozenMap) -> list[tuple[tuple[Any, Any], tuple[Message, ...]]]:
        return sorted(net, key=lambda item: message_key(item[0]))

    def _deliverable(self, net: FrozenMap) -> list[Message]:
        return [queue[0] for _, queue in self._links(net)]

    def remove(self, net: FrozenMap, m: Message) -> FrozenMap:
        link = (m.src, m.dst)
        return self._replace(net, link, dict(net)[link][1:])

    def messages(self, net: FrozenMap) -> Iterator[Message]:
        seen = {m for _, queue in net for m in queue}
        return iter(sorted(seen, key=self.key))

    def _replace(self, net: FrozenMap, link: tuple, queue: tuple) -> FrozenMap:
        links = dict(net)
        if queue:
            links[link] = queue
        else:
            del links[link]
        return FrozenMap(links.items())

    def counts(self, net: FrozenMap) -> dict[Message, int]:
        counts: dict[Message, int] = {}
        for _, queue in net:
            for m in queue:
                counts[m] = counts.get(m, 0) + 1
        return counts

    def drops(self, net: FrozenMap):
        for link, queue in self._links(net):
            for i, m in enumerate(queue):
                params = (("kind", m.kind),) + payload(m) + (("pos", i),)
                yield params, self._replace(net, link, queue[:i] + queue[i + 1 :])

    def duplicates(self, net: FrozenMap):
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
