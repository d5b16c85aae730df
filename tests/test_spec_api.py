"""The spec API: validation messages, State records, the value notation and labels."""

from __future__ import annotations

import copy
import pickle
import re
import subprocess
import sys

import pytest

from checker import (
    ActionLabel,
    Choice,
    Spec,
    SpecDefinitionError,
    State,
    action,
    check,
    compile_spec,
    fault,
    invariant,
    step_invariant,
    terminal,
)
from checker.state import find_unhashable, fingerprint
from checker.syntax import SyntaxProblem, format_value, parse_label, parse_value

# --- spec validation --------------------------------------------------------------------


class Base(Spec):
    """A valid one-step spec the broken ones below start from."""

    def init_states(self):
        yield State(n=0)

    @action()
    def inc(self, s):
        return s.set(n=1) if s.n == 0 else None


class NoActions(Spec):
    def init_states(self):
        yield State(n=0)


class NoInit(Spec):
    @action()
    def inc(self, s):
        return None


class EmptyInit(Base):
    def init_states(self):
        return []


class ListInit(Base):
    def init_states(self):
        yield State(n=0, xs=[1, 2])


class IntDomain(Base):
    @action(p=lambda self, s: 3)
    def send(self, s, p):
        return None


class StringDomain(Base):
    @action(p="abc")
    def send(self, s, p):
        return None


class ThreeArgumentDomain(Base):
    @action(p=lambda self, s, extra: ())
    def send(self, s, p):
        return None


class MissingBudget(Base):
    @fault(budget="crashes")
    def crash(self, s):
        return None


class NegativeBudget(Base):
    def __init__(self):
        self.faults = -1

    @fault()
    def crash(self, s):
        return None


class OnlyFaults(Spec):
    def __init__(self):
        self.faults = 0

    def init_states(self):
        yield State(n=0)

    @fault()
    def crash(self, s):
        return None


MALFORMED = [
    (NoActions, "spec NoActions defines no actions; tag at least one method with @action"),
    (NoInit, "spec NoInit has no init_states(); define one"),
    (EmptyInit, "spec EmptyInit.init_states() produced no state"),
    (ListInit, "initial state is not a valid state: xs holds a list"),
    (IntDomain, "domain of `p` in action `send` is not iterable (got int 3)"),
    (StringDomain, "domain of `p` in action `send` is not iterable (got str 'abc')"),
    (ThreeArgumentDomain, "must take (self) or (self, state), not 3 arguments"),
    (MissingBudget, "spec MissingBudget has no attribute `crashes`"),
    (NegativeBudget, "fault budget `faults` must be a whole number >= 0, got -1"),
    (OnlyFaults, "spec OnlyFaults has only fault actions; add an @action"),
]


@pytest.mark.parametrize(("cls", "message"), MALFORMED, ids=[c.__name__ for c, _ in MALFORMED])
def test_compile_spec_refuses_a_malformed_spec(cls, message):
    with pytest.raises(SpecDefinitionError, match=re.escape(message)):
        compile_spec(cls())


def test_list_in_initial_state_gets_a_hint():
    with pytest.raises(SpecDefinitionError, match="use a tuple instead of a list"):
        compile_spec(ListInit())


def test_check_refuses_a_malformed_spec_the_same_way():
    with pytest.raises(SpecDefinitionError, match="defines no actions"):
        check(NoActions())


def test_method_tagged_twice_is_refused_when_the_class_is_defined():
    with pytest.raises(SpecDefinitionError, match=r"`inc` is tagged both @action and @invariant"):

        class Twice(Base):
            @invariant
            @action()
            def inc(self, s):
                return None


def test_domain_missing_from_the_signature_is_refused_when_the_class_is_defined():
    expected = "Lacking.send declares domains for ['p'] but takes no such parameter"
    with pytest.raises(SpecDefinitionError, match=re.escape(expected)):

        class Lacking(Base):
            @action(p=range(2))
            def send(self, s):
                return None


def test_action_without_a_state_parameter_is_refused():
    with pytest.raises(SpecDefinitionError, match=re.escape("def tick(self, s)")):

        class Stateless(Base):
            @action()
            def tick(self):
                return None


def test_override_with_another_role_is_refused():
    with pytest.raises(SpecDefinitionError, match="overrides a @action with a @invariant"):

        class Confused(Base):
            @invariant
            def inc(self, s):
                return True


def test_spec_info_collects_tagged_members_in_declaration_order():
    class Tagged(Base):
        def __init__(self, nodes: int = 2, faults: int = 1):
            self.nodes = nodes
            self.faults = faults

        @action(p=lambda self: range(self.nodes))
        def send(self, s, p):
            return None

        @fault()
        def crash(self, s):
            return None

        @invariant
        def small(self, s):
            return s.n < 2

        @step_invariant
        def up(self, before, after):
            return after.n >= before.n

        @terminal
        def done(self, s):
            return s.n == 1

    info = Tagged.spec_info()
    assert [(a.name, a.is_fault, a.budget) for a in info.actions] == [
        ("inc", False, None),
        ("send", False, None),
        ("crash", True, "faults"),
    ]
    assert [p.name for p in info.invariants] == ["small"]
    assert [p.name for p in info.step_invariants] == ["up"]
    assert [p.name for p in info.terminals] == ["done"]
    assert [p.name for p in info.params] == ["nodes", "faults"]
    assert Tagged(nodes=3).describe_params() == {"nodes": 3, "faults": 1}


