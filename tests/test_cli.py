"""The `check` command through click's CliRunner: verdicts, exit codes, files, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write_spec(path: Path, body: str) -> Path:
    path.write_text(textwrap.dedent(body))
    return path


COUNTER = """
    from checker import Spec, State, action, invariant, terminal

    class Counter(Spec):
        '''Counts up to a limit.'''
        def __init__(self, nodes: int = 2, limit: int = 3):
            self.nodes = nodes
            self.limit = limit
        def init_states(self):
            yield State(n=0)
        @action()
        def inc(self, s):
            return s.set(n=s.n + 1) if s.n < self.limit else None
        @terminal
        def at_limit(self, s):
            return s.n == self.limit
        @invariant
        def small(self, s):
            return s.n <= 5
"""


def test_list_shows_every_entry_and_its_expectations():
    result = run("list")
    assert result.exit_code == 0
    for name in ("lock-register", "cas-register", "lockless-register", "lockless-register-recheck"):
        assert name in result.output
    assert "violates agreement (8 steps)" in result.output
    assert "--faults 1: violates deadlock (2 steps)" in result.output


def test_holding_spec_exits_0_with_stats():
    result = run("cas-register", "--nodes", "3", "--faults", "1")
    assert result.exit_code == 0
    assert "HOLDS" in result.output
    assert "28 distinct" in result.output
    assert "depth 4" in result.output
    assert "Visited set: exact" in result.output  # small: whole states, by default
    assert not Path("counterexamples").exists()
    result = run("cas-register", "--nodes", "3", "--faults", "1", "--fingerprints")
    assert "28 distinct" in result.output
    assert "collision probability" in result.output


def test_violation_exits_1_and_writes_files_once_per_configuration():
    result = run("lockless-register", "--nodes", "2")
    assert result.exit_code == 1
    assert "VIOLATED: invariant `agreement`" in result.output
    assert "Counterexample (8 steps)" in result.output
    files = sorted(p.name for p in Path("counterexamples").iterdir())
    stem = "lockless-register-agreement"
    suffixes = [".txt", ".json", ".dot", ".state-graph.dot", ".html"]
    if shutil.which("dot"):
        suffixes += [".svg", ".state-graph.svg"]
    assert files == sorted(stem + suffix for suffix in suffixes)
    files = [f"{stem}.json", f"{stem}.txt"]  # a default given explicitly names nothing
    doc = json.loads(Path("counterexamples", files[0]).read_text())
    assert doc["schema"] == "checker.counterexample" and doc["version"] == 1
    assert doc["spec"] == {
        "name": "lockless-register",
        "ref": "lockless-register",
        "params": {"nodes": "2", "faults": "0"},
    }
    assert doc["violation"]["property"] == "agreement"
    assert doc["violation"]["length"] == 8
    assert len(doc["steps"]) == 9 and doc["steps"][0]["label"] is None
    assert doc["command"] == "check lockless-register"
    text = Path("counterexamples", files[1]).read_text()
    assert "8. write_X" in text
    run("lockless-register", "--nodes", "2")
    assert len(list(Path("counterexamples").iterdir())) == len(suffixes)


def test_graph_flag_draws_small_state_graphs_and_refuses_big_ones():
    result = run("cas-register", "--nodes", "2", "--graph")
    assert result.exit_code == 0
    assert (Path("counterexamples") / "cas-register-state-graph.dot").exists()
    assert "The complete state graph: 5 states." in result.output
    big = run(
        "lockless-register-recheck",
        "--nodes",
        "3",
        "--graph",
        "--no-deadlock",
        "--graph-limit",
        "50",
    )
    assert "more than 50 states, too many to draw" in big.output


def test_graph_with_max_depth_draws_the_first_steps_of_a_big_space():
    result = run("paxos", "--nodes", "3", "--graph", "--max-depth", "3")
    assert result.exit_code == 3  # the search itself is cut by the bound
    assert "The states within 3 steps of the initial states: 28." in result.output
    dot = (Path("counterexamples") / "paxos-state-graph.dot").read_text()
    assert dot.count("label=") >= 28
    too_deep = run("paxos", "--nodes", "3", "--graph", "--max-depth", "9")
    assert "more than 120 states within 9 steps" in too_deep.output


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_show_renders_svg_html_and_dot():
    run("echo", "--duplicate", "1")
    saved = str(next(Path("counterexamples").glob("*.json")))
    for fmt, head in (("svg", "<svg"), ("dot", "digraph"), ("html", "<!DOCTYPE html>")):
        result = run("show", saved, "--format", fmt)
        assert result.exit_code == 1  # the violation is confirmed
        assert head in result.stdout[:300]


def test_without_graphviz_the_dot_files_are_still_written(monkeypatch):
    monkeypatch.setattr("checker.report.render.dot_available", lambda: False)
    result = run("lockless-register")
    assert result.exit_code == 1
    names = {p.name for p in Path("counterexamples").iterdir()}
    assert "lockless-register-agreement.dot" in names
    assert "lockless-register-agreement.state-graph.dot" in names
    assert not any(name.endswith(".svg") for name in names)
    assert "apt-get install graphviz" in result.output


def test_out_option_redirects_files(tmp_path):
    out = tmp_path / "elsewhere"
    assert run("lockless-register", "--out", str(out)).exit_code == 1
    assert len(list(out.glob("*.json"))) == 1


def test_lock_register_crash_is_a_deadlock():
    result = run("lock-register", "--nodes", "2", "--faults", "1")
    assert result.exit_code == 1
    assert "VIOLATED: deadlock" in result.output
    assert "crash(p=0)  [fault]" in result.output
    assert "P1 waits at 'acquire' forever" in result.output


def test_show_replays_a_saved_counterexample():
    run("lockless-register-recheck", "--nodes", "2")
    saved = next(Path("counterexamples").glob("*.json"))
    result = run("show", str(saved))
    assert result.exit_code == 1  # the violation is confirmed
    assert "Replayed 10 steps: invariant `agreement` is still violated" in result.output
    assert "10. write_X" in result.output


def test_show_refuses_a_trace_the_spec_no_longer_allows():
    run("lockless-register", "--nodes", "2")
    saved = next(Path("counterexamples").glob("*.json"))
    doc = json.loads(saved.read_text())
    doc["steps"][3]["label"] = "write_X(p=1)"
    saved.write_text(json.dumps(doc))
    result = run("show", str(saved))
    assert result.exit_code == 2
    assert "is stale: it no longer replays" in result.output
    assert "step 3: write_X(p=1) is not enabled" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not a JSON counterexample file"),
        ('{"schema": "other"}', "is not a counterexample file"),
        ('{"schema": "checker.counterexample", "version": 99}', "schema version 99"),
        ('{"schema": "checker.counterexample", "version": 1}', "is damaged"),
    ],
)
def test_show_rejects_bad_files_with_exit_2(content, message):
    Path("bad.json").write_text(content)
    result = run("show", "bad.json")
    assert result.exit_code == 2
    assert message in result.output


def test_user_spec_file_and_generated_options(tmp_path):
    write_spec(tmp_path / "counter.py", COUNTER)
    result = run("counter.py", "--limit", "4")
    assert result.exit_code == 0, result.output
    assert "5 distinct" in result.output
    result = run("counter.py:Counter", "--param", "limit=7")
    assert result.exit_code == 1
    assert "invariant `small`" in result.output
    help_text = run("counter.py", "--help").output
    assert "limit=3" in help_text and "--limit" in help_text


def test_module_class_form():
    result = run("specs.registers:CasRegister", "--nodes", "2")
    assert result.exit_code == 0
    assert "5 distinct" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchspec"], "unknown spec 'nosuchspec'"),
        (["missing.py"], "does not exist"),
        (["cas-register", "--param", "colour=3"], "has no parameter 'colour'"),
        (["cas-register", "--param", "nodes"], "is not KEY=VALUE"),
        (["cas-register", "--param", "nodes=(1,"], "cannot read value"),
        (["cas-register", "--param", "nodes=many"], "takes a whole number"),
        (["cas-register", "--nodes", "-1"], "-1 is not in the range"),
        (["cas-register", "--nodes", "0"], "nodes must be at least 1"),
        (["cas-register", "--strategy", "sideways"], "Invalid value for '--strategy'"),
        (["echo", "--network", "carrier-pigeon"], "Invalid value for '--network'"),
        (["cas-register", "--drop", "1"], "cas-register does not take --drop: it is not a"),
        (["cas-register", "--network", "fifo"], "apply to specs written with checker.actors"),
        (["paxos-lamport", "--faults", "1"], "paxos-lamport does not take --faults"),
        (["echo", "--network", "set", "--drop", "1"], "set network already loses"),
        (["echo", "--partitions", "-2"], "-2 is not in the range"),
    ],
)
def test_bad_input_is_a_usage_error(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_network_flags_are_not_shown_for_shared_memory_specs():
    assert "--drop" not in run("cas-register", "--help").output
    assert "--drop" in run("echo", "--help").output


def test_limits_make_the_run_incomplete():
    result = run("lockless-register-recheck", "--nodes", "3", "--faults", "1", "--max-states", "20")
    assert result.exit_code == 3
    assert "INCOMPLETE: state limit of 20 distinct states reached" in result.output
    assert "HOLDS" not in result.output


def test_broken_specs_exit_4(tmp_path):
    write_spec(
        tmp_path / "boom.py",
        """
        from checker import Spec, State, action

        class Boom(Spec):
            def init_states(self):
                yield State(n=0)
            @action()
            def step(self, s):
                if s.n == 2:
                    raise RuntimeError("kaboom")
                return s.set(n=s.n + 1)
    """,
    )
    result = run("boom.py")
    assert result.exit_code == 4
    assert "SPEC ERROR in action step: raised RuntimeError('kaboom')" in result.output
    assert "Reached in 2 steps" in result.output
    write_spec(
        tmp_path / "empty.py",
        """
        from checker import Spec, State, invariant

        class Empty(Spec):
            def init_states(self):
                yield State(n=0)
            @invariant
            def ok(self, s):
                return True
    """,
    )
    result = run("empty.py:Empty")
    assert result.exit_code == 4
    assert "defines no actions" in result.output


def test_interrupt_is_incomplete(tmp_path):
    write_spec(
        tmp_path / "stop.py",
        """
        from checker import Spec, State, action

        class Stop(Spec):
            def init_states(self):
                yield State(n=0)
            @action()
            def step(self, s):
                if s.n == 50:
                    raise KeyboardInterrupt
                return s.set(n=s.n + 1)
    """,
    )
    result = run("stop.py")
    assert result.exit_code == 3
    assert "INCOMPLETE: interrupted" in result.output
    assert "51 distinct" in result.output


def test_fault_flags_reach_a_message_passing_spec():
    result = run("echo", "--nodes", "3", "--network", "fifo", "--duplicate", "1")
    assert result.exit_code == 1
    assert "no_duplicate_pong" in result.output
    assert "[fault]" in result.output
    doc = json.loads(next(Path("counterexamples").glob("*.json")).read_text())
    assert doc["command"] == "check echo --nodes 3 --network fifo --duplicate 1"
    assert run("show", str(next(Path("counterexamples").glob("*.json")))).exit_code == 1


def test_python_dash_m_is_the_same_command():
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "cas-register", "--nodes", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "HOLDS" in proc.stdout and "5 distinct" in proc.stdout


def test_the_program_exits_with_the_verdicts_code(tmp_path):
    """The program's exit code is the verdict's, and the output and files are there."""
    program = [sys.executable, "-m", "checker"]
    violated = subprocess.run(
        [*program, "lockless-register", "--nodes", "2", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert violated.returncode == 1
    assert "VIOLATED" in violated.stdout
    assert list(tmp_path.glob("*.json"))  # written before the exit
    usage = subprocess.run(
        [*program, "paxos", "--bogus"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert "No such option" in usage.stderr


def test_workers_flag_runs_several_processes_and_refuses_zero():
    result = run("paxos", "--nodes", "2", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert "States: 324 distinct" in result.output
    assert "Workers: 2 processes" in result.output
    result = run("paxos", "--workers", "0")
    assert result.exit_code == 2
    assert "--workers" in result.output
