"""Counterexample diagrams in Graphviz DOT: message sequence charts and step graphs.

`sequence_chart` lays out a `Protocol` trace with `dot` as a grid: one rank per step,
one column of cells per node held straight by heavy lifeline edges, the order in each
rank pinned by invisible edges. A message is a straight `constraint=false` line from
the cell that sent it to its text, placed beside the receiving lane in the row of the
delivery, then an arrowhead into the lane. A step delivers at most one message, so
texts do not collide, and as they are nodes, `dot` makes room for them. `step_graph`
draws any other spec as a chain of states showing only what each step changed.

Sources are written as text in trace order, so a trace always gives the same bytes.
All text goes into escaped HTML-like labels: state values may contain anything.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from checker.actors import Protocol, StepEvent
from checker.network import Message
from checker.report import palette
from checker.report.diff import Change, diff
from checker.report.values import show
from checker.spec import ActionLabel, Spec
from checker.state import State
from checker.trace import Trace

_FAULT, _FAULT_FILL = palette.FAULT, palette.FAULT_FILL
_VIOLATION, _VIOLATION_FILL = palette.VIOLATION, palette.VIOLATION_FILL
_RECOVERY, _RECOVERY_FILL = palette.RECOVERY, palette.RECOVERY_FILL
_MESSAGE, _MESSAGE_FILL = palette.MESSAGE, palette.MESSAGE_FILL
_LIFELINE, _MUTED, _INK = palette.LIFELINE, palette.MUTED, palette.INK
_FONT = "Helvetica"
_WRAP = 60  # characters per line of a value in a step-graph box


def trace_diagram(trace: Trace, spec: Spec, violated: str = "") -> str:
    """DOT source for a counterexample: a message sequence chart when `spec` is a
    `checker.actors.Protocol`, otherwise a step graph. `violated` names the property
    broken in the last step (shown in the highlight)."""
    if isinstance(spec, Protocol):
        return sequence_chart(trace, spec, violated)
    return step_graph(trace, violated)


# --- text and DOT syntax ------------------------------------------------------------------

# Graphviz reads `\\` in HTML-like labels as one backslash, so every backslash doubles
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\\": "\\\\"}
_LEFT = '<BR ALIGN="LEFT"/>'


def _esc(text: str) -> str:
    """Text for an HTML-like label: markup characters as entities and control characters
    as Python escapes (`\\n`), so that they show instead of breaking the label."""
    return "".join(
        _ENTITIES.get(ch) or (repr(ch)[1:-1] if ch < " " or ch == "\x7f" else ch) for ch in text
    )


def _text(text: str, colour: str = "", size: int = 0, bold: bool = False) -> str:
    """HTML-like markup for `text` (escaped here) in the font asked for."""
    out = _esc(text)
    if not out:
        return " "  # an empty <FONT> element is a syntax error
    if bold:
        out = f"<B>{out}</B>"
    attrs = (f' COLOR="{colour}"' if colour else "") + (f' POINT-SIZE="{size}"' if size else "")
    return f"<FONT{attrs}>{out}</FONT>" if attrs else out


class _Html(str):
    """An HTML-like label, written into DOT unquoted."""


def _html(markup: str) -> _Html:
    return _Html(f"<{markup}>")


def _attrs(base: dict[str, str] | None = None, **attrs: str) -> str:
    """`[k="v", ...]` from `base` updated by `attrs`; HTML-like labels go in unquoted."""
    merged = {**(base or {}), **attrs}
    return "[" + ", ".join(f"{k}={_value(v)}" for k, v in merged.items()) + "]"


def _value(v: str) -> str:
    if isinstance(v, _Html):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _message_text(m: Message) -> str:
    """A message as drawn on its arrow: kind and payload (the arrow shows src and dst)."""
    return " ".join([str(m.kind), *(f"{k}={show(v)}" for k, v in m.items() if k not in _ENDS)])


_ENDS = ("kind", "src", "dst")


def _verdict(violated: str, steps: int) -> str:
    if violated == "deadlock":
        return f"deadlock after {steps} step{'s' if steps != 1 else ''}"
    return f"{violated} violated" if violated else "counterexample"


# --- sequence chart: what happened --------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a copy of a message entered the network: a cell, and whether by duplication."""

    row: int
    lane: int
    dup: bool = False


