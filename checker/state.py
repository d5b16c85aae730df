"""States: immutable records, their canonical form and stable 64-bit fingerprints.

A state is any immutable, hashable value built from builtins (None, bools, ints,
floats, strings, bytes, tuples, frozensets), `State` records, frozen dataclasses and
enums. `fingerprint` is `xxh3_64` of the canonical form serialised with `marshal`
(version 2: no back-references; CPython 3.11+ writes frozensets in sorted order, and on
3.10 the canonical form sorts them itself), so it is the same in every process and
every run, whatever `PYTHONHASHSEED` is. The engine uses `Fingerprinter`, which is as
stable and much faster on states made of shared nested parts.
"""

from __future__ import annotations

import dataclasses
import enum
import keyword
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


class _Tag(int):
    """The last item of every record, one per record class: what tells records apart.

    Records with different field names are different values even with equal contents,
    and a record is not a plain tuple; with its class's tag as its last item, a record
    compares and hashes as a tuple does, in C. Two records of one class hold the very
    same tag, which compares equal by identity without a call; tags of different
    classes (and any plain int) compare unequal, here. The value is derived from the
    field names, so hashes agree between processes that share the hash secret.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    __hash__ = int.__hash__

    def __repr__(self) -> str:
        return "<record tag>"

    def __reduce__(self) -> tuple[Any, ...]:
        # unpickled as its class's own tag (once per pickle: the memo has it after)
        cls = next(c for c in _RECORD_CLASSES.values() if c._tag is self)
        return (getattr, (cls, "_tag"))


class State(tuple):
    """An immutable record with named fields: `State(x=0, pcs=("start", "start"))`.

    Fields read as attributes (`s.x`); `s.set(x=1)` returns a changed copy;
    `s.items()` gives (name, value) pairs. Records with the same field names share one
    generated class, so a record costs what a tuple costs and compares like one: it is
    stored as the tuple of its values followed by its class's tag (see `_Tag`).

    A record pickles as its class (by a name that spells its field names, see
    `__getattr__` below) and its values with the tag, and is unpickled by
    `tuple.__new__`, in C.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: dict[str, int] = {}
    _tag: _Tag

    def __new__(cls, **fields: Any) -> State:
        if cls is State:
            cls = _record_class(tuple(fields))
        elif tuple(fields) != cls._fields:
            missing = [f for f in cls._fields if f not in fields]
            extra = [f for f in fields if f not in cls._index]
            raise TypeError(f"State fields differ: missing {missing}, unknown {extra}")
        return tuple.__new__(cls, (*fields.values(), cls._tag))

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

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        # (object's own __reduce_ex__ would also work in C, but costs more to pickle)
        return (_new_tuple, (type(self), tuple(self)))


_new_tuple = tuple.__new__


#: the prefix of a record class's name in this module; the rest spells its field names
#: (their marshal form, in hex)
_RECORD_PREFIX = "_record_"


def __getattr__(name: str) -> Any:
    """A record class by its name (see `_record_class`), made if this process has not
    yet met its field names: how unpickling finds it."""
    if name.startswith(_RECORD_PREFIX):
        try:
            names = marshal.loads(bytes.fromhex(name[len(_RECORD_PREFIX) :]))
        except (ValueError, EOFError, TypeError):
            names = None
        if type(names) is tuple and all(type(n) is str for n in names):
            return _record_class(names)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        encoded = marshal.dumps(names, _MARSHAL_VERSION)
        namespace: dict[str, Any] = {
            "__slots__": (),
            "_fields": names,
            "_index": {n: i for i, n in enumerate(names)},
            "_tag": _Tag(xxhash.xxh3_64_intdigest(encoded)),
        }
        for i, name in enumerate(names):
            namespace[name] = _field(i, name)
        cls = type("State", (State,), namespace)
        setter = _setter(names)
        if setter is not None:
            cls.set = setter
        cls.__module__ = __name__
        cls.__qualname__ = _RECORD_PREFIX + encoded.hex()  # pickled by this name
        _RECORD_CLASSES[names] = cls
    return cls


_KEEP = object()  # a field that `set` leaves as it is


