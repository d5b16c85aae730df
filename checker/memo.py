"""`Memo`: a spec's derived values, worked out once per input.

Specs often derive the same value many times: every action of a state, every step
from it and every property of a new state read, say, "the votes in these messages".
A `Memo` of a pure function makes the second and later reads one dict look-up:

    self.votes = Memo(self._count_votes)   # in __init__
    ...
    votes = self.votes[s.msgs]             # in an action or a property

The function must depend only on its argument (and on constants of the spec);
the memo then never changes an answer, only how often it is worked out.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any


class Memo(dict):
    """`memo[x]` is `fn(x)`, worked out the first time `x` is asked for.

    A dict, so a value already worked out costs one look-up in C. When it holds
    `limit` values it forgets the older half (a search asks mostly for what it met
    lately), which bounds its memory and costs only time. Each process has its own
    (workers inherit the parent's at fork).
    """

    def __init__(self, fn: Callable[[Any], Any], limit: int = 1 << 17):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"Memo needs a function, got {type(fn).__name__}")
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"Memo limit must be a positive whole number, got {limit!r}")
        self.fn = fn
        self.limit = limit

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self.limit:
            for old in list(islice(self, (len(self) + 1) // 2)):  # the oldest, in order
                del self[old]
        value = self[key] = self.fn(key)
        return value

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"Memo({name}, {len(self)} of at most {self.limit})"
