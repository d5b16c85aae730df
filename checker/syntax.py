"""The value notation of labels and parameters, parsed with lark.

One small grammar covers what users type and what traces print:
- values: `3`, `-1`, `2.5`, `'v0'` or `"v0"`, bare words (`fifo`), `None`, `True`,
  `False`, tuples `(1, 2)` or `[1, 2]`, sets `{1, 2}`, inclusive ranges `0..2`;
- labels: `read_X(p=1)`, `crash(p=0)`, `tick`.

`format_value` prints values in the same notation, so a printed label parses back
to an equal `ActionLabel` (used to replay saved counterexamples).
"""

from __future__ import annotations

import functools
from typing import Any

from lark import Lark, Transformer, UnexpectedInput, v_args

_GRAMMAR = r"""
?start_value: value
?start_label: label

label: CNAME ("(" (kwarg ("," kwarg)* ","?)? ")")?
kwarg: CNAME "=" value

?value: atom
      | range
      | tuple
      | list
      | set

range: INT ".." INT
tuple: "(" ")" -> empty_tuple
     | "(" value "," ")" -> single_tuple
     | "(" value ("," value)+ ","? ")"
     | "(" value ")" -> paren
list: "[" (value ("," value)* ","?)? "]"
set: "{" (value ("," value)* ","?)? "}"

?atom: INT -> int
     | FLOAT -> float
     | STRING -> string
     | CNAME -> word

INT: /-?\d+/
FLOAT: /-?\d+\.\d+([eE][-+]?\d+)?/ | /-?\d+[eE][-+]?\d+/
STRING: /'([^'\\]|\\.)*'/ | /"([^"\\]|\\.)*"/

%import common.CNAME
%import common.WS
%ignore WS
"""

_WORDS = {"None": None, "True": True, "False": False, "none": None, "true": True, "false": False}


class SyntaxProblem(ValueError):
    """Text that is not a value or label; the message points at the column."""


@v_args(inline=True)
class _ToPython(Transformer):
    def int(self, tok):
        return int(tok)

    def float(self, tok):
        return float(tok)

    def string(self, tok):
        body = tok[1:-1]
        return body.encode("latin-1", "backslashreplace").decode("unicode_escape")

    def word(self, tok):
        return _WORDS.get(str(tok), str(tok))

    def range(self, lo, hi):
        return tuple(range(int(lo), int(hi) + 1))

    def empty_tuple(self):
        return ()

    def single_tuple(self, v):
        return (v,)

    def paren(self, v):
        return v

    def tuple(self, *items):
        return items

    def list(self, *items):
        return items

    def set(self, *items):
        return frozenset(items)

    def kwarg(self, name, value):
        return (str(name), value)

    def label(self, name, *kwargs):
        return str(name), kwargs


@functools.cache
def _parser(start: str) -> Lark:
    """Built on first use: building one takes a tenth of a second, and most runs never parse."""
    return Lark(_GRAMMAR, start=start, parser="lalr")


def _parse(parser: Lark, text: str, what: str) -> Any:
    try:
        tree = parser.parse(text)
    except UnexpectedInput as err:
        context = err.get_context(text).rstrip()
        raise SyntaxProblem(
            f"cannot read {what} {text!r} at column {err.column}:\n{context}"
        ) from None
    return _ToPython().transform(tree)


def parse_value(text: str) -> Any:
    """Read a value: `3`, `fifo`, `(1, 2)`, `{1, 2}`, `0..2`, `None`..."""
    return _parse(_parser("start_value"), text, "value")


def parse_label(text: str) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """Read a label such as `read_X(p=1)` into (name, params)."""
    return _parse(_parser("start_label"), text, "action label")


def format_value(value: Any) -> str:
    """Print a value in the notation `parse_value` reads (for builtins)."""
    if isinstance(value, frozenset | set):
        items = sorted(format_value(v) for v in value)
        return "{" + ", ".join(items) + "}"
    if type(value) is tuple:
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)
