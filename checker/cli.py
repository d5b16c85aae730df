"""The `check` command: click wiring only.

    check list                          the catalogue
    check SPEC [--nodes N] [--faults F] explore a spec (catalogue name, file.py, module:Class)
    check show FILE.json                replay and re-render a saved counterexample

Exit codes: 0 holds, 1 violated, 2 usage error, 3 incomplete, 4 the spec is broken.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from checker.engine import Verdict, check
from checker.engine.result import Violation, ViolationKind
from checker.loader import LoadError, SpecSource, build, catalogue, resolve
from checker.model import SpecRuntimeError, compile_spec
from checker.network import NETWORKS
from checker.options import FLAG_PARAMS, CheckOptions, Strategy
from checker.report.counterexample import CounterexampleFileError, read_counterexample
from checker.report.diagrams import trace_diagram
from checker.report.html import html_report
from checker.report.render import INSTALL_HINT, render_svg
from checker.report.run import RunInfo
from checker.report.text import format_progress, format_result, format_trace
from checker.report.views import (
    GraphOptions,
    Written,
    diagram_title,
    write_state_graph,
    write_views,
)
from checker.spec import Spec, SpecDefinitionError
from checker.syntax import SyntaxProblem, parse_value
from checker.trace import ReplayError, confirm_violation, replay_labels

EXIT_SPEC_BROKEN = 4
_BUILTIN = ("list", "show")


class _SpecGroup(click.Group):
    """Subcommands `list` and `show`; any other name is a spec to check."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _BUILTIN:
            return super().get_command(ctx, cmd_name)
        try:
            source = resolve(cmd_name)
        except LoadError as err:
            raise click.UsageError(str(err), ctx) from None
        except SpecDefinitionError as err:
            _fail(f"spec {cmd_name} is broken: {err}", EXIT_SPEC_BROKEN)
        return _spec_command(source)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        # let a spec name that looks like an option-less path through unchanged
        cmd_name = args[0]
        return cmd_name, self.get_command(ctx, cmd_name), args[1:]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_commands(ctx, formatter)
        with formatter.section("Specs"):
            formatter.write_text(
                "check SPEC [OPTIONS]: SPEC is a catalogue name (see `check list`), a file "
                "my_spec.py[:Class], or module:Class. `check SPEC --help` lists its parameters."
            )


@click.group(cls=_SpecGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="checker")
def main() -> None:
    """Explicit-state model checker for distributed protocols written in Python.

    Exit codes: 0 every property holds, 1 a property is violated, 2 usage error,
    3 incomplete (a limit or an interrupt), 4 the spec itself is broken.
    """


@main.command("list")
def list_command() -> None:
    """List the catalogue: specs, variants, parameters and expected verdicts."""
    entries = catalogue()
    if not entries:
        click.echo("The catalogue package `specs` is not installed.")
        return
    width = max(len(e.name) for e in entries)
    family = None
    for e in entries:
        if e.family != family:
            family = e.family
            click.echo(f"\n{family}")
        params = ", ".join(
            f"{k}={v!r}" for k, v in e.spec.default_params().items() if k not in e.fixed
        )
        click.echo(f"  {e.name:<{width}}  {e.summary}")
        click.echo(f"  {'':<{width}}  parameters: {params or 'none'}")
        for x in e.expectations:
            click.echo(f"  {'':<{width}}  expect {x.describe()}")


