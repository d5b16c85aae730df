"""Deep differences between two states, for traces that show only what changed."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from checker.state import Bag, FrozenMap, State


@dataclass(frozen=True)
class Change:
    """One difference at `path` (`pc[0]`, `msgs`). For sets, `added`/`removed` are used."""

    path: str
    before: Any = None
    after: Any = None
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()

    @property
    def is_set_change(self) -> bool:
        return bool(self.added or self.removed)


class _Absent:
    """Shown for a key a map does not have (before it was added, after it was removed)."""

    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def _fields(value: Any) -> list[tuple[str, Any]] | None:
    if isinstance(value, State):
        return list(value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if hasattr(value, "_fields") and isinstance(value, tuple):
        return list(zip(value._fields, value))
    return None


def diff(before: Any, after: Any, path: str = "") -> list[Change]:
    """The changes that turn `before` into `after`, as deep as the structure allows."""
    if before == after and type(before) is type(after):
        return []
    fa, fb = _fields(before), _fields(after)
    if fa is not None and fb is not None and [k for k, _ in fa] == [k for k, _ in fb]:
        changes: list[Change] = []
        for (name, va), (_, vb) in zip(fa, fb):
            changes += diff(va, vb, f"{path}.{name}" if path else name)
        return changes
    if type(before) is tuple and type(after) is tuple and len(before) == len(after):
        changes = []
        for i, (va, vb) in enumerate(zip(before, after)):
            changes += diff(va, vb, f"{path}[{i}]")
        return changes
    if isinstance(before, Bag) and isinstance(after, Bag):
        b, a = dict(before), dict(after)
        added, removed = [], []
        for item in set(a) | set(b):
            delta = a.get(item, 0) - b.get(item, 0)
            (added if delta > 0 else removed).extend([item] * abs(delta))
        return [
            Change(
                path or "state",
                added=tuple(sorted(added, key=repr)),
                removed=tuple(sorted(removed, key=repr)),
            )
        ]
    if isinstance(before, FrozenMap) and isinstance(after, FrozenMap):
        b, a = dict(before), dict(after)
        changes = []
        for key in sorted(set(a) | set(b), key=repr):
            where = f"{path}[{key!r}]"
            if key not in b:
                changes.append(Change(where, _ABSENT, a[key]))
            elif key not in a:
                changes.append(Change(where, b[key], _ABSENT))
            else:
                changes += diff(b[key], a[key], where)
        return changes
    if isinstance(before, frozenset) and isinstance(after, frozenset):
        added = tuple(sorted(after - before, key=repr))
        removed = tuple(sorted(before - after, key=repr))
        return [Change(path or "state", added=added, removed=removed)]
    return [Change(path or "state", before, after)]
