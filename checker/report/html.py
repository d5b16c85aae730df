"""A counterexample as one self-contained HTML page, to open offline or attach to a bug.

The page holds the violated property and its message, the command that repeats the
run, the trace as a table of changes with each full state folded in a `<details>`,
the diagrams as inline SVG, and the search's counts. CSS and a little script are
inline, and a Content-Security-Policy forbids every fetch, so nothing outside the file
is ever needed or loaded; the script only adds "expand all"/"collapse all" buttons.

Everything that comes from the spec is escaped. The SVG diagrams are trusted markup
(Graphviz output) and are embedded as they are, minus any XML prolog or doctype.
The output depends only on the arguments: the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from html import escape
from typing import Any

from checker.engine.result import ActionCoverage, Stats, Violation, ViolationKind
from checker.report.diff import diff
from checker.report.run import RunInfo
from checker.report.values import show, state_lines
from checker.state import State
from checker.syntax import format_value
from checker.trace import Step, Trace

_CSS = """
:root { --ink: #1f2328; --muted: #656d76; --line: #d8dee4; --soft: #f6f8fa;
  --fault: #9a6700; --fault-bg: #fff8c5; --bad: #cf222e; --bad-bg: #ffebe9;
  --add: #1a7f37; --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px 28px 48px; color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px;
  border-bottom: 1px solid var(--line); }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
.params code { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 7px;
  background: var(--soft); border: 1px solid var(--line); border-radius: 10px; }
.verdict { border-left: 5px solid var(--bad); background: var(--bad-bg);
  padding: 10px 16px; border-radius: 4px; margin-top: 18px; }