def test_untagged_override_removes_the_role():
    class Quiet(Base):
        @action()
        def reset(self, s):
            return s.set(n=0)

    class Quieter(Quiet):
        def reset(self, s):
            return None

    assert [a.name for a in Quiet.spec_info().actions] == ["inc", "reset"]
    assert [a.name for a in Quieter.spec_info().actions] == ["inc"]


def test_spec_name_defaults_to_kebab_case():
    class TwoPhaseCommit(Base):
        pass

    assert TwoPhaseCommit.name == "two-phase-commit"


def test_choice_of_keeps_parameters_in_order():
    choice = Choice.of(State(n=1), x=1, y="a")
    assert choice == Choice(State(n=1), (("x", 1), ("y", "a")))


# --- State records ------------------------------------------------------------------------


def test_state_fields_read_as_attributes():
    s = State(x=1, ys=(2, 3))
    assert (s.x, s.ys) == (1, (2, 3))
    assert s.asdict() == {"x": 1, "ys": (2, 3)}
    assert list(s.items()) == [("x", 1), ("ys", (2, 3))]
    assert repr(s) == "State(x=1, ys=(2, 3))"


def test_state_set_returns_a_changed_copy():
    s = State(x=1, ys=(2, 3))
    t = s.set(x=5)
    assert t == State(x=5, ys=(2, 3))
    assert type(t) is type(s)
    assert s.x == 1


def test_state_set_changes_several_fields_and_keeps_the_rest():
    s = State(a=1, b=(2,), c=frozenset({3}), d=None)
    t = s.set(d=4, a=0)
    assert t == State(a=0, b=(2,), c=frozenset({3}), d=4)
    assert t.b is s.b and t.c is s.c  # unchanged fields are the very objects
    assert s.set() == s
    with pytest.raises(TypeError):
        s.set(5)  # fields are named


def test_state_set_with_field_names_that_are_no_parameters():
    s = State(**{"class": 1, "two words": 2})
    t = s.set(**{"two words": 3})
    assert t.asdict() == {"class": 1, "two words": 3}
    with pytest.raises(AttributeError, match="State has no field 'z'"):
        s.set(z=1)


def test_state_is_immutable():
    s = State(x=1)
    with pytest.raises(AttributeError):
        s.x = 2


def test_states_compare_and_hash_by_value():
    assert State(x=1, ys=()) == State(x=1, ys=())
    assert hash(State(x=1, ys=())) == hash(State(x=1, ys=()))
    assert State(x=1, ys=()) != State(x=2, ys=())
    assert len({State(x=1), State(x=1), State(x=2)}) == 2
    assert type(State(x=1)) is type(State(x=2))


def test_unknown_field_in_set_is_an_attribute_error():
    with pytest.raises(AttributeError, match="State has no field 'z'; its fields are x, ys"):
        State(x=1, ys=()).set(z=1)


def test_record_class_needs_exactly_its_fields():
    cls = type(State(x=1, ys=()))
    assert cls(x=2, ys=(1,)) == State(x=2, ys=(1,))
    with pytest.raises(TypeError, match=re.escape("missing ['ys'], unknown []")):
        cls(x=2)


@pytest.mark.parametrize("name", ["_hidden", "set", "items", "asdict", "count", "index"])
def test_reserved_field_names_are_refused(name):
    with pytest.raises(TypeError, match=f"State field name '{name}' is reserved"):
        State(**{name: 1})


def test_state_survives_copying():
    s = State(x=1, ys=(2, 3))
    assert copy.deepcopy(s) == s
    assert type(copy.deepcopy(s)) is type(s)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_state_survives_pickling(protocol):
    s = State(x=1, ys=(2, 3), inner=State(kind="a", to=frozenset({1})))
    back = pickle.loads(pickle.dumps(s, protocol))
    assert back == s and hash(back) == hash(s)
    assert type(back) is type(s) and type(back.inner) is type(s.inner)
    # the class's own tag comes back, so the copy equals records made here
    assert back[-1] is s[-1] and back.inner.set(kind="b") == s.inner.set(kind="b")


def test_a_pickled_state_loads_where_its_record_class_was_never_made():
    blob = pickle.dumps(State(never_seen_field=1, other=State(deeper="x")))
    code = (
        "import pickle, sys; from checker.state import State; "
        "s = pickle.loads(sys.stdin.buffer.read()); "
        "print(s.never_seen_field, s.other.deeper, s == State(never_seen_field=1, "
        "other=State(deeper='x')))"
    )
    run = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True)
    assert run.stdout.decode().split() == ["1", "x", "True"], run.stderr.decode()


