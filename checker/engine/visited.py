"""Visited sets: each seen state's key with its parent's key, nothing more.

`Visited` keys by anything hashable (exact mode keys by whole states).
`FingerprintSet` keys by 64-bit fingerprints and keeps them compact: the newest
entries in a dict, older ones merged into two sorted `uint64` arrays (fingerprint,
parent fingerprint) at 16 bytes per state, searched by bisection. A counterexample's
path is the chain of parents; the steps between them are found again by replay.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable
from typing import Any


class Visited(dict):
    """Seen keys, each with the key it was first reached from (None for initial ones).

    A dict, so that the engine's `key in visited` runs in C.
    """

    __slots__ = ()

    #: record `key`, which the caller has checked is not in the set, with its parent
    add_new = dict.__setitem__

    def path_to(self, key: Any) -> list[Any]:
        """The keys from an initial state to `key`, in order."""
        path = [key]
        parent = self[key]
        while parent is not None:
            path.append(parent)
            parent = self[parent]
        path.reverse()
        return path


class FingerprintSet:
    """Seen 64-bit fingerprints with their parents, 16 bytes per state once merged.

    An initial state is stored as its own parent (a new state never equals its
    parent: a step back to the same state is a stutter and reaches nothing new).
    """

    def __init__(self, merge_at: int = 1 << 19) -> None:
        self._recent: dict[int, int] = {}
        self._merge_at = merge_at
        # empty arrays until the first merge, numpy arrays after (imported only then)
        self._fps: Any = array("Q")
        self._parents: Any = array("Q")
        self._view = memoryview(self._fps)

    def add_new(self, fp: int, parent: int | None) -> None:
        recent = self._recent
        recent[fp] = fp if parent is None else parent
        if len(recent) >= self._merge_at:
            self._merge()

    def __contains__(self, fp: int) -> bool:
        if fp in self._recent:
            return True
        view = self._view
        i = bisect_left(view, fp)
        return i < len(view) and view[i] == fp

    def __len__(self) -> int:
        return len(self._recent) + len(self._fps)

    @property
    def merged(self) -> int:
        """How many fingerprints sit in the compact arrays."""
        return len(self._fps)

    def parent(self, fp: int) -> int:
        found = self._recent.get(fp)
        if found is not None:
            return found
        view = self._view
        i = bisect_left(view, fp)
        if i == len(view) or view[i] != fp:
            raise KeyError(fp)
        return int(self._parents[i])

    def path_to(self, fp: int) -> list[int]:
        return path_by_parents(self.parent, fp)

    def _merge(self) -> None:
        """Move the recent entries into the sorted arrays (one O(n) merge)."""
        import numpy as np

        recent = self._recent
        keys = np.fromiter(recent.keys(), dtype=np.uint64, count=len(recent))
        values = np.fromiter(recent.values(), dtype=np.uint64, count=len(recent))
        order = np.argsort(keys, kind="stable")
        keys, values = keys[order], values[order]
        fps = np.asarray(self._fps, dtype=np.uint64)
        parents = np.asarray(self._parents, dtype=np.uint64)
        at = np.searchsorted(fps, keys)
        self._view.release()
        self._fps = np.insert(fps, at, keys)
        self._parents = np.insert(parents, at, values)
        self._view = memoryview(self._fps)
        recent.clear()


def path_by_parents(parent: Callable[[int], int], fp: int) -> list[int]:
    """The fingerprints from an initial state (its own parent) to `fp`, in order."""
    path = [fp]
    up = parent(fp)
    while up != fp:
        path.append(up)
        fp, up = up, parent(up)
    path.reverse()
    return path
