"""States: immutable records, their canonical form and stable 64-bit fingerprints.

A state is any immutable, hashable value built from builtins (None, bools, ints,
floats, strings, bytes, tuples, frozensets), `State` records, frozen dataclasses and
enums. Its fingerprint is `xxh3_64` of the canonical form serialised with `marshal`
(version 2: no back-references; CPython 3.11+ writes frozensets in sorted order, and on
3.10 the canonical form sorts them itself), so it is the same in every process and
every run, whatever `PYTHONHASHSEED` is.
"""

from __future__ import annotations

import dataclasses
import enum
import marshal
import operator
import sys
from collections.abc import Iterator
from typing import Any

import xxhash

_ATOMS = (type(None), bool, int, float, complex, str, bytes)
_MARSHAL_VERSION = 2
# marshal writes frozensets in a canonical (sorted) order only from CPython 3.11 on
_SORTED_SETS = sys.version_info >= (3, 11)


class State(tuple):
    """An immutable record with named fields: `State(x=0, pcs=("start", "start"))`.

    Fields read as attributes (`s.x`); `s.set(x=1)` returns a changed copy. Records
    with the same field names share one generated class, so a record costs what a
    tuple costs and compares like one.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __new__(cls, **fields: Any) -> State:
        if cls is State:
            cls = _record_class(tuple(fields))
        elif tuple(fields) != cls._fields:
            missing = [f for f in cls._fields if f not in fields]
            extra = [f for f in fields if f not in cls._index]
            raise TypeError(f"State fields differ: missing {missing}, unknown {extra}")
        return tuple.__new__(cls, fields.values())

    def set(self, **changes: Any) -> State:
        """Return a copy with the given fields replaced."""
        values = list(self)
        index = self._index
        for name, value in changes.items():
            try:
                values[index[name]] = value
            except KeyError:
                raise AttributeError(
                    f"State has no field {name!r}; its fields are {', '.join(self._fields)}"
                ) from None
        return tuple.__new__(type(self), values)

    def items(self) -> Iterator[tuple[str, Any]]:
        return zip(self._fields, self)

    def asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
        return f"State({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self._fields, tuple(self)))


def _rebuild(names: tuple[str, ...], values: tuple[Any, ...]) -> State:
    return tuple.__new__(_record_class(names), values)


class FrozenMap(frozenset):
    """An immutable mapping, stored as a frozenset of (key, value) pairs.

    Hashable and canonical like any frozenset, so it can be part of a state; traces
    show its changes key by key (`net[(0, 1)]: ...`).
    """

    __slots__ = ()

    @classmethod
    def of(cls, mapping: dict[Any, Any]) -> FrozenMap:
        return cls(mapping.items())

    def as_dict(self) -> dict[Any, Any]:
        return dict(self)

    def get(self, key: Any, default: Any = None) -> Any:
        return dict(self).get(key, default)


class Bag(FrozenMap):
    """An immutable multiset: (item, copies) pairs. Traces show items added and removed."""

    __slots__ = ()

    @classmethod
    def of_items(cls, items: Any) -> Bag:
        counts: dict[Any, int] = {}
        for item in items:
            counts[item] = counts.get(item, 0) + 1
        return cls(counts.items())

    def add(self, items: Any) -> Bag:
        counts = dict(self)
        for item in items:
            counts[item] = counts.get(item, 0) + 1
        return Bag(counts.items())

    def remove(self, item: Any) -> Bag:
        """One copy fewer of `item` (which must be present)."""
        counts = dict(self)
        if counts[item] == 1:
            del counts[item]
        else:
            counts[item] -= 1
        return Bag(counts.items())


_RECORD_CLASSES: dict[tuple[str, ...], type[State]] = {}


def _record_class(names: tuple[str, ...]) -> type[State]:
    cls = _RECORD_CLASSES.get(names)
    if cls is None:
        for name in names:
            if name.startswith("_") or name in State.__dict__ or name in dir(tuple):
                raise TypeError(f"State field name {name!r} is reserved; pick another name")
        namespace: dict[str, Any] = {
            "__slots__": (),
            "_fields": names,
            "_index": {n: i for i, n in enumerate(names)},
        }
        for i, name in enumerate(names):
            namespace[name] = _field(i, name)
        cls = type("State", (State,), namespace)
        cls.__module__ = __name__
        _RECORD_CLASSES[names] = cls
    return cls


def _field(i: int, name: str) -> Any:
    """A read-only attribute for position i, in C where CPython offers it (as namedtuple)."""
    try:
        from collections import _tuplegetter  # type: ignore[attr-defined]

        return _tuplegetter(i, f"field {name}")
    except ImportError:
        return property(operator.itemgetter(i), doc=f"field {name}")


def canonical(value: Any) -> Any:
    """The builtin-only form of a state value, the input of its fingerprint.

    Records and frozen dataclasses become tuples of their fields (tagged with the
    class name for dataclasses), enums become (class name, value). Raises
    `TypeError` for mutable or unsupported values.
    """
    t = type(value)
    if t in _ATOMS:
        return value
    if t is tuple or isinstance(value, State):
        return tuple(canonical(v) for v in value)
    if isinstance(value, frozenset):  # FrozenMap and Bag canonicalise as their pairs
        if _SORTED_SETS:
            return frozenset(canonical(v) for v in value)
        items = [canonical(v) for v in value]
        return ("<frozenset>",) + tuple(sorted(items, key=lambda v: marshal.dumps(v, 2)))
    if isinstance(value, enum.Enum):
        return (t.__name__, canonical(value.value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if not t.__dataclass_params__.frozen:  # type: ignore[attr-defined]
            raise TypeError(f"dataclass {t.__name__} is not frozen (use @dataclass(frozen=True))")
        fields = tuple(canonical(getattr(value, f.name)) for f in dataclasses.fields(value))
        return (t.__name__,) + fields
    if isinstance(value, tuple):  # other namedtuples
        return tuple(canonical(v) for v in value)
    raise TypeError(f"{t.__name__} values cannot be part of a state; {_HINTS.get(t, _HINT)}")


_HINT = "use tuples, frozensets, State records, frozen dataclasses or enums"
_HINTS = {
    list: "use a tuple instead of a list",
    dict: "use a tuple of (key, value) pairs or a State record instead of a dict",
    set: "use a frozenset instead of a set",
    bytearray: "use bytes instead of a bytearray",
}


def fingerprint(state: Any) -> int:
    """The stable 64-bit fingerprint of a state."""
    dumps = marshal.dumps
    t = type(state)
    if not _SORTED_SETS:
        return xxhash.xxh3_64_intdigest(dumps(canonical(state), _MARSHAL_VERSION))
    try:
        if t is tuple:
            try:
                return xxhash.xxh3_64_intdigest(dumps(state, _MARSHAL_VERSION))
            except ValueError:
                # e.g. (record, fault counters): flatten records one level down
                flat = tuple(tuple(v) if isinstance(v, State) else v for v in state)
                return xxhash.xxh3_64_intdigest(dumps(flat, _MARSHAL_VERSION))
        if isinstance(state, State):
            return xxhash.xxh3_64_intdigest(dumps(tuple(state), _MARSHAL_VERSION))
    except ValueError:
        pass
    return xxhash.xxh3_64_intdigest(dumps(canonical(state), _MARSHAL_VERSION))


class Fingerprinter:
    """Fast, stable fingerprints for states built from shared immutable parts.

    A state whose values are all builtins gets exactly `fingerprint(state)`. In a
    state with nested records or frozensets of them (a node's local state, the set of
    messages), each such part is replaced by its own 64-bit digest, memoised by value
    (up to `memo_limit` parts): those parts recur across many states, so a new state
    costs a few dictionary look-ups and one small `marshal`. Stable across processes,
    like `fingerprint`, but not equal to it for nested states.
    """

    def __init__(self, memo_limit: int = 1 << 20):
        self._memo: dict[Any, int] = {}
        self._limit = memo_limit
        self._nested: set[type] = set()  # record classes that hold non-builtin values

    def __call__(self, state: Any) -> int:
        t = type(state)
        if _SORTED_SETS and t not in self._nested:
            try:
                flat = tuple(state) if isinstance(state, State) else state
                return xxhash.xxh3_64_intdigest(marshal.dumps(flat, _MARSHAL_VERSION))
            except ValueError:
                self._nested.add(t)
        if isinstance(state, State) or t is tuple:
            small = tuple([self._small(v) for v in state])
        else:
            small = self._small(state)
        return xxhash.xxh3_64_intdigest(marshal.dumps(small, _MARSHAL_VERSION))

    def _small(self, value: Any) -> Any:
        """`value` with every nested record or frozenset replaced by its digest."""
        t = type(value)
        if t in _ATOMS:
            return value
        if t is tuple:
            return tuple([self._small(v) for v in value])
        memo = self._memo
        try:
            return memo[value]
        except KeyError:
            pass
        except TypeError:
            return canonical(value)  # unhashable: let canonical() name the problem
        if isinstance(value, State):
            small: Any = ("<record>",) + tuple([self._small(v) for v in value])
        elif isinstance(value, frozenset):
            parts = [self._small(v) for v in value]
            small = ("<set>",) + tuple(sorted(parts, key=_sort_key))
        else:
            small = canonical(value)
        digest = xxhash.xxh3_64_intdigest(marshal.dumps(small, _MARSHAL_VERSION))
        if len(memo) < self._limit:
            memo[value] = digest
        return digest


def _sort_key(value: Any) -> tuple[int, Any]:
    """Order digests (ints) and other canonical parts deterministically."""
    if type(value) is int:
        return (0, value)
    return (1, marshal.dumps(value, _MARSHAL_VERSION))


def find_unhashable(state: Any) -> str | None:
    """Describe the first part of `state` that cannot be in a state, or None if all is well.

    The answer names the field path (`decided[1]`) and says what to use instead.
    """
    return _find_bad(state, "state")


def _find_bad(value: Any, path: str) -> str | None:
    t = type(value)
    if t in _ATOMS:
        return None
    if isinstance(value, State):
        for name, v in value.items():
            bad = _find_bad(v, name if path == "state" else f"{path}.{name}")
            if bad:
                return bad
        return None
    if isinstance(value, tuple):
        for i, v in enumerate(value):
            bad = _find_bad(v, f"{path}[{i}]")
            if bad:
                return bad
        return None
    if isinstance(value, frozenset):
        for v in value:
            bad = _find_bad(v, f"{path}{{...}}")
            if bad:
                return bad
        return None
    try:
        canonical(value)
    except TypeError as err:
        return f"{path} holds a {t.__name__}: {err}"
    return None


def with_item(t: tuple, i: int, value: Any) -> tuple:
    """A copy of tuple `t` with position `i` set to `value`."""
    return t[:i] + (value,) + t[i + 1 :]