.verdict h2 { border: 0; margin: 0; padding: 0; color: var(--bad); }
.verdict h2 code { font-size: 17px; }
.verdict p { margin: 6px 0 0; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 4px;
  padding: 8px 12px; margin: 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.toolbar { float: right; margin-top: -44px; }
button { font: inherit; font-size: 13px; padding: 2px 10px; margin-left: 6px;
  border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 10px;
  border-bottom: 1px solid var(--line); }
thead th { background: var(--soft); font-size: 13px; color: var(--muted); }
.trace td.num { width: 3.5em; text-align: right; color: var(--muted);
  border-left: 4px solid transparent; }
.trace td.num a { color: inherit; text-decoration: none; }
.trace td.action { width: 30%; overflow-wrap: anywhere; }
.trace tr.fault td.num { border-left-color: var(--fault); }
.trace tr.violation td { background: var(--bad-bg); }
.trace tr.violation td.num { border-left-color: var(--bad); }
.trace tr:target td { outline: 2px solid #0969da; outline-offset: -2px; }
.badge { display: inline-block; font: 600 11px/1.6 system-ui, sans-serif; padding: 0 7px;
  border-radius: 9px; margin-left: 6px; text-transform: uppercase; letter-spacing: .03em; }
.badge.fault { color: var(--fault); background: var(--fault-bg); border: 1px solid #d4a72c; }
.badge.bad { color: #fff; background: var(--bad); }
ul.changes { list-style: none; margin: 0; padding: 0; }
ul.changes li { font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.path { color: #0550ae; }
.before { color: var(--muted); }
.after { color: var(--add); font-weight: 600; }
.added { color: var(--add); }
.removed { color: var(--bad); }
.none { color: var(--muted); font-style: italic; }
details { margin-top: 4px; }
summary { cursor: pointer; color: var(--muted); font-size: 12px; }
details pre { margin: 4px 0 0; }
pre .hl { background: #fff1b8; }
figure { margin: 0 0 24px; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.diagram { overflow-x: auto; border: 1px solid var(--line); border-radius: 4px; padding: 8px; }
.diagram svg { max-width: 100%; height: auto; }
dl.stats { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.stats dt { color: var(--muted); }
dl.stats dd { margin: 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 12px; }
  .toolbar { display: none; }
  tr, figure { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

# No `<` or `&` here, so the page stays well-formed XML (tests parse it as such).
_SCRIPT = """
document.querySelectorAll("[data-open]").forEach(function (button) {
  button.addEventListener("click", function () {
    var open = button.dataset.open === "1";
    document.querySelectorAll("details.state").forEach(function (d) { d.open = open; });
  });
});
document.getElementById("toolbar").hidden = false;
"""

_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
# Nothing may be fetched, and only the script above may run.
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'"
)

_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE(?:[^>\[]|\[[^\]]*\])*>", re.IGNORECASE | re.DOTALL)


def html_report(
    run: RunInfo,
    violation: Violation,
    stats: Stats | None = None,
    diagrams: Sequence[tuple[str, str]] = (),
) -> str:
    """One self-contained HTML page: title (spec, parameters), the violated property with
    its message ("the values that broke it"), the exact command that reproduces the run
    (run.command()), a trace table (step number, action label, fault marker, the changed
    fields as `path: before -> after`, and an expandable full state per step using
    <details>), then each diagram (title, inline SVG text) embedded inline, and the stats
    summary if given.

    `diagrams` are `(title, svg)` pairs; the SVG is trusted and inserted unescaped.
    """
    title = f"{run.spec_name}: {_headline(violation)}"
    params = "".join(f"<code>{escape(f'{k}={format_value(v)}')}</code>" for k, v in run.params)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"/>',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}"/>',
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{escape(run.spec_name)}</h1>",
        f'<div class="params">{params}</div></header>' if params else "</header>",
        '<section class="verdict">',
        f"<h2>{_headline(violation, markup=True)}</h2>",
        f"<p>{escape(violation.message)}</p>" if violation.message else "",
        "</section>",
        "<section><h2>Reproduce</h2>",
        f'<pre class="command"><code>{escape(run.command())}</code></pre></section>',
    ]
    parts += _trace_section(violation)
    if diagrams:
        parts.append("<section><h2>Diagrams</h2>")
        for name, svg in diagrams:
            parts.append(f"<figure><figcaption>{escape(name)}</figcaption>")
            parts.append(f'<div class="diagram">{_PROLOG.sub("", svg).strip()}</div></figure>')
        parts.append("</section>")
    if stats is not None:
        parts += _stats_section(stats)
    parts.append(f"<script>{_SCRIPT}</script></body></html>\n")
    return "\n".join(p for p in parts if p)


def _headline(violation: Violation, markup: bool = False) -> str:
    """`Invariant agreement is violated`, as text or (escaped) markup."""
    kind = violation.kind
    name = f"<code>{escape(violation.property)}</code>" if markup else violation.property
    if kind is ViolationKind.DEADLOCK:
        return "Deadlock"
    if kind is ViolationKind.REACHABLE:
        return f"Reachable {name} is never reached"
    return f"{kind.value.capitalize()} {name} is violated"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _trace_section(violation: Violation) -> list[str]:
    trace = violation.trace
    if trace is None:
        why = "no reachable state satisfies it, so there is no path to show"
        if violation.kind is not ViolationKind.REACHABLE:
            why = "the search recorded no path for this violation"
        return [f'<section><h2>Trace</h2><p class="none">No trace: {why}.</p></section>']
    faults = sum(1 for s in trace.steps if s.label is not None and s.label.is_fault)
    summary = _plural(len(trace), "step") + (f", {_plural(faults, 'fault')}" if faults else "")
    if trace.initial:
        summary += f", from initial state {trace.initial}"
    parts = [
        f'<section><h2>Trace <small class="none">({escape(summary)})</small></h2>',
        '<div id="toolbar" class="toolbar" hidden="">'
        '<button type="button" data-open="1">Expand all</button>'
        '<button type="button" data-open="0">Collapse all</button></div>',
        '<table class="trace"><thead><tr><th>#</th><th>Action</th><th>Changes</th></tr></thead>',
        "<tbody>",
    ]
    parts += [_row(k, trace, violation) for k in range(len(trace.steps))]
    parts.append("</tbody></table>")
    if violation.kind is ViolationKind.DEADLOCK:
        parts.append(
            '<p class="none">No step but faults is enabled in the last state, '
            "and it is not terminal.</p>"
        )
    parts.append("</section>")
    return parts


def _row(k: int, trace: Trace, violation: Violation) -> str:
    step = trace.steps[k]
    classes = ["step"]
    badges = ""
    if step.label is not None and step.label.is_fault:
        classes.append("fault")
        badges += '<span class="badge fault">fault</span>'
    if k == len(trace.steps) - 1:
        classes.append("violation")
        word = "deadlock" if violation.kind is ViolationKind.DEADLOCK else "violation"
        badges += f'<span class="badge bad" title="{escape(_headline(violation))}">{word}</span>'
    if step.label is None:
        action = '<span class="none">initial state</span>'
        changes, changed = "", None
    else:
        action = f'<code class="label">{escape(str(step.label))}</code>'
        changes, changed = _changes(trace.steps[k - 1], step)
    open_ = ' open=""' if k == 0 else ""
    state = (
        f'<details class="state"{open_}><summary>full state</summary>'
        f"<pre>{_state_text(step.state, changed)}</pre></details>"
    )
    return (
        f'<tr id="step-{k}" class="{" ".join(classes)}">'
        f'<td class="num"><a href="#step-{k}">{k}</a></td>'
        f'<td class="action">{action}{badges}</td><td class="changes">{changes}{state}</td></tr>'
    )


def _changes(prev: Step, step: Step) -> tuple[str, set[str]]:
    """The changes as list items, and the changed paths (to mark them in the full state)."""
    items = []
    found = diff(prev.state, step.state)
    for c in found:
        path = f'<span class="path">{escape(c.path)}</span>: '
        if c.is_set_change:
            items += [f'<li>{path}<span class="added">+ {_v(v)}</span></li>' for v in c.added]
            items += [f'<li>{path}<span class="removed">- {_v(v)}</span></li>' for v in c.removed]
        else:
            items.append(
                f'<li>{path}<span class="before">{_v(c.before)}</span> -&gt; '
                f'<span class="after">{_v(c.after)}</span></li>'
            )
    if not items:
        return '<span class="none">(no change)</span>', set()
    return '<ul class="changes">' + "".join(items) + "</ul>", {c.path for c in found}


def _v(value: Any) -> str:
    return escape(show(value))


def _state_text(state: Any, changed: set[str] | None) -> str:
    """The full state, one field (or record of a tuple of records) a line, as text.

    Lines holding something that changed in this step are marked.
    """
    out = []
    for key, text in state_lines(state):
        line = escape(f"{key} = {text}" if isinstance(state, State) else text)
        hit = bool(changed) and (
            not isinstance(state, State)
            or any(p == key or p.startswith((key + ".", key + "[")) for p in changed)
        )
        out.append(f'<span class="hl">{line}</span>' if hit else line)
    return "\n".join(out)


def _stats_section(stats: Stats) -> list[str]:
    def name(c: ActionCoverage) -> str:
        return f"{c.name} (fault)" if c.is_fault else c.name

    rows = [
        ("States", f"{stats.distinct:,} distinct, {stats.generated:,} generated"),
        ("Depth", str(stats.depth)),
        ("Time", f"{stats.elapsed:.2f} s ({stats.states_per_second:,.0f} states/s)"),
        ("Unexplored", f"{stats.queue:,} states left in the queue" if stats.queue else ""),
        ("Coverage", ", ".join(f"{name(c)} {c.fired:,}" for c in stats.coverage if c.fired)),
        ("Not fired before the stop", ", ".join(name(c) for c in stats.coverage if not c.fired)),
        ("Witnessed", ", ".join(stats.witnessed)),
        (
            "Collisions",
            "none possible: exact mode keeps whole states"
            if stats.exact
            else f"{stats.collision_probability:.1e} probability of a fingerprint "
            "collision (optimistic estimate, as TLC computes it)",
        ),
    ]
    body = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows if v)
    return ["<section><h2>Search</h2>", f'<dl class="stats">{body}</dl>', "</section>"]