@dataclass(frozen=True)
class _Arrow:
    """A copy of a message, from its origin to the row and lane where it arrived or was lost."""

    origin: _Origin
    row: int
    lane: int
    text: str
    lost: bool = False


@dataclass(frozen=True)
class _Story:
    """The chart's content, worked out from the trace before any DOT is written."""

    events: tuple[StepEvent | None, ...]  # per row; None for the initial state
    arrows: tuple[_Arrow, ...]
    in_flight: tuple[tuple[_Origin, tuple[Message, ...]], ...]  # sent, never delivered


def _story(trace: Trace, spec: Protocol, lane: dict[Any, int]) -> _Story:
    """Match every delivery and loss to the copy it took: the oldest one still in the
    network (under `set`, where a delivery consumes nothing, the first send)."""
    pending: dict[Message, list[_Origin]] = {}
    sends: list[tuple[Message, _Origin]] = []
    taken: dict[tuple[Message, _Origin], int] = {}  # copies delivered or lost
    arrows: list[_Arrow] = []
    events: list[StepEvent | None] = [None]

    def enter(m: Message, origin: _Origin) -> None:
        pending.setdefault(m, []).append(origin)
        sends.append((m, origin))

    for m in spec.initial_sends(trace.steps[0].state):
        enter(m, _Origin(0, lane[m.src]))
    for row, (before, step) in enumerate(zip(trace.steps, trace.steps[1:]), start=1):
        assert step.label is not None
        ev = spec.step_event(step.label, before.state, step.state)
        if ev.kind == "restart" and not ev.sent:  # a restarted node resends its initial messages
            old, new = spec.net.counts(before.state.net), spec.net.counts(step.state.net)
            grown = (m for m, k in new.items() for _ in range(k - old.get(m, 0)))
            ev = StepEvent(ev.kind, ev.node, sent=tuple(sorted(grown, key=spec.net.key)))
        events.append(ev)
        m = ev.message
        if ev.kind in ("deliver", "drop") and m is not None:
            copies = pending.get(m) or [_Origin(0, lane[m.src])]  # in the initial network
            origin = copies.pop(0) if spec.net.consumes else copies[0]
            taken[m, origin] = taken.get((m, origin), 0) + 1
            arrows.append(_Arrow(origin, row, lane[m.dst], _message_text(m), ev.kind == "drop"))
        elif ev.kind == "duplicate" and m is not None:
            enter(m, _Origin(row, lane[m.src], dup=True))
        for sent in ev.sent:
            enter(sent, _Origin(row, lane[sent.src]))
    waiting: dict[_Origin, list[Message]] = {}
    for m, origin in sends:
        if taken.get((m, origin)):
            taken[m, origin] -= 1
        else:
            waiting.setdefault(origin, []).append(m)
    flight = sorted(waiting.items(), key=lambda item: item[0].row)  # stable: trace order
    return _Story(tuple(events), tuple(arrows), tuple((o, tuple(ms)) for o, ms in flight))


# --- sequence chart: how it is drawn ------------------------------------------------------

_ROW = "0.26"  # the height of every rank, so that rows are evenly spaced
_PLAIN = {"shape": "plaintext", "style": "filled", "color": "white", "fillcolor": "white",
          "height": _ROW, "margin": "0.03,0.01"}  # fmt: skip
_BOX = {"shape": "box", "style": "rounded,filled", "height": _ROW, "margin": "0.06,0.02"}


def _cell(lane: int, row: int) -> str:
    return f"c{lane}_{row}"


