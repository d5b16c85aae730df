"""Every promise `check list` makes is kept: each expectation is run and compared."""

from __future__ import annotations

import pytest

from checker import check
from specs import CATALOGUE

CASES = [
    pytest.param(
        entry, x, marks=[pytest.mark.slow] if x.slow else [], id=f"{entry.name}:{x.describe()}"
    )
    for entry in CATALOGUE
    for x in entry.expectations
]


def test_every_entry_promises_something():
    assert all(entry.expectations for entry in CATALOGUE)
    assert len({entry.name for entry in CATALOGUE}) == len(CATALOGUE)


@pytest.mark.parametrize(("entry", "expectation"), CASES)
def test_expectation_holds(entry, expectation):
    spec = entry.spec(**{**entry.fixed, **dict(expectation.params)})
    result = check(spec)
    assert result.verdict.value == expectation.verdict
    if expectation.verdict == "violated":
        assert result.violation.property == expectation.property
        assert len(result.violation.trace) == expectation.length