def test_a_record_class_name_that_spells_no_fields_is_no_attribute():
    import checker.state

    with pytest.raises(AttributeError, match="no attribute '_record_zz'"):
        checker.state._record_zz  # noqa: B018


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        (State(a=(1, [2])), "a[1] holds a list"),
        (State(inner=State(xs={1})), "inner.xs holds a set"),
        (State(d={"k": 1}), "d holds a dict"),
        (State(a=frozenset({1}), b=(None, "x", 2.5)), None),
    ],
    ids=["list-in-tuple", "set-in-record", "dict", "valid"],
)
def test_find_unhashable_names_the_path(state, problem):
    found = find_unhashable(state)
    if problem is None:
        assert found is None
    else:
        assert found.startswith(problem)


def test_fingerprint_ignores_frozenset_construction_order():
    words = [f"w{i}" for i in range(30)]
    assert fingerprint(State(ws=frozenset(words))) == fingerprint(
        State(ws=frozenset(reversed(words)))
    )


# --- the value notation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3", 3),
        ("-1", -1),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("'v0'", "v0"),
        ('"v0"', "v0"),
        (r"'it\'s'", "it's"),
        ("fifo", "fifo"),
        ("None", None),
        ("True", True),
        ("False", False),
        ("none", None),
        ("true", True),
        ("(1, 2)", (1, 2)),
        ("(1, 2,)", (1, 2)),
        ("()", ()),
        ("(1,)", (1,)),
        ("(1)", 1),
        ("[1, 2]", (1, 2)),
        ("[]", ()),
        ("{2, 1}", frozenset({1, 2})),
        ("{}", frozenset()),
        ("0..2", (0, 1, 2)),
        ("-1..1", (-1, 0, 1)),
        ("((1, 'a'), {x})", ((1, "a"), frozenset({"x"}))),
        ("  7 ", 7),
    ],
)
def test_parse_value(text, value):
    parsed = parse_value(text)
    assert parsed == value
    assert type(parsed) is type(value)


ROUND_TRIP = [
    0,
    -3,
    2.5,
    1e20,
    "v0",
    "it's",
    'say "hi"',
    "a\nb",
    "back\\slash",
    "é→",
    "None",
    "",
    None,
    True,
    False,
    (),
    (1,),
    (1, (2, 3)),
    ("x", None, -1),
    frozenset(),
    frozenset({"b", "a"}),
    frozenset({10, 2}),
    frozenset({(1, 2), (0,)}),
]


@pytest.mark.parametrize("value", ROUND_TRIP, ids=repr)
def test_format_value_parses_back(value):
    parsed = parse_value(format_value(value))
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (-1, "-1"),
        ("v0", "'v0'"),
        (None, "None"),
        ((), "()"),
        ((1,), "(1,)"),
        ((1, "a"), "(1, 'a')"),
        (frozenset({"b", "a"}), "{'a', 'b'}"),
        (frozenset(), "{}"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


@pytest.mark.parametrize(
    ("text", "column"),
    [("(1, ", 3), ("1 2", 3), ("", 1), ("{1", 2), ("'open", 1), ("0..", 2), ("(,)", 2)],
)
def test_bad_value_is_a_syntax_problem(text, column):
    with pytest.raises(SyntaxProblem, match=f"cannot read value .* at column {column}"):
        parse_value(text)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("read_X(p=1)", ("read_X", (("p", 1),))),
        ("tick", ("tick", ())),
        ("tick()", ("tick", ())),
        ("send(m='v0', to=(1, 2))", ("send", (("m", "v0"), ("to", (1, 2))))),
        ("f(a=1,)", ("f", (("a", 1),))),
    ],
)
def test_parse_label(text, label):
    assert parse_label(text) == label


@pytest.mark.parametrize("text", ["read_X(p=)", "read_X(1)", "read_X(p=1", "9x", "a b"])
def test_bad_label_is_a_syntax_problem(text):
    with pytest.raises(SyntaxProblem, match="cannot read action label"):
        parse_label(text)


def test_syntax_problem_is_a_value_error():
    assert issubclass(SyntaxProblem, ValueError)


# --- action labels ---------------------------------------------------------------------------

LABELS = [
    (ActionLabel("read_X", (("p", 1),)), "read_X(p=1)"),
    (ActionLabel("tick"), "tick"),
    (ActionLabel("crash", (("p", 0),), is_fault=True), "crash(p=0)"),
    (ActionLabel("send", (("m", "v0"), ("to", (1, 2)))), "send(m='v0', to=(1, 2))"),
    (ActionLabel("vote", (("b", None), ("ok", True))), "vote(b=None, ok=True)"),
    (ActionLabel("gossip", (("peers", frozenset({2, 0})),)), "gossip(peers={0, 2})"),
    (ActionLabel("wrap", (("x", (1,)),)), "wrap(x=(1,))"),
]


@pytest.mark.parametrize(("label", "text"), LABELS, ids=[t for _, t in LABELS])
def test_action_label_prints(label, text):
    assert str(label) == text


@pytest.mark.parametrize(("label", "text"), LABELS, ids=[t for _, t in LABELS])
def test_printed_label_parses_back(label, text):
    assert parse_label(str(label)) == (label.name, label.params)