def _box(colour: str, fill: str, markup: str) -> dict[str, str]:
    return {**_BOX, "color": colour, "fillcolor": fill, "label": _html(markup)}


def _marker(ev: StepEvent, label: ActionLabel) -> dict[str, str]:
    """The attributes of the cell where a step happens, by kind of step."""
    if ev.kind == "deliver":
        return {"shape": "point", "width": "0.08", "color": _MESSAGE}
    if ev.kind == "crash":
        text = _html(_text("crash", "white", 9, bold=True))
        return {"shape": "octagon", "style": "filled", "color": _FAULT, "fillcolor": _FAULT,
                "height": _ROW, "margin": "0.01", "label": text}  # fmt: skip
    if ev.kind == "restart":
        return _box(_RECOVERY, _RECOVERY_FILL, _text("restart", _RECOVERY, 9, bold=True))
    if ev.kind == "duplicate" and ev.message is not None:
        return _box(_FAULT, _FAULT_FILL, _text(f"dup {ev.message.kind}", _FAULT, 9, bold=True))
    colour, fill = (_FAULT, _FAULT_FILL) if label.is_fault else (_MESSAGE, _MESSAGE_FILL)
    params = (f"{k}={show(v)}" for k, v in label.params if k != "n")
    return _box(colour, fill, _text(" ".join([label.name, *params]), colour, 9))


