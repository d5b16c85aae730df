"""Frontiers: the only difference between breadth-first and depth-first search.

A big breadth-first frontier is kept serialized: once the queue holds more than
`live_limit` items, each further batch of `batch` items is pickled (a pickled batch
shares the parts its states have in common: 114 bytes a state for paxos-lamport
against 1,271 live, 55 against 348 for two-phase commit), and once the pickled
batches exceed `memory_limit` bytes they go to an anonymous temporary file, read
back in order. Small frontiers stay live, because pickling costs a few microseconds
a state.
"""

from __future__ import annotations

import itertools
import pickle
import tempfile
from collections import deque
from typing import IO, Any, Protocol

from checker.options import Strategy


class Frontier(Protocol):
    def push(self, item: Any) -> None: ...
    def pop(self) -> Any: ...
    def __len__(self) -> int: ...


class Queue:
    """First in, first out: states are expanded level by level (shortest paths)."""

    def __init__(self, live_limit: int = 1 << 16, batch: int = 4096, memory_limit: int = 256 << 20):
        self._head: deque[Any] = deque()  # items ready to pop, oldest first
        self._sealed: deque[bytes | tuple[int, int]] = deque()  # pickled batches, or file spans
        self._tail: list[Any] = []  # newest items, not yet sealed
        self._len = 0
        self._live_limit = live_limit
        self._batch = batch
        self._memory_limit = memory_limit
        self._in_memory = 0  # bytes of pickled batches held in memory
        self._file: IO[bytes] | None = None
        self._write_at = 0
        self._spans = 0  # batches in the file not yet read back
        self.sealed_batches = 0  # how many batches were pickled (for tests and reports)
        self.spilled_bytes = 0  # how many bytes went to the temporary file

    def push(self, item: Any) -> None:
        tail = self._tail
        tail.append(item)
        self._len += 1
        if len(tail) >= self._batch and self._len > self._live_limit:
            self._seal()

    def pop(self) -> Any:
        head = self._head
        if not head:
            self._refill()
        self._len -= 1
        return head.popleft()

    def peek(self) -> Any:
        """The item `pop` would return, left in place."""
        if not self._head:
            self._refill()
        return self._head[0]

    def peek_many(self, n: int) -> list[Any]:
        """Up to `n` of the next items, left in place (fewer if a batch is sealed)."""
        if not self._head:
            self._refill()
        return list(itertools.islice(itertools.chain(self._head, self._tail), n))

    def __len__(self) -> int:
        return self._len

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _seal(self) -> None:
        blob = pickle.dumps(self._tail, pickle.HIGHEST_PROTOCOL)
        self._tail = []
        self.sealed_batches += 1
        if self._in_memory + len(blob) <= self._memory_limit:
            self._sealed.append(blob)
            self._in_memory += len(blob)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="checker-frontier-")
        self._file.seek(self._write_at)
        self._file.write(blob)
        self._sealed.append((self._write_at, len(blob)))
        self._spans += 1
        self._write_at += len(blob)
        self.spilled_bytes += len(blob)

    def _refill(self) -> None:
        if not self._sealed:
            self._head.extend(self._tail)
            self._tail = []
            return
        blob = self._sealed.popleft()
        if isinstance(blob, tuple):
            assert self._file is not None
            offset, size = blob
            self._file.seek(offset)
            data = self._file.read(size)
            self._spans -= 1
            if not self._spans:  # every spilled batch has been read back: reuse the file
                self._file.truncate(0)
                self._write_at = 0
        else:
            data = blob
            self._in_memory -= len(blob)
        self._head.extend(pickle.loads(data))


class LiveQueue(deque):
    """First in, first out, every item kept live: a deque, so each step runs in C."""

    __slots__ = ()
    push = deque.append
    pop = deque.popleft  # type: ignore[assignment]

    def peek(self) -> Any:
        return self[0]

    def peek_many(self, n: int) -> list[Any]:
        return list(itertools.islice(self, n))

    def close(self) -> None:
        pass


class Stack:
    """Last in, first out: depth-first."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self.push = self._items.append
        self.pop = self._items.pop

    def peek(self) -> Any:
        return self._items[-1]

    def __len__(self) -> int:
        return len(self._items)

    def close(self) -> None:
        pass


def make_frontier(strategy: Strategy, serialize: bool = True) -> Queue | LiveQueue | Stack:
    """The frontier for `strategy`; `serialize=False` keeps every queued state live."""
    if strategy is Strategy.BFS:
        return Queue() if serialize else LiveQueue()
    return Stack()
