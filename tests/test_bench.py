"""bench/run.py's own parts: the floor and the engine agree, the table, the JSON file."""

from __future__ import annotations

import importlib.util
import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules["bench_run"]


def test_the_floor_and_the_engine_explore_the_same_space(bench):
    """MCPaxosTiny: TLC's 3,921 states and depth 17, by the bare loop and by the engine."""
    floor = bench.run_floor("paxos-lamport-b2")
    engine = bench.run_engine("paxos-lamport-b2", workers=1)
    for figures in (floor, engine):
        assert (figures.distinct, figures.depth, figures.verdict) == (3921, 17, "holds")
    assert (floor.mode, engine.mode, engine.processes) == ("floor", "engine", 1)


def test_the_table_shows_how_many_processes_the_automatic_choice_took(bench):
    def figures(mode, seconds, processes=1):
        return bench.Figures("m", mode, 10, 3, seconds, 10 / seconds, 30.0, "holds", processes)

    row = (figures("engine", 2.0), figures("floor", 1.6), figures("workers2", 1.25, 2))
    text = bench.table([(*row, figures("auto", 1.5, 2))])
    head, _, line = text.splitlines()
    assert head.split()[-3:] == ["s", "auto/1", "on"]
    assert line.split()[-6:] == ["1.25", "30", "1.60", "1.50", "0.75", "2"]
    wrong = bench.table([(*row, bench.Figures("m", "auto", 9, 3, 1.0, 9.0, 30.0, "holds"))])
    assert "! auto found 9 states" in wrong


def test_the_ceiling_columns_compare_the_speedup_with_what_the_machine_allowed(bench):
    """Two one-process runs at once took 2.5 s each where one alone took 2.0 s: the cores
    allowed at best 2 x 2.0 / 2.5 = 1.6x, and two workers (2.0 s down to 1.25 s) got all
    of it."""

    def figures(mode, seconds, processes=1):
        return bench.Figures("m", mode, 10, 3, seconds, 10 / seconds, 30.0, "holds", processes)

    row = (figures("engine", 2.0), figures("floor", 1.6), figures("workers2", 1.25, 2))
    plain = bench.table([(*row, figures("auto", 1.5, 2))])
    assert "best" not in plain
    text = bench.table([(*row, figures("auto", 1.5, 2), figures("pair", 2.5, 2))])
    head, _, line = text.splitlines()
    assert head.split()[-5:] == ["pair", "s", "best", "of", "best"]
    assert line.split()[-3:] == ["2.50", "1.60", "1.00"]


def test_the_json_file_is_replaced_whole(bench, tmp_path):
    target = tmp_path / "figures.json"
    target.write_text("old")
    bench._write_atomically(target, json.dumps([1, 2]))
    assert json.loads(target.read_text()) == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["figures.json"]


def test_a_run_with_the_ceiling_writes_every_mode_and_the_interpreter(tmp_path):
    out = tmp_path / "figures.json"
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--only", "echo-n3-partitions1"]
    done = subprocess.run(
        [*command, "--ceiling", "--json", str(out)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["python"].startswith(platform.python_implementation())
    assert data["rounds"] == 1
    (model,) = data["models"]
    assert sorted(model) == ["auto", "engine", "floor", "pair", "workers2"]
    assert {f["distinct"] for f in model.values()} == {45}
    assert model["pair"]["processes"] == 2
    assert data["python"] in done.stdout and "of best" in done.stdout