class _Chart:
    """A sequence chart being drawn: cells by (lane, row), nodes beside lanes, notes, edges."""

    def __init__(self, trace: Trace, spec: Protocol, rows: int):
        self.trace, self.spec, self.rows = trace, spec, rows
        self.nodes = list(spec.node_ids())
        self.last = len(trace.steps) - 1
        self.cells: dict[tuple[int, int], dict[str, str]] = {}
        self.beside: dict[tuple[int, int, int], list[str]] = {}  # (row, lane, side) -> nodes
        self.extra: dict[int, list[str]] = {}  # row -> statements of the nodes beside lanes
        self.notes: dict[int, list[str]] = {}  # row -> markup for the right-hand column
        self.edges: list[str] = []
        self.flat: set[tuple[str, str]] = set()  # visible edges within a rank, left to right

    def beside_lane(self, row: int, lane: int, side: int, name: str, text: str, fill: bool) -> None:
        """A text node in `row` just left (side -1) or right (side 1) of `lane`; `fill`
        hides the lines passing behind it."""
        self.beside.setdefault((row, lane, side), []).append(name)
        style = "filled" if fill else "solid"
        attrs = _attrs(_PLAIN, height="0.18", style=style, label=_html(text))
        self.extra.setdefault(row, []).append(f"{name} {attrs}")

    def note(self, row: int, markup: str) -> None:
        self.notes.setdefault(row, []).append(markup)

    def step(self, row: int, ev: StepEvent, label: ActionLabel) -> None:
        """The marker of one step on its lane; partitions, heals and node-less steps as notes."""
        names = [self.spec.node_name(n) for n in self.nodes]
        if ev.kind == "partition" and ev.side is not None:
            inside = [n in ev.side for n in self.nodes]
            for i, a in enumerate(inside):
                self.cells[i, row] = _box(_FAULT, _FAULT_FILL, _text("AB"[not a], _FAULT, 9, True))
            a = ", ".join(n for n, x in zip(names, inside) if x)
            b = ", ".join(n for n, x in zip(names, inside) if not x)
            self.note(row, _text(f"partition  A: {a} | B: {b}", _FAULT, 9, True))
        elif ev.kind == "heal":
            self.note(row, _text("heal: partition over", _RECOVERY, 9, True))
        elif ev.node not in self.nodes:
            self.note(row, _text(str(label), _FAULT if label.is_fault else _MUTED, 9))
        elif ev.kind != "drop":  # a loss is drawn by its message
            i = self.nodes.index(ev.node)
            local = show(self.trace.steps[row].state.node[i])
            tooltip = f"{names[i]} after step {row}: {local}"
            self.cells[i, row] = {**_marker(ev, label), "tooltip": tooltip[:300]}

    def arrow(self, k: int, a: _Arrow, violating: bool) -> None:
        """The message's text beside the receiving lane, a line to it, an arrowhead after it."""
        side = -1 if a.origin.lane < a.lane else 1  # the side facing the sender
        colour = _VIOLATION if violating else _FAULT if (a.lost or a.origin.dup) else _MESSAGE
        if a.lost:
            text = _text(f"\u00d7 {a.text} lost", colour, 9, bold=True)
        else:
            text = _text(a.text + (" (dup)" if a.origin.dup else ""), colour, 9, bold=violating)
        self.beside_lane(a.row, a.lane, side, f"m{k}", text, fill=True)
        pen = {"color": colour, "penwidth": "2" if violating else "1"}
        dashed = {"style": "dashed"} if a.lost else {}
        line = _attrs(constraint="false", arrowhead="none", **pen, **dashed)
        self.edges.append(f"{_cell(a.origin.lane, a.origin.row)} -> m{k} {line}")
        if not a.lost:  # a flat edge runs left to right: a head on its left is drawn backwards
            target = _cell(a.lane, a.row)
            pair = (f"m{k}", target) if side < 0 else (target, f"m{k}")
            self.flat.add(pair)
            head = _attrs(**pen, weight="10", dir="forward" if side < 0 else "back")
            self.edges.append(f"{pair[0]} -> {pair[1]} {head}")

    def stub(self, k: int, origin: _Origin, msgs: tuple[Message, ...]) -> None:
        """A short dashed arrow from a send to the messages from it still in flight."""
        groups: dict[str, list[str]] = {}
        for m in msgs:
            groups.setdefault(_message_text(m), []).append(self.spec.node_name(m.dst))
        text = "; ".join(f"{t} \u2192 {', '.join(d)}" for t, d in groups.items())
        side = 1 if self.nodes.index(msgs[0].dst) >= origin.lane else -1
        markup = f'<FONT COLOR="{_MUTED}" POINT-SIZE="8"><I>in flight:</I> {_esc(text)}</FONT>'
        self.beside_lane(origin.row + 1, origin.lane, side, f"x{k}", markup, fill=False)
        attrs = _attrs(constraint="false", style="dashed", color=_MUTED, arrowhead="vee")
        self.edges.append(f"{_cell(origin.lane, origin.row)} -> x{k} {attrs}")

    def highlight(self, ev: StepEvent | None, verdict: str) -> None:
        """The last step in red, and the verdict in its note."""
        lane = self.nodes.index(ev.node) if ev and ev.node in self.nodes else -1
        cell = self.cells.get((lane, self.last))
        if cell and ev and ev.kind != "partition":
            cell.update(color=_VIOLATION, penwidth="2.5")
            if cell["shape"] == "point":
                cell["width"] = "0.14"
        self.note(self.last, _text(verdict, _VIOLATION, 10, bold=True))

    def order(self, row: int) -> list[str]:
        """The nodes of a rank, left to right."""
        names = [f"s{row}"]
        for i in range(len(self.nodes)):
            names += self.beside.get((row, i, -1), [])[::-1]  # the first one nearest
            names.append(_cell(i, row))
            names += self.beside.get((row, i, 1), [])
        return names + [f"n{row}"]

    def number(self, row: int) -> str:
        """The step number at the left; boxed in the fault colour while partitioned."""
        if row > self.last:
            return "[style=invis]"
        colour = _VIOLATION if row == self.last else _MUTED
        label = _html(_text(str(row), colour, 10, bold=row == self.last))
        if getattr(self.trace.steps[row].state, "cut", None) is None:
            return _attrs(_PLAIN, label=label)
        return _attrs(_box(_FAULT, _FAULT_FILL, ""), label=label, tooltip="partitioned")

    def lifeline(self, i: int, row: int) -> str:
        """The style of lane i's lifeline below `row`: dashed while the node is down."""
        state = self.trace.steps[min(max(row, 0), self.last)].state
        if row >= 0 and state.down[i]:
            return f'style=dashed, color="{_FAULT}"'
        return f'color="{_LIFELINE}"'

    def ends(self, top: bool) -> list[str]:
        """The lane names at the top or, lighter, at the bottom, as one pinned rank."""
        end = "h" if top else "f"
        corner = _html(_text("step", _MUTED, 9) if top else " ")
        members = [f"{end}s {_attrs(_PLAIN, label=corner)}"]
        for i, node in enumerate(self.nodes):
            name = _html(_text(self.spec.node_name(node), "" if top else _MUTED, bold=top))
            line, fill = (_INK, "#f1f3f5") if top else ("#ced4da", "white")
            box = _attrs(_BOX, width="0.7", height=_ROW, color=line, fillcolor=fill, label=name)
            members.append(f"{end}{i} {box}")
        members.append(f"{end}n [style=invis]")
        chain = " -> ".join(m.split()[0] for m in members)
        return ["  { rank=same; " + "; ".join(members) + "; }", f"  {chain} [style=invis];"]

    def dot(self, title: str) -> str:
        out = [
            "digraph sequence_chart {",
            "  graph [newrank=true, splines=line, outputorder=edgesfirst, nodesep=0.18,"
            f' ranksep=0.22, fontname="{_FONT}", labelloc=t,'
            f" label=<{_text(title, size=13, bold=True)}>];",
            f'  node [fontname="{_FONT}", fontsize=10, shape=point, width=0.03, label="",'
            f' color="{_LIFELINE}"];',
            f'  edge [fontname="{_FONT}", arrowsize=0.7];',
            *self.ends(top=True),
            *self.ends(top=False),
        ]
        for row in range(self.rows):
            members = [f"s{row} {self.number(row)}"]
            for i in range(len(self.nodes)):
                attrs = self.cells.get((i, row))
                members.append(_cell(i, row) + (f" {_attrs(attrs)}" if attrs else ""))
            members += self.extra.get(row, [])
            notes = self.notes.get(row)
            note = _attrs(_PLAIN, label=_html(_LEFT.join(notes) + _LEFT)) if notes else ""
            members.append(f"n{row} {note or '[style=invis]'}")
            out.append("  { rank=same; " + "; ".join(members) + "; }")
            order = self.order(row)  # pinned by invisible edges, but for the visible ones
            pairs = " ".join(
                f"{a} -> {b};" for a, b in zip(order, order[1:]) if (a, b) not in self.flat
            )
            out.append(f"  {{ edge [style=invis]; {pairs} }}")
        for col in ("s", "n"):
            chain = " -> ".join([f"h{col}", *(f"{col}{r}" for r in range(self.rows)), f"f{col}"])
            out.append(f"  {chain} [style=invis, weight=100];")
        for i in range(len(self.nodes)):
            chain = [f"h{i}", *(_cell(i, r) for r in range(self.rows)), f"f{i}"]
            for row, (a, b) in enumerate(zip(chain, chain[1:]), start=-1):
                out.append(f"  {a} -> {b} [arrowhead=none, weight=100, {self.lifeline(i, row)}];")
        out += [f"  {e};" for e in self.edges]
        return "\n".join([*out, "}", ""])


