"""Regression tests for defects found in review: each failed before its fix."""

from __future__ import annotations

import enum
import os
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker import CheckOptions, Spec, State, Verdict, action, check, invariant
from checker.cli import main


@dataclass(frozen=True)
class Note:
    text: str


class Colour(enum.Enum):
    RED = 1


class Messages(Spec):
    """A frozenset field that first holds builtins, then a dataclass."""

    def init_states(self):
        yield State(msgs=frozenset(), n=0)

    @action()
    def send(self, s):
        if s.n >= 2:
            return None
        return s.set(msgs=s.msgs | {Note(str(s.n))}, n=s.n + 1)

    @invariant
    def few(self, s):
        return s.n < 2


def test_a_state_keeps_its_fingerprint_whatever_came_before():
    result = check(Messages())
    assert result.verdict is Verdict.VIOLATED
    assert len(result.violation.trace) == 2


class Toggle(Spec):
    def init_states(self):
        yield State(c=None)

    @action()
    def flip(self, s):
        return s.set(c=Colour.RED if s.c is None else None)


def test_an_enum_field_that_comes_and_goes_gives_two_states():
    assert check(Toggle(), CheckOptions(check_deadlock=False)).stats.distinct == 2


class Shapes(Spec):
    """Two records with equal contents but different field names are different states."""

    def init_states(self):
        yield State(waiting=1)

    @action()
    def finish(self, s):
        return State(done=1) if hasattr(s, "waiting") else None

    @invariant
    def never_done(self, s):
        return not hasattr(s, "done")


@pytest.mark.parametrize("exact", [False, True])
def test_field_names_are_part_of_a_state(exact):
    result = check(Shapes(), CheckOptions(exact=exact, check_deadlock=False))
    assert result.verdict is Verdict.VIOLATED


class BoolOrInt(Spec):
    def init_states(self):
        yield State(inner=State(x=1))

    @action()
    def to_bool(self, s):
        return s.set(inner=State(x=True)) if s.inner.x is not True else None

    @invariant
    def never_true(self, s):
        return s.inner.x is not True


@pytest.mark.parametrize("exact", [False, True])
def test_states_are_identified_by_python_equality_in_both_modes(exact):
    # 1 == True, as in Python sets: both modes see one state, so they agree
    result = check(BoolOrInt(), CheckOptions(check_deadlock=False, exact=exact))
    assert result.verdict is Verdict.HOLDS
    assert result.stats.distinct == 1


class Falsy(Spec):
    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        return s.n < 2 and s.set(n=s.n + 1)


def test_returning_a_bool_from_an_action_is_refused():
    result = check(Falsy(), CheckOptions(check_deadlock=False))
    assert result.verdict is Verdict.SPEC_ERROR
    assert "returned False" in result.error.message


class ShrinkingDomain(Spec):
    def init_states(self):
        yield State(n=0)

    @action(p=lambda self, s: range(2) if s.n == 0 else 7)
    def step(self, s, p):
        return s.set(n=1) if s.n == 0 else None


def test_a_domain_that_stops_being_iterable_is_a_spec_error():
    result = check(ShrinkingDomain())
    assert result.verdict is Verdict.SPEC_ERROR
    assert "is not iterable" in result.error.message


class Unhashable(Spec):
    def init_states(self):
        yield State(box=None)

    @action()
    def fill(self, s):
        return s.set(box=[1]) if s.box is None else None


def test_exact_mode_refuses_an_unhashable_successor():
    result = check(Unhashable(), CheckOptions(exact=True))
    assert result.verdict is Verdict.SPEC_ERROR
    assert "box holds a list" in result.error.message


def test_generated_counts_every_successor_even_when_a_violation_stops_the_search():
    result = check(Messages())
    assert result.stats.generated >= result.stats.distinct


def _write(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("def broken(:\n", "importing"),
        (
            """
     from checker import Spec, State
     class NoActions(Spec):
         def init_states(self):
             yield State(n=0)
     """,
            "defines no actions",
        ),
        (
            """
     from checker import Spec, State, action
     class Explodes(Spec):
         def __init__(self):
             raise RuntimeError("no")
         def init_states(self):
             yield State(n=0)
         @action()
         def a(self, s):
             return None
     """,
            "__init__ raised RuntimeError",
        ),
    ],
)
def test_broken_spec_files_exit_4_with_the_specific_message(tmp_path, body, message):
    _write(tmp_path / "bad.py", body)
    result = CliRunner().invoke(main, [str(tmp_path / "bad.py")])
    assert result.exit_code == 4
    assert message in result.output


def test_reports_are_readable_by_others_and_show_works_from_elsewhere(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    _write(
        work / "race.py",
        """
        from checker import Spec, State, action, invariant
        class Race(Spec):
            def init_states(self):
                yield State(n=0)
            @action()
            def inc(self, s):
                return s.set(n=s.n + 1) if s.n < 2 else None
            @invariant
            def small(self, s):
                return s.n < 2
    """,
    )
    old = os.umask(0o022)
    try:
        assert CliRunner().invoke(main, ["race.py"]).exit_code == 1
    finally:
        os.umask(old)
    saved = next((work / "counterexamples").glob("*.json"))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(main, ["show", str(saved)])
    assert shown.exit_code == 1, shown.output
    assert "Replayed 2 steps" in shown.output


def test_model_fingerprints_of_nested_states_are_the_same_in_every_process():
    code = (
        "from checker import compile_spec\n"
        "from specs.paxos import Paxos\n"
        "m = compile_spec(Paxos(proposers=1, ballots=1))\n"
        "s = m.initial()[0]\n"
        "t = [tr.target for tr in m.successors(s)][0]\n"
        "print(m.fingerprint(s), m.fingerprint(t))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