@main.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "svg", "html", "dot"]),
    default="text",
    show_default=True,
    help="text: the numbered trace; dot/svg: the sequence chart or step graph; "
    "html: the self-contained report. Printed to stdout.",
)
def show_command(file: Path, fmt: str) -> None:
    """Replay a saved counterexample against the current spec, then render it.

    Exit 1 when the violation is confirmed (it still happens), 2 when the file is
    unreadable or stale (the current spec no longer allows that path or violation).
    """
    try:
        saved = read_counterexample(file)
        source = resolve(saved.spec_ref, base=file.parent)
        model = compile_spec(build(source, dict(saved.params)))
    except (CounterexampleFileError, LoadError) as err:
        raise click.UsageError(str(err), click.get_current_context(silent=True)) from None
    except (SpecDefinitionError, SpecRuntimeError) as err:
        _fail(f"spec {saved.spec_ref} is broken: {err}", EXIT_SPEC_BROKEN)
    try:
        trace, states = replay_labels(model, saved.labels, saved.initial)
        still = confirm_violation(model, states, saved.kind, saved.property)
    except (ReplayError, SpecRuntimeError) as err:
        _fail(f"{file} is stale: it no longer replays against the current spec: {err}", 2)
    if still is None:
        _fail(
            f"{file} is stale: it replays, but its last state no longer violates {saved.property}",
            2,
        )
    violation = Violation(saved.property, ViolationKind(saved.kind), still or saved.message, trace)
    if fmt != "text":
        run = RunInfo(saved.spec_name, saved.spec_ref, saved.params)
        click.echo(_render(fmt, run, model, violation), nl=False)
        sys.exit(1)  # the violation is confirmed
    drift = [
        k
        for k, (step, fp) in enumerate(zip(trace.steps, saved.fingerprints))
        if step.fingerprint != fp
    ]
    click.echo(f"{saved.spec_name}  " + RunInfo("", "", saved.params).params_text())
    click.echo(f"Replayed {len(trace)} steps: {saved.kind} `{saved.property}` is still violated")
    if violation.message:
        click.echo(f"  {violation.message}")
    if drift:
        click.echo(
            f"  note: states differ from the saved ones from step {drift[0]} on "
            "(the spec's state layout changed); the path itself still replays"
        )
    for line in format_trace(trace):
        click.echo(line)
    sys.exit(1)  # the violation is confirmed


def _render(fmt: str, run: RunInfo, model: Any, violation: Violation) -> str:
    assert violation.trace is not None
    chart = trace_diagram(violation.trace, model.spec, violation.property)
    if fmt == "dot":
        return chart
    svg = render_svg(chart)
    if fmt == "svg":
        if svg is None:
            _fail(INSTALL_HINT.replace("only the .dot files were written", "no SVG"), 2)
        return svg
    diagrams = [(diagram_title(model), svg)] if svg is not None else []
    return html_report(run, violation, None, diagrams)


_COMMON_OPTIONS = [
    click.Option(
        ["--nodes", "-n"],
        type=click.IntRange(min=0),
        default=None,
        help="Number of nodes/processes (the spec's `nodes` parameter).",
    ),
    click.Option(
        ["--faults", "-f"],
        type=click.IntRange(min=0),
        default=None,
        help="How many faults may happen (the spec's `faults` budget).",
    ),
    click.Option(
        ["--network"],
        type=click.Choice(NETWORKS),
        default=None,
        help="Message semantics of a message-passing spec: set (TLA+ style: a message "
        "stays, so it may be lost, duplicated or reordered), unordered, or fifo.",
    ),
    click.Option(
        ["--drop"],
        type=click.IntRange(min=0),
        default=None,
        metavar="K",
        help="Up to K messages may be lost (unordered and fifo networks).",
    ),
    click.Option(
        ["--duplicate"],
        type=click.IntRange(min=0),
        default=None,
        metavar="K",
        help="Up to K messages may be duplicated (unordered and fifo networks).",
    ),
    click.Option(
        ["--partitions"],
        type=click.IntRange(min=0),
        default=None,
        metavar="K",
        help="Up to K times the network splits in two; each split may later heal.",
    ),
    click.Option(
        ["--param", "-p", "params"],
        multiple=True,
        metavar="KEY=VALUE",
        help="Set any spec parameter, e.g. --param values=3 (repeatable).",
    ),
    click.Option(
        ["--strategy"],
        type=click.Choice([s.value for s in Strategy]),
        default="bfs",
        show_default=True,
        help="bfs finds shortest counterexamples; dfs uses less memory for the queue.",
    ),
    click.Option(
        ["--max-depth"],
        type=click.IntRange(min=0),
        default=None,
        help="Explore paths of at most this many steps (incomplete if it cuts).",
    ),
    click.Option(
        ["--max-states"],
        type=click.IntRange(min=1),
        default=None,
        help="Stop after this many distinct states (incomplete if it cuts).",
    ),
    click.Option(
        ["--time-limit"],
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        metavar="SECONDS",
        help="Stop after this long (incomplete if it cuts).",
    ),
    click.Option(
        ["--symmetry"],
        is_flag=True,
        help="Count states that differ only by renaming interchangeable nodes once "
        "(specs that define permute).",
    ),
    click.Option(
        ["--symmetry-check"],
        is_flag=True,
        help="Check the spec's symmetry: explore unreduced, count the symmetry classes, "
        "and compare with a --symmetry run (use a small instance).",
    ),
    click.Option(
        ["--exact"],
        is_flag=True,
        help="Keep whole states in the visited set (no fingerprint collisions, more memory). "
        "By default whole states are kept until the search holds a quarter of the machine's "
        "memory, then 64-bit fingerprints.",
    ),
    click.Option(
        ["--fingerprints"],
        is_flag=True,
        help="Key the visited set by 64-bit fingerprints from the start (least memory).",
    ),
    click.Option(
        ["--workers"],
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="Processes for a BFS search (default: all cores when, a second in, a state "
        "costs 15 us or more to expand, the next level holds 0.25 s of work and workers "
        "are predicted to be 1.45x faster; else 1).",
    ),
    click.Option(
        ["--deadlock/--no-deadlock"],
        default=True,
        show_default=True,
        help="Report states with no enabled step that are not declared terminal.",
    ),
    click.Option(
        ["--graph"],
        is_flag=True,
        help="Also draw the whole state graph (small spaces only; see --graph-limit).",
    ),
    click.Option(
        ["--graph-limit"],
        type=click.IntRange(min=1),
        default=120,
        show_default=True,
        metavar="N",
        help="Draw at most N states in a state graph; larger spaces get the path's neighbourhood.",
    ),
    click.Option(
        ["--radius"],
        type=click.IntRange(min=0),
        default=1,
        show_default=True,
        metavar="R",
        help="Around a counterexample, draw the states within R steps of its path.",
    ),
    click.Option(
        ["--out"],
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("counterexamples"),
        show_default=True,
        help="Folder for counterexample files.",
    ),
    click.Option(
        ["--progress-interval"],
        type=click.FloatRange(min=0.1),
        default=3.0,
        show_default=True,
        metavar="SECONDS",
        help="Seconds between progress lines.",
    ),
]
_RESERVED = {o.name for o in _COMMON_OPTIONS} | {"help"}
# why a spec may lack the parameter a flag sets (the flags are shown only when it has it)
_WHY_NOT = {
    "nodes": "it has no `nodes` parameter",
    "faults": "it has no fault model (no `faults` parameter)",
}


