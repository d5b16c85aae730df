"""Every view of a counterexample, written together: text, JSON, diagrams, state graph, HTML.

For a violation with a trace, under the output folder, all written atomically:
`<stem>.txt`, `<stem>.json`, `<stem>.dot`/`.svg` (a message sequence chart for
message-passing specs, a step graph otherwise), `<stem>.state-graph.dot`/`.svg`
(the state graph around the path) and `<stem>.html` (one self-contained page).
Without Graphviz's `dot` the .dot files are still written and the caller is told how
to get the SVGs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checker.engine.result import Stats, Violation
from checker.model import Model
from checker.report.counterexample import to_document
from checker.report.diagrams import trace_diagram
from checker.report.files import write_atomic
from checker.report.html import html_report
from checker.report.render import INSTALL_HINT, render_svg
from checker.report.run import RunInfo
from checker.report.stategraph import Drawing, counterexample_graph, draw_graph, explore
from checker.trace import Trace, replay_labels


@dataclass(frozen=True)
class GraphOptions:
    """How much state graph to draw: at most `max_nodes` states, `radius` around a path."""

    max_nodes: int = 120
    radius: int = 1
    explore_limit: int = 2000
    max_depth: int | None = None  # for --graph: only the states this many steps out


@dataclass
class Written:
    """The files written and anything the user should be told."""

    paths: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def path_states(model: Model, trace: Trace) -> list[Any]:
    """The model states along a trace (with fault counters), by replaying its labels."""
    labels = [(s.label.name, s.label.params) for s in trace.steps[1:]]
    _, states = replay_labels(model, labels, trace.initial)
    return states


def diagram_title(model: Model) -> str:
    from checker.actors import Protocol

    return "Message sequence chart" if isinstance(model.spec, Protocol) else "Steps"


def write_views(
    out: Path,
    run: RunInfo,
    model: Model,
    violation: Violation,
    text: str,
    stats: Stats | None = None,
    graph: GraphOptions = GraphOptions(),
) -> Written:
    """Write every view of `violation` (which must have a trace) under `out`."""
    trace = violation.trace
    assert trace is not None
    stem = run.file_stem(violation.property)
    written = Written()

    def put(suffix: str, content: str) -> None:
        written.paths.append(write_atomic(out / f"{stem}{suffix}", content))

    put(".txt", text if text.endswith("\n") else text + "\n")
    document = to_document(run, violation, out)
    put(".json", json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    chart = trace_diagram(trace, model.spec, violation.property)
    drawing = counterexample_graph(
        model,
        trace,
        path_states(model, trace),
        violation.property,
        graph.explore_limit,
        graph.max_nodes,
        graph.radius,
    )
    put(".dot", chart)
    put(".state-graph.dot", drawing.dot)
    diagrams = []
    chart_svg, graph_svg = render_svg(chart), render_svg(drawing.dot)
    if chart_svg is None or graph_svg is None:
        written.notes.append(INSTALL_HINT)
        for stale in (f"{stem}.svg", f"{stem}.state-graph.svg"):  # from an earlier run
            (out / stale).unlink(missing_ok=True)
    else:
        put(".svg", chart_svg)
        put(".state-graph.svg", graph_svg)
        diagrams = [(diagram_title(model), chart_svg), (f"State graph. {drawing.note}", graph_svg)]
    put(".html", html_report(run, violation, stats, diagrams))
    return written


def write_state_graph(
    out: Path, run: RunInfo, model: Model, graph: GraphOptions = GraphOptions()
) -> Written:
    """For `--graph`: the whole state graph of a spec, if it has at most `max_nodes` states."""
    written = Written()
    depth = graph.max_depth
    recorded = explore(model, graph.max_nodes, depth=depth)
    if not recorded.complete:
        within = f" within {depth} steps" if depth is not None else ""
        written.notes.append(
            f"The state graph has more than {graph.max_nodes} states{within}, too many to "
            "draw legibly; not written. Use smaller parameters or --max-depth, or raise "
            "--graph-limit."
        )
        return written
    drawing: Drawing = draw_graph(recorded, None, "", graph.max_nodes, graph.radius)
    if depth is not None:
        count = len(recorded.states)
        drawing = replace(
            drawing,
            note=f"The states within {depth} step{'s' if depth != 1 else ''} of the "
            f"initial states: {count}.",
        )
    stem = run.file_stem("state-graph")
    written.paths.append(write_atomic(out / f"{stem}.dot", drawing.dot))
    svg = render_svg(drawing.dot)
    if svg is None:
        written.notes.append(INSTALL_HINT)
    else:
        written.paths.append(write_atomic(out / f"{stem}.svg", svg))
    written.notes.append(drawing.note)
    return written
