"""The visited set: fingerprint -> (parent fingerprint, step index), nothing more."""

from __future__ import annotations


class Visited:
    """Seen states keyed by 64-bit fingerprint, each with how it was first reached.

    An initial state's parent is None and its index is its position among the
    initial states; any other state's index is the position of the step that
    produced it among its parent's successors.
    """

    def __init__(self) -> None:
        self._parent: dict[int, tuple[int | None, int]] = {}

    def add(self, fp: int, parent: int | None, index: int) -> bool:
        """Record `fp` if new; returns whether it was new."""
        if fp in self._parent:
            return False
        self._parent[fp] = (parent, index)
        return True

    def __contains__(self, fp: int) -> bool:
        return fp in self._parent

    def __len__(self) -> int:
        return len(self._parent)

    def path_to(self, fp: int) -> tuple[int, list[int], list[int]]:
        """(initial index, step indices, fingerprints from the initial state to `fp`)."""
        indices: list[int] = []
        fps: list[int] = [fp]
        parent, index = self._parent[fp]
        while parent is not None:
            indices.append(index)
            fps.append(parent)
            parent, index = self._parent[parent]
        indices.reverse()
        fps.reverse()
        return index, indices, fps