def sequence_chart(trace: Trace, spec: Protocol, violated: str = "") -> str:
    """A message sequence chart: a lane per node, a row per step, an arrow per delivery.

    Under the `set` network a message delivered twice gets two arrows from its send.
    Messages never delivered within the trace end in a dashed "in flight" stub, lost
    ones in a cross; faults are drawn in the fault colour, the last step in red.
    """
    story = _story(trace, spec, {n: i for i, n in enumerate(spec.node_ids())})
    last = len(trace.steps) - 1
    chart = _Chart(trace, spec, last + 1 + any(o.row == last for o, _ in story.in_flight))
    for origin in [a.origin for a in story.arrows] + [o for o, _ in story.in_flight]:
        if origin.row == 0:
            chart.cells[origin.lane, 0] = {"shape": "point", "width": "0.06", "color": _MESSAGE}
    for row, ev in enumerate(story.events):
        label = trace.steps[row].label
        if ev is not None and label is not None:
            chart.step(row, ev, label)
    for k, a in enumerate(story.arrows):
        chart.arrow(k, a, a.row == last)
    for k, (origin, msgs) in enumerate(story.in_flight):
        chart.stub(k, origin, msgs)
    verdict = _verdict(violated, last)
    chart.highlight(story.events[last], verdict)
    return chart.dot(f"{spec.name}: {verdict}")