def _setter(names: tuple[str, ...]) -> Any:
    """`set` for one record class, with a keyword parameter per field: a call costs a
    third (one field) to two thirds (four) less than the generic `State.set`, and specs
    call it once per step. None when some field name cannot be a parameter (then the
    generic one serves)."""
    if not names or not all(n.isidentifier() and not keyword.iskeyword(n) for n in names):
        return None
    params = ", ".join(f"{n}=_KEEP" for n in names)
    values = "".join(f"_self[{i}] if {n} is _KEEP else {n}, " for i, n in enumerate(names))
    values += f"_self[{len(names)}]"  # the tag
    source = (
        f"def set(_self, *, {params}, **_unknown):\n"
        f"    if _unknown:\n"
        f"        _State.set(_self, **_unknown)  # names the unknown field\n"
        f"    return _new(_self.__class__, ({values}))\n"
    )
    namespace = {"_KEEP": _KEEP, "_new": tuple.__new__, "_State": State}
    exec(source, namespace)  # noqa: S102 - names are checked identifiers
    setter = namespace["set"]
    setter.__doc__ = State.set.__doc__
    setter.__qualname__ = "State.set"
    return setter


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
    if t is tuple:
        return tuple(canonical(v) for v in value)
    if isinstance(value, State):
        return ("<record>", value._fields) + tuple(canonical(v) for v in value[:-1])
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
    if t is tuple or t in _ATOMS or t is frozenset:
        try:  # builtins only: marshal it as it is
            return xxhash.xxh3_64_intdigest(dumps(state, _MARSHAL_VERSION))
        except ValueError:
            pass
    return xxhash.xxh3_64_intdigest(dumps(canonical(state), _MARSHAL_VERSION))