def _spec_command(source: SpecSource) -> click.Command:
    spec_params = [p for p in source.parameters() if p.name not in FLAG_PARAMS]
    takes = {p.name for p in source.cls.spec_info().params}
    # flags for parameters this spec lacks are not shown (but are refused clearly)
    common = [
        o if o.name not in FLAG_PARAMS or o.name in takes or o.name in _WHY_NOT else _hidden(o)
        for o in _COMMON_OPTIONS
    ]
    extra = [
        click.Option(
            [f"--{p.name.replace('_', '-')}", p.name],
            default=None,
            metavar="VALUE",
            help=f"Spec parameter {p.name} (default {p.default!r}).",
        )
        for p in spec_params
        if p.name not in _RESERVED
    ]
    lines = [source.summary or f"Check the spec {source.name}."]
    defaults = source.cls.default_params()
    described = ", ".join(_describe(p, defaults) for p in source.parameters()) or "none"
    lines.append(f"\b\nParameters of {source.name}: {described}")

    def run(**kwargs: Any) -> None:
        _run_spec(source, kwargs, [p.name for p in spec_params if p.name not in _RESERVED])

    return click.Command(
        source.ref,
        params=common + extra,
        callback=run,
        help="\n\n".join(lines),
        no_args_is_help=False,
    )


def _hidden(option: click.Option) -> click.Option:
    """A copy of `option` left out of --help (it is accepted, then refused by name)."""
    copy = click.Option(option.opts, type=option.type, default=None, hidden=True)
    copy.name = option.name
    return copy


def _describe(p: inspect.Parameter, defaults: dict[str, Any]) -> str:
    value = defaults.get(p.name, p.default)
    return p.name if value is inspect.Parameter.empty else f"{p.name}={value!r}"


