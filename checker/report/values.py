"""How state values are shown to people (text) and to programs (JSON)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from checker.state import Bag, FrozenMap, State


def show(value: Any) -> str:
    """A short, stable rendering: records as `Name(a=1)`, sets sorted."""
    if isinstance(value, State):
        if value._fields[:1] == ("kind",) and isinstance(value[0], str):
            # a message: printed like the label of the step that delivers it
            rest = ", ".join(f"{k}={show(v)}" for k, v in value.items() if k != "kind")
            return f"{value[0]}({rest})"
        return "(" + ", ".join(f"{k}={show(v)}" for k, v in value.items()) + ")"
    if isinstance(value, Bag):
        items = sorted(show(v) + (f" x{n}" if n > 1 else "") for v, n in value)
        return "{" + ", ".join(items) + "}"
    if isinstance(value, FrozenMap):
        return "{" + ", ".join(sorted(f"{show(k)}: {show(v)}" for k, v in value)) + "}"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(show(v) for v in value)) + "}"
    if type(value) is tuple:
        inner = ", ".join(show(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    return repr(value)


def to_json(value: Any) -> Any:
    """A JSON-ready form for reading (not for reconstruction: replay rebuilds states)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, State):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"__type__": type(value).__name__}
        out.update({f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)})
        return out
    if isinstance(value, frozenset):
        return sorted((to_json(v) for v in value), key=repr)
    if isinstance(value, tuple):
        return [to_json(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return repr(value)


def state_lines(state: Any) -> list[tuple[str, str]]:
    """A state as (field, shown value) lines; a tuple of records gets a line per record.

    For a state that is not a record, one line with the field "state".
    """
    if not isinstance(state, State):
        return [("state", show(state))]
    lines: list[tuple[str, str]] = []
    for key, value in state.items():
        if type(value) is tuple and value and all(isinstance(x, State) for x in value):
            lines += [(f"{key}[{i}]", show(x)) for i, x in enumerate(value)]
        else:
            lines.append((key, show(value)))
    return lines