class Fingerprinter:
    """Fast, stable fingerprints for states built from shared immutable parts.

    States are identified by Python equality, as in exact mode and in Python's own
    sets: `1`, `1.0` and `True` are the same value. The encoding is a pure function of
    that equality: numbers are normalised, every nested record (with its field names)
    is replaced by its own 64-bit digest, memoised by value, and every frozenset by
    its size and the sum modulo 2**64 of its elements' digests (each memoised), which
    needs no sorting. Equal parts recur across many states, so a new state costs a few
    look-ups and one small `marshal`. Stable across processes; a different function
    from `fingerprint`.

    In front of the memos by value sits one by identity: a successor shares most of
    its parts (messages, node records) with its parent as the very same objects, and
    looking those up by `id` costs neither hashing nor comparing them (a tuple's hash
    is not cached: hashing a record walks all of it). The objects are kept alive while
    their ids are remembered, so an id never stands for another object.
    """

    def __init__(self, memo_limit: int = 1 << 17):
        self._memo: dict[Any, int] = {}  # records and other values -> digest
        self._elements: dict[Any, int] = {}  # set elements -> digest
        self._headers: dict[tuple[str, ...], int] = {}  # record field names -> digest
        # the same by identity: id -> digest of a record, of a set element, and the
        # encoded form of a nested tuple; their objects are kept alive meanwhile
        self._ids: dict[int, int] = {}
        self._element_ids: dict[int, int] = {}
        self._tuple_ids: dict[int, Any] = {}
        self._alive: list[Any] = []
        self._limit = memo_limit
        self._recent: dict[Any, int] = {}  # the latest states met -> their digests

    def __call__(self, state: Any) -> int:
        """The state's fingerprint.

        A search meets most states several times in a row (a state is reached from
        several parents of one level): the digests of the latest states are kept, so
        meeting one again costs a hash and a comparison instead of its encoding.
        """
        recent = self._recent
        try:
            digest = recent.get(state)
        except TypeError:  # unhashable: the encoding names the problem
            digest = None
        if digest is not None:
            return digest
        if len(self._alive) >= self._limit >> 2:  # forgotten between states, never in one
            self._ids.clear()
            self._element_ids.clear()
            self._tuple_ids.clear()
            self._alive.clear()
        digest = _digest(self._encode(state))
        if len(recent) >= _RECENT:
            recent.clear()
        recent[state] = digest
        return digest

    def check_like(self, value: Any, like: Any) -> None:
        """Raise as `__call__` would on `value`, given that `like` passed: only the
        parts of `value` that are not the very objects of `like` are looked at.

        A successor shares most of its parts with its parent, so checking that a new
        state could be fingerprinted costs a look at what the step changed: changed
        fields of a record or tuple, and the elements a set gained.
        """
        t = type(value)
        if (
            t is not type(like)
            or not (t is tuple or isinstance(value, State))
            or len(value) != len(like)
        ):
            self._small(value)
            return
        plain = _PLAIN
        for v, w in zip(value, like):
            if v is w:
                continue
            tv = type(v)
            if tv in plain or (tv is tuple and plain.issuperset(map(type, v))):
                continue
            if tv is frozenset and type(w) is frozenset:
                for e in v - w:  # the elements the step added
                    if type(e) is not tuple or not plain.issuperset(map(type, e)):
                        self._small(e)
            elif tv is type(w) and (tv is tuple or isinstance(v, State)):
                self.check_like(v, w)
            else:
                self._small(v)

    def _encode(self, value: Any) -> Any:
        """The marshal-able form of the top-level state (kept only among `_recent`)."""
        if isinstance(value, State):
            parts: list[Any] = [self._header(value)]
            value = value[:-1]
        elif type(value) is tuple:
            parts = []
        else:
            return self._small(value)
        plain = _PLAIN
        for v in value:
            t = type(v)
            if t is tuple:
                parts.append(v if plain.issuperset(map(type, v)) else self._small(v))
            elif t is frozenset:
                parts.append(self._set(v))
            elif t in plain:
                parts.append(v)
            else:
                parts.append(self._small(v))
        return tuple(parts)

    def _header(self, record: State) -> Any:
        """A record's field names, as one digest per record class."""
        fields = record._fields
        digest = self._headers.get(fields)
        if digest is None:
            digest = _digest(("<record>", fields))
            self._headers[fields] = digest
        return ("<record>", digest)

    def _small(self, value: Any) -> Any:
        t = type(value)
        if t in _PLAIN:
            return value
        if t is tuple:
            if _PLAIN.issuperset(map(type, value)):  # flat: checked in C, kept as is
                return value
            small = self._tuple_ids.get(id(value))
            if small is None:
                small = tuple([self._small(v) for v in value])
                self._tuple_ids[id(value)] = small
                self._alive.append(value)
            return small
        if t is bool or t is float:
            return _number(value)
        if isinstance(value, frozenset):
            return self._set(value)
        digest = self._ids.get(id(value))
        if digest is not None:
            return digest
        memo = self._memo
        try:
            digest = memo.get(value)
        except TypeError:
            return canonical(value)  # unhashable: let canonical() name the problem
        if digest is None:
            if isinstance(value, State):
                digest = self._record(value)
            elif t is complex:
                digest = _digest(("<complex>", value.real, value.imag))
            else:
                digest = _digest(("<other>", canonical(value)))
            self._remember(value, digest)
        self._ids[id(value)] = digest
        self._alive.append(value)
        return digest

    def _record(self, record: State) -> int:
        """A record's digest: its field names and its fields' encodings."""
        return _digest(("<record>", record._fields) + tuple([self._small(v) for v in record[:-1]]))

    def _set(self, value: frozenset) -> tuple[str, int, int]:
        """A set as (tag, size, sum of its elements' digests mod 2**64): no sorting.

        Each element's digest is memoised by identity and by value; sets are built
        from few distinct elements (messages, votes), so a new set costs one look-up
        per element, in C when every element was met before as the same object.
        """
        for first in value:  # records are looked up by identity, other values by value
            try:
                if isinstance(first, State):
                    total = sum(map(self._element_ids.__getitem__, map(id, value)))
                else:
                    total = sum(map(self._elements.__getitem__, value))
            except KeyError:  # some element is met for the first time (as this object)
                total = self._set_total(value)
            break
        else:
            total = 0
        t = type(value)
        tag = (
            "<set>"
            if t is frozenset
            else "<bag>"
            if isinstance(value, Bag)
            else ("<map>" if isinstance(value, FrozenMap) else "<set>")
        )
        return (tag, len(value), total & _MASK64)

    def _set_total(self, value: frozenset) -> int:
        """The sum of the elements' digests, when some element is a new object."""
        elements = self._elements
        if len(elements) >= self._limit:
            elements.clear()
        by_id, alive = self._element_ids, self._alive
        total = 0
        for v in value:
            digest = by_id.get(id(v))
            if digest is None:
                digest = elements.get(v)
                if digest is None:
                    digest = _digest(self._small(v))
                    elements[v] = digest
                by_id[id(v)] = digest
                alive.append(v)
            total += digest
        return total

    def _remember(self, value: Any, digest: int) -> None:
        memo = self._memo
        if len(memo) >= self._limit:
            memo.clear()  # a pure function: forgetting costs time, never correctness
        memo[value] = digest


_MASK64 = (1 << 64) - 1
_RECENT = 1 << 15  # states whose digests a Fingerprinter keeps (see __call__)


def _digest(encoded: Any) -> int:
    """The 64-bit digest of an encoded (marshal-able) value."""
    return xxhash.xxh3_64_intdigest(marshal.dumps(encoded, _MARSHAL_VERSION))


_PLAIN = frozenset((type(None), int, str, bytes))  # encoded as they are


def _number(value: bool | float) -> int | float:
    """Python-equal numbers encode alike: True -> 1, 2.0 -> 2."""
    if type(value) is bool:
        return int(value)
    return int(value) if value.is_integer() else value


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