# --- step graph ---------------------------------------------------------------------------


def _lines(text: str) -> str:
    """Escaped, left-aligned lines of at most `_WRAP` characters."""
    parts = textwrap.wrap(text, _WRAP, break_on_hyphens=False) or [""]
    return _LEFT.join(_esc(p) for p in parts) + _LEFT


def _change_text(c: Change) -> str:
    if c.is_set_change:
        items = [f"+ {show(v)}" for v in c.added] + [f"- {show(v)}" for v in c.removed]
        return f"{c.path}: " + ", ".join(items)
    return f"{c.path}: {show(c.before)} \u2192 {show(c.after)}"


def step_graph(trace: Trace, violated: str = "") -> str:
    """A chain of boxes, one per state: the whole initial state, then only what each step
    changed, each edge labelled with the step's action; faults in the fault colour and
    the last state in red with the violated property."""
    last = len(trace.steps) - 1
    verdict = _verdict(violated, last)
    out = [
        "digraph steps {",
        f'  graph [rankdir=TB, nodesep=0.3, ranksep=0.3, fontname="{_FONT}", labelloc=t,'
        f" label=<{_text(verdict, size=13, bold=True)}>];",
        f'  node [shape=plaintext, fontname="{_FONT}", fontsize=10];',
        f'  edge [fontname="{_FONT}", fontsize=10, color="{_MUTED}", arrowsize=0.7];',
    ]
    for k, step in enumerate(trace.steps):
        fault = step.label is not None and step.label.is_fault
        colour, fill = (_FAULT, _FAULT_FILL) if fault else (_INK, "white")
        if k == last:
            colour, fill = _VIOLATION, _VIOLATION_FILL
        head = f"step {k}" if k else "initial state"
        if k:
            lines = [_change_text(c) for c in diff(trace.steps[k - 1].state, step.state)]
        elif isinstance(step.state, State):
            lines = [f"{f} = {show(v)}" for f, v in step.state.items()]
        else:
            lines = [show(step.state)]
        if k == last:
            head += f" \u2014 {verdict}" if violated else " (last)"
        rows = [f'<TR><TD ALIGN="LEFT">{_text(head, colour, bold=True)}</TD></TR>']
        rows += [
            f'<TR><TD ALIGN="LEFT" BALIGN="LEFT">{_lines(line)}</TD></TR>'
            for line in lines or ["(no change)"]
        ]
        table = (
            f'<TABLE BORDER="{2 if k == last else 1}" CELLBORDER="0" CELLSPACING="2"'
            f' CELLPADDING="2" STYLE="rounded" COLOR="{colour}" BGCOLOR="{fill}">'
        )
        out.append(f"  s{k} [label=<{table}{''.join(rows)}</TABLE>>];")
        if step.label is not None:
            edge = _VIOLATION if k == last else _FAULT if fault else _MUTED
            label = _text(str(step.label), edge, bold=k == last or fault)
            out.append(f"  s{k - 1} -> s{k} {_attrs(color=edge, label=_html(f' {label} '))};")
    out.append("}")
    return "\n".join(out) + "\n"
