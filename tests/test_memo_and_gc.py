"""`Memo` (derived values worked out once) and how the engine collects a spec's cycles."""

from __future__ import annotations

import gc
import weakref

import pytest

from checker import CheckOptions, Memo, Spec, Verdict, action, check, invariant
from checker.engine import search


def test_memo_works_a_value_out_once_and_forgets_the_older_half_when_full():
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    memo = Memo(square, limit=4)
    assert [memo[2], memo[2], memo[3]] == [4, 4, 9]
    assert calls == [2, 3]
    memo[4], memo[5]
    assert len(memo) == 4
    memo[6]  # full: 2 and 3, the oldest, are forgotten, then 6 worked out
    assert dict(memo) == {4: 16, 5: 25, 6: 36}
    assert memo[5] == 25 and calls == [2, 3, 4, 5, 6]
    assert memo[2] == 4 and calls == [2, 3, 4, 5, 6, 2]
    assert "square" in repr(memo)
    one = Memo(square, limit=1)
    assert [one[7], one[8], one[7]] == [49, 64, 49] and len(one) == 1


@pytest.mark.parametrize("fn, limit", [(None, 10), (abs, 0), (abs, "big")])
def test_memo_refuses_bad_arguments(fn, limit):
    with pytest.raises((TypeError, ValueError)):
        Memo(fn, limit)


class _Node:
    me: _Node


class Cycles(Spec):
    """A counter whose action leaves a reference cycle behind at every step; the
    invariant says the cycles of early steps have been freed by the time n is large."""

    def __init__(self, limit: int = 40_000, cycles: bool = True):
        self.limit = limit
        self.cycles = cycles
        self.refs: list[weakref.ref] = []

    def init_states(self):
        yield 0

    @action
    def step(self, n):
        if self.cycles:
            junk = _Node()
            junk.me = junk
            self.refs.append(weakref.ref(junk))
        return n + 1 if n < self.limit else None

    @invariant
    def early_cycles_freed(self, n):
        # collections run after 8,192 expansions, then 16,384, 32,768: by 20,000 steps
        # the cycles of the first 8,000 must be gone
        if self.cycles and n == 20_000:
            return all(r() is None for r in self.refs[:8_000])
        return True


def test_the_engine_frees_a_specs_cycles_while_it_searches():
    result = check(Cycles(), CheckOptions(workers=1, check_deadlock=False))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.distinct == 40_001


def test_the_engine_stops_collecting_when_a_spec_makes_no_cycles(monkeypatch):
    calls = []
    collect = gc.collect

    def counting(*args):
        calls.append(args)
        return collect(*args)

    collect()  # what earlier tests left behind is not the spec's
    monkeypatch.setattr(search.gc, "collect", counting)
    result = check(Cycles(limit=100_000, cycles=False), CheckOptions(workers=1))
    assert result.stats.distinct == 100_001
    # after 8,192 and 16,384 expansions; both found nothing, so no more
    assert calls == [(0,), (0,)]
