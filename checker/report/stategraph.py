"""State graphs: the reachable states and steps, with a counterexample path highlighted.

The graph is recorded by the engine (`CheckOptions.graph_limit`) while exploring the
spec without its properties, so it does not stop at the violation. Small spaces are
drawn whole; for larger ones only the neighbourhood of the path is drawn: the states
within `radius` steps of a state on the path (in either direction when the whole space
could be recorded; otherwise the states reachable within `radius` steps from the
path), shrinking the radius until the picture has at most `max_nodes` states. A picture
is never too big to open. Graph work (neighbourhoods, ordering) goes through networkx.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import graphviz

from checker.engine import StateGraph, check
from checker.model import Model
from checker.options import CheckOptions
from checker.report import palette
from checker.report.values import show
from checker.state import State
from checker.trace import Trace

if TYPE_CHECKING:  # networkx takes a fifth of a second to import; only drawings need it
    import networkx as nx

FAULT_COLOUR = palette.FAULT
PATH_COLOUR = palette.MESSAGE
_MAX_LINE = 48
_MAX_LINES = 10


@dataclass(frozen=True)
class Drawing:
    """A state graph ready to render, and a sentence saying what it shows."""

    dot: str
    note: str
    states: int


def explore(
    model: Model,
    limit: int,
    roots: list[Any] | None = None,
    radius: int | None = None,
    depth: int | None = None,
) -> StateGraph:
    """Record up to `limit` states of the spec's graph (or of the roots' neighbourhood,
    `radius` steps out), those within `depth` steps of the start if given."""
    options = CheckOptions(
        graph_limit=limit,
        check_deadlock=False,
        max_depth=radius if roots is not None else depth,
        max_states=limit + 1,
        progress_interval=3600,
    )
    result = check(model.explorer(roots), options)
    assert result.graph is not None
    return result.graph


def to_networkx(graph: StateGraph) -> nx.MultiDiGraph:
    g = _nx().MultiDiGraph()
    for fp, state in graph.states.items():
        g.add_node(fp, state=state, initial=fp in graph.initial)
    for edge in graph.edges:
        g.add_edge(edge.src, edge.dst, label=edge.label)
    return g


def neighbourhood(g: nx.MultiDiGraph, path: Sequence[int], radius: int) -> nx.MultiDiGraph:
    """The states within `radius` steps of the path, either direction, with the path."""
    keep: set[int] = set(path)
    if radius > 0:
        for fp in dict.fromkeys(path):
            if fp in g:
                keep |= set(_nx().ego_graph(g, fp, radius=radius, undirected=True))
    return g.subgraph(keep).copy()


def draw_graph(
    graph: StateGraph,
    trace: Trace | None = None,
    violated: str = "",
    max_nodes: int = 120,
    radius: int = 1,
) -> Drawing:
    """Pick what to draw (all, or the path's neighbourhood) and produce DOT."""
    g = to_networkx(graph)
    path = [s.fingerprint for s in trace.steps] if trace is not None else []
    total = g.number_of_nodes()
    scope = "complete" if graph.complete else "recorded part of the"
    if total <= max_nodes:
        note = f"The {scope} state graph: {total} states."
        return Drawing(_dot(g, trace, violated), note, total)
    r = radius
    sub = neighbourhood(g, path, r)
    while sub.number_of_nodes() > max_nodes and r > 0:
        r -= 1
        sub = neighbourhood(g, path, r)
    if sub.number_of_nodes() > max_nodes:  # a very long path: keep its last states
        sub = neighbourhood(g, path[-max_nodes:], 0)
    shown = sub.number_of_nodes()
    note = (
        f"{shown} of {total}{'' if graph.complete else '+'} states: those within {r} "
        f"step{'s' if r != 1 else ''} of the counterexample path."
    )
    if not path:
        note = f"The state graph has {total} states, more than {max_nodes}; not drawn."
    return Drawing(_dot(sub, trace, violated), note, shown)


def counterexample_graph(
    model: Model,
    trace: Trace,
    path_states: list[Any],
    violated: str = "",
    limit: int = 2000,
    max_nodes: int = 120,
    radius: int = 1,
) -> Drawing:
    """The state graph around a counterexample (`path_states`: the model states on it)."""
    graph = explore(model, limit)
    if not graph.complete:
        graph = explore(model, limit, roots=path_states, radius=radius)
        states = dict(graph.states)  # the path itself always shows
        states.update((s.fingerprint, s.state) for s in trace.steps)
        graph = StateGraph(states, (trace.steps[0].fingerprint,), graph.edges, False)
    return draw_graph(graph, trace, violated, max_nodes, radius)


def _order(g: nx.MultiDiGraph) -> list[int]:
    """States by distance from the initial states, then fingerprint: stable numbering."""
    sources = sorted(n for n, d in g.nodes(data=True) if d.get("initial")) or sorted(g)[:1]
    dist = _nx().multi_source_dijkstra_path_length(g, sources) if sources else {}
    far = len(g) + 1
    return sorted(g, key=lambda n: (dist.get(n, far), n))


def _dot(g: nx.MultiDiGraph, trace: Trace | None, violated: str) -> str:
    order = _order(g)
    number = {fp: i for i, fp in enumerate(order)}
    path = [s.fingerprint for s in trace.steps] if trace is not None else []
    on_path = set(path)
    path_edges = (
        {
            (a.fingerprint, b.fingerprint, str(b.label)): k
            for k, (a, b) in enumerate(zip(trace.steps, trace.steps[1:]), start=1)
        }
        if trace is not None
        else {}
    )
    detailed = len(g) <= 40
    dot = graphviz.Digraph(
        "states",
        graph_attr={
            "rankdir": "TB",
            "fontname": "Helvetica",
            "fontsize": "11",
            "nodesep": "0.35",
            "ranksep": "0.45",
            "bgcolor": "white",
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fillcolor": "white",
            "fontname": "Helvetica",
            "fontsize": "10",
            "color": "#888888",
        },
        edge_attr={
            "fontname": "Helvetica",
            "fontsize": "9",
            "color": "#999999",
            "fontcolor": "#555555",
            "arrowsize": "0.6",
        },
    )
    for fp in order:
        data = g.nodes[fp]
        state = data["state"]
        attrs: dict[str, str] = {"tooltip": graphviz.escape(_clip(show(state), 400))}
        if detailed:
            attrs["label"] = _lines([f"#{number[fp]}"]) + "\\n" + _state_text(state)
        else:
            attrs["label"] = f"#{number[fp]}"
            attrs["shape"] = "circle"
        if data.get("initial"):
            attrs["peripheries"] = "2"
        if fp in on_path:
            attrs.update(color=PATH_COLOUR, penwidth="2", fillcolor=palette.MESSAGE_FILL)
        if path and fp == path[-1]:
            attrs.update(color=palette.VIOLATION, penwidth="3", fillcolor=palette.VIOLATION_FILL)
            if violated:
                attrs["xlabel"] = f"violates {violated}"
                attrs["fontcolor"] = palette.VIOLATION
        dot.node(str(number[fp]), **attrs)
    seen: set[tuple[int, int, str]] = set()
    for src, dst, data in sorted(
        g.edges(data=True), key=lambda e: (number[e[0]], number[e[1]], str(e[2]["label"]))
    ):
        label = data["label"]
        key = (src, dst, str(label))
        if key in seen:
            continue
        seen.add(key)
        text = graphviz.escape(_clip(str(label), 40))
        attrs = {"label": text if detailed else ""}
        if label.is_fault:
            attrs.update(color=FAULT_COLOUR, style="dashed", fontcolor=FAULT_COLOUR)
        if key in path_edges:
            step = path_edges[key]
            attrs.update(
                color=PATH_COLOUR, penwidth="2.5", fontcolor=PATH_COLOUR, label=f"{step}. {text}"
            )
        dot.edge(str(number[src]), str(number[dst]), **attrs)
    return dot.source


def _state_text(state: Any) -> str:
    """Up to ten short lines describing a state, escaped for a DOT label."""
    if isinstance(state, State):
        lines = [f"{k} = {show(v)}" for k, v in state.items()]
    else:
        lines = [show(state)]
    lines = [_clip(line, _MAX_LINE) for line in lines]
    if len(lines) > _MAX_LINES:
        lines = lines[: _MAX_LINES - 1] + [f"... {len(lines) - _MAX_LINES + 1} more"]
    return _lines(lines)


def _lines(lines: list[str]) -> str:
    """DOT label text: each line escaped (backslashes stay literal), joined by newlines."""
    return "\\n".join(graphviz.escape(line) for line in lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _nx() -> Any:
    import networkx

    return networkx
