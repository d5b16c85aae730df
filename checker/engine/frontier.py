"""Frontiers: the only difference between breadth-first and depth-first search."""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from checker.options import Strategy


class Frontier(Protocol):
    def push(self, item: Any) -> None: ...
    def pop(self) -> Any: ...
    def __len__(self) -> int: ...


class Queue:
    """First in, first out: states are expanded level by level (shortest paths)."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self.push = self._items.append
        self.pop = self._items.popleft

    def __len__(self) -> int:
        return len(self._items)


class Stack:
    """Last in, first out: depth-first."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self.push = self._items.append
        self.pop = self._items.pop

    def __len__(self) -> int:
        return len(self._items)


def make_frontier(strategy: Strategy) -> Frontier:
    return Queue() if strategy is Strategy.BFS else Stack()
