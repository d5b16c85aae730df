"""An explicit-state model checker for distributed protocols written as Python classes.

Write a `Spec` subclass with `@action`, `@fault`, `@invariant` (and friends) and run
`check(MySpec(nodes=3))`, or `check my_spec.py --nodes 3` from the shell.
"""

from checker.engine import Result, Verdict, check
from checker.memo import Memo
from checker.model import compile_spec
from checker.options import CheckOptions, Strategy
from checker.spec import (
    ActionLabel,
    Choice,
    Spec,
    SpecDefinitionError,
    action,
    constraint,
    fault,
    invariant,
    reachable,
    step_invariant,
    terminal,
)
from checker.state import Bag, FrozenMap, State, fingerprint, with_item

__all__ = [
    "ActionLabel",
    "Bag",
    "CheckOptions",
    "Choice",
    "Result",
    "Spec",
    "SpecDefinitionError",
    "State",
    "Strategy",
    "Verdict",
    "action",
    "check",
    "compile_spec",
    "constraint",
    "fault",
    "fingerprint",
    "FrozenMap",
    "Memo",
    "invariant",
    "reachable",
    "step_invariant",
    "terminal",
    "with_item",
]