def _run_spec(source: SpecSource, kw: dict[str, Any], generated: list[str]) -> None:
    given: dict[str, Any] = {}
    takes = {p.name for p in source.cls.spec_info().params}
    for key in FLAG_PARAMS:
        if kw.get(key) is None:
            continue
        if key not in takes:
            why = _WHY_NOT.get(
                key,
                "it is not a message-passing spec (--network, --drop, --duplicate and "
                "--partitions apply to specs written with checker.actors, such as echo "
                "and paxos)",
            )
            raise click.UsageError(f"{source.name} does not take --{key}: {why}")
        given[key] = kw[key]
    try:
        for item in kw["params"]:
            key, sep, text = item.partition("=")
            if not sep or not key.strip():
                raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--param")
            given[key.strip()] = parse_value(text)
        for name in generated:
            if kw[name] is not None:
                given[name] = parse_value(kw[name])
        spec = build(source, given)
    except SyntaxProblem as err:
        raise click.UsageError(str(err), click.get_current_context(silent=True)) from None
    except LoadError as err:
        raise click.UsageError(str(err), click.get_current_context(silent=True)) from None
    except SpecDefinitionError as err:
        _fail(f"spec {source.name} is broken: {err}", EXIT_SPEC_BROKEN)
    try:
        model = compile_spec(spec)
    except SpecDefinitionError as err:
        _fail(f"spec {source.name} is broken: {err}", EXIT_SPEC_BROKEN)
    except SpecRuntimeError as err:
        _fail(f"spec {source.name} is broken: {err}", EXIT_SPEC_BROKEN)
    options = CheckOptions(
        strategy=Strategy(kw["strategy"]),
        max_depth=kw["max_depth"],
        max_states=kw["max_states"],
        time_limit=kw["time_limit"],
        check_deadlock=kw["deadlock"],
        exact=True if kw["exact"] else (False if kw["fingerprints"] else None),
        symmetry="on" if kw["symmetry"] else "off",
        progress_interval=kw["progress_interval"],
        workers=kw["workers"],
    )
    if (kw["symmetry"] or kw["symmetry_check"]) and type(spec).permute is Spec.permute:
        raise click.UsageError(
            f"{source.name} declares no symmetry (it defines no permute); drop --symmetry"
        )
    if kw["symmetry_check"]:
        _symmetry_check(model, options)
    params = tuple(spec.describe_params().items())
    defaults = source.cls.default_params()
    changed = tuple(k for k, v in params if defaults.get(k) != v)
    run = RunInfo(source.name, source.ref, params, options, changed)
    click.echo(f"Checking {source.name}  {run.params_text()}  ({options.strategy.value})", err=True)
    result = check(model, options, observer=lambda p: click.echo(format_progress(p), err=True))
    lines = format_result(result, run)
    text = "\n".join(lines)
    click.echo(text)
    graph = GraphOptions(
        max_nodes=kw["graph_limit"], radius=kw["radius"], max_depth=kw["max_depth"]
    )
    if result.verdict is Verdict.VIOLATED and result.violation is not None:
        if result.violation.trace is not None:
            _save(
                lambda: write_views(
                    kw["out"], run, model, result.violation, text, result.stats, graph
                ),
                "the counterexample",
            )
    if kw["graph"]:
        _save(lambda: write_state_graph(kw["out"], run, model, graph), "the state graph")
    # Leave the search's objects to the operating system: collecting them at exit takes
    # longer than a small search (1.4 s after paxos-lamport with ballots=3).
    gc.freeze()
    sys.exit(result.exit_code)


def _symmetry_check(model: Any, options: CheckOptions) -> NoReturn:
    """Compare the symmetry classes of the unreduced space with a reduced run."""
    plain = dataclasses.replace(options, symmetry="count", check_deadlock=False)
    reduced = dataclasses.replace(options, symmetry="on", check_deadlock=False)
    full = check(model.explorer(), plain)
    small = check(model.explorer(), reduced)
    if full.verdict is not Verdict.HOLDS or small.verdict is not Verdict.HOLDS:
        reason = full.incomplete_reason or small.incomplete_reason or (full.error or small.error)
        _fail(f"symmetry check could not finish: {reason}", 3 if reason else EXIT_SPEC_BROKEN)
    orbits = full.stats.orbits
    click.echo(
        f"Unreduced: {full.stats.distinct:,} states in {orbits:,} symmetry classes; "
        f"reduced run: {small.stats.distinct:,} states"
    )
    if orbits != small.stats.distinct:
        _fail(
            "SYMMETRY CHECK FAILED: the reduced run should find exactly one state per "
            "class; permute is not a symmetry of this spec",
            1,
        )
    click.echo("Symmetry check passed: permute is consistent with the transitions")
    sys.exit(0)


def _save(write: Callable[[], Written], what: str) -> None:
    try:
        written = write()
    except OSError as err:
        click.echo(f"Could not write {what}: {err}", err=True)
        return
    if written.paths:
        click.echo(f"Wrote {what}: " + ", ".join(str(p) for p in written.paths))
    json_files = [p for p in written.paths if p.suffix == ".json"]
    if json_files:
        click.echo(f"Replay it with: check show {json_files[0]}")
    for note in written.notes:
        click.echo(note, err=True)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)
