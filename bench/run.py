"""Benchmarks: the engine next to a bare BFS over the same successor function.

    python bench/run.py                 # the quick set (a minute or so)
    python bench/run.py --full          # adds the big models (several minutes)
    python bench/run.py --json out.json # also write the figures as JSON
    python bench/run.py --only paxos-lamport-b2
    python bench/run.py --ceiling       # also what two cores give two independent runs
    python bench/run.py --rounds 3      # best of three, for a machine whose speed drifts

Each model runs four times, each in a fresh process so peak memory is its own:
through `checker.check` with one process (the whole engine: fingerprints, parents,
invariants, deadlock, coverage); through the "floor", a bare BFS over the same
compiled successor function that keeps only a set of states and checks the same
invariants and step invariants (step invariants not on stutters, steps to an equal
state; the cyclic garbage collector off; the set freed before the clock stops: all
as in the engine); through `checker.check` with two worker processes; and with the automatic
choice (`--workers` unset). engine/floor is the
engine's overhead; speedup is one process's time over two workers'; auto/1 is the
automatic choice's time over one process's, and "on" the processes it chose (in the
fastest of the rounds). Memory with workers is the coordinator's
peak plus twice the largest worker's. These are measurements, not tests.

`--ceiling` also measures, in every round, what the machine allows two workers at
best: two one-process engine runs at once (independent processes, nothing shared). If
the pair takes longer than one alone, the cores slow each other down (shared cache and
memory bandwidth, or a neighbour on the host), and `best` = 2 x alone / pair is the
most two workers could gain at that moment; `of best` is the speedup over that.
Measured in the same rounds, it tells the engine's losses from the machine's.

Above the table: the interpreter, which matters (on this machine Debian's own
python3.11, linked statically, ran paxos-lamport about 15% faster on average than a
pyenv build with a shared libpython and no profile-guided optimisation).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout, installed or not

# name -> (catalogue spec, parameters, part of the quick set)
MODELS: dict[str, tuple[str, dict, bool]] = {
    "paxos-lamport-b2": ("paxos-lamport", {"ballots": 2}, True),
    "paxos-lamport-b3": ("paxos-lamport", {"ballots": 3}, False),
    # the same model, written literally: about 220 us a state, where workers pay most
    "paxos-literal-b2": ("paxos-lamport-literal", {"ballots": 2}, True),
    "paxos-literal-b3": ("paxos-lamport-literal", {"ballots": 3}, False),
    "two-phase-5": ("two-phase-commit", {"nodes": 5}, True),
    "two-phase-6": ("two-phase-commit", {"nodes": 6}, True),
    "two-phase-7": ("two-phase-commit", {"nodes": 7}, False),
    "two-phase-8": ("two-phase-commit", {"nodes": 8}, False),
    "two-phase-8-fingerprints": ("two-phase-commit", {"nodes": 8}, False),
    "paxos-n3": ("paxos", {"nodes": 3}, True),
    "paxos-n3-f1": ("paxos", {"nodes": 3, "faults": 1}, False),
    "lock-register-n3-f1-nodeadlock": ("lock-register", {"nodes": 3, "faults": 1}, True),
    "echo-n3-partitions1": ("echo", {"nodes": 3, "partitions": 1}, True),
}

# the engine's options where not the default (the floor keeps whole states regardless):
# the memory target, fingerprints from the start, under 1 GB
ENGINE_OPTIONS: dict[str, dict] = {"two-phase-8-fingerprints": {"exact": False}}


@dataclass
class Figures:
    """One measured run."""

    model: str
    mode: str  # "engine" or "floor"
    distinct: int
    depth: int
    seconds: float
    states_per_second: float
    peak_mib: float
    verdict: str
    processes: int = 1  # the processes that explored (the automatic choice's pick)


def _model(name: str):
    from checker import compile_spec
    from checker.loader import build, resolve

    spec_name, params, _ = MODELS[name]
    return compile_spec(build(resolve(spec_name), params))


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_all_mib() -> float:
    """This process's peak plus the largest child's (the workers run in parallel)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return _peak_mib() + children * WORKERS if children else _peak_mib()


WORKERS = 2


def run_engine(name: str, workers: int | None = 1) -> Figures:
    from checker import CheckOptions, check

    model = _model(name)
    start = time.perf_counter()
    extra = ENGINE_OPTIONS.get(name, {})
    options = CheckOptions(check_deadlock=False, progress_interval=3600, workers=workers, **extra)
    result = check(model, options)
    seconds = time.perf_counter() - start
    return Figures(
        name,
        {1: "engine", None: "auto"}.get(workers, f"workers{workers}"),
        result.stats.distinct,
        result.stats.depth,
        seconds,
        result.stats.distinct / seconds,
        _peak_all_mib(),
        result.verdict.value,
        result.stats.workers,
    )


def run_floor(name: str) -> Figures:
    """A bare BFS: a set of states, a queue, the successor function, the properties."""
    from checker import Choice

    model = _model(name)
    gc.disable()  # as the engine does: states are acyclic, collecting them only costs
    start = time.perf_counter()
    initial = model.initial()
    seen = set(initial)
    queue = deque((s, 1) for s in initial)
    depth = 1
    verdict = "holds"
    check_step, check_invariants = model.step_checker(), model.invariant_checker()
    while queue:
        state, level = queue.popleft()
        depth = max(depth, level)
        # the steps as the engine takes them: each action's outputs, no Transitions
        for _, _, items in model.step_groups(state):
            for item in items:
                nxt = item[0] if type(item) is Choice or isinstance(item, Choice) else item
                if nxt is state:  # a stutter, as the engine treats it
                    continue
                new = nxt not in seen
                if not new and nxt == state:  # an equal state: a stutter too, not checked
                    continue
                if check_step is not None and check_step(state, nxt) is not None:
                    verdict = "violated"
                if new:
                    seen.add(nxt)
                    if check_invariants(nxt) is not None:
                        verdict = "violated"
                    queue.append((nxt, level + 1))
    distinct = len(seen)
    del seen, queue  # freed in the timed part, as the engine frees its visited set
    seconds = time.perf_counter() - start
    return Figures(
        name, "floor", distinct, depth, seconds, distinct / seconds, _peak_mib(), verdict
    )


def measure(name: str, mode: str, at_once: int = 1) -> list[Figures]:
    """Run a measurement in `at_once` fresh interpreters started together (so peak
    memory is each one's own) and read their figures back."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--one", name, "--mode", mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        for _ in range(at_once)
    ]
    found = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"{name} ({mode}) failed:\n{err}")
        found.append(Figures(**json.loads(out.strip().splitlines()[-1])))
    return found


def run_pair(name: str) -> Figures:
    """Two one-process engine runs started together (see `--ceiling`): their mean time."""
    pair = measure(name, "engine", at_once=2)
    mean = sum(f.seconds for f in pair) / len(pair)
    return replace(
        pair[0],
        mode="pair",
        seconds=mean,
        states_per_second=pair[0].distinct / mean,
        peak_mib=max(f.peak_mib for f in pair),
        processes=len(pair),
    )


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def table(rows: list[tuple[Figures, ...]]) -> str:
    """One line a model: rows of (engine, floor, 2 workers, auto[, pair])."""
    ceiling = any(len(row) > 4 for row in rows)
    head = (
        f"{'model':<30} {'distinct':>10} {'depth':>5} {'engine s':>9} {'states/s':>9} "
        f"{'MiB':>6} {'floor s':>8} {'eng/floor':>9} {'2 workers s':>11} {'MiB':>6} "
        f"{'speedup':>7} {'auto s':>7} {'auto/1':>6} {'on':>2}"
    )
    if ceiling:
        head += f" {'pair s':>7} {'best':>5} {'of best':>7}"
    lines = [head, "-" * len(head)]
    for engine, floor, two, auto, *pair in rows:
        speedup = _ratio(engine.seconds, two.seconds)
        line = (
            f"{engine.model:<30} {engine.distinct:>10,} {engine.depth:>5} {engine.seconds:>9.2f} "
            f"{engine.states_per_second:>9,.0f} {engine.peak_mib:>6.0f} {floor.seconds:>8.2f} "
            f"{_ratio(engine.seconds, floor.seconds):>9.2f} {two.seconds:>11.2f} "
            f"{two.peak_mib:>6.0f} {speedup:>7.2f} {auto.seconds:>7.2f} "
            f"{_ratio(auto.seconds, engine.seconds):>6.2f} {auto.processes:>2}"
        )
        if pair:
            best = _ratio(2 * engine.seconds, pair[0].seconds)
            line += f" {pair[0].seconds:>7.2f} {best:>5.2f} {_ratio(speedup, best):>7.2f}"
        lines.append(line)
        for other in (floor, two, auto, *pair):
            if other.distinct != engine.distinct:
                lines.append(f"  ! {other.mode} found {other.distinct:,} states")
    return "\n".join(lines)


def interpreter() -> str:
    """Which Python runs the benchmarks, and whether it calls into a shared libpython."""
    import platform
    import sysconfig

    shared = "shared libpython" if sysconfig.get_config_var("Py_ENABLE_SHARED") else "static"
    return (
        f"{platform.python_implementation()} {platform.python_version()} ({shared}), "
        f"{os.cpu_count()} cores"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="include the big models")
    parser.add_argument("--only", action="append", choices=sorted(MODELS), help="just these")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also measure, each round, how much two cores can gain at best",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run each measurement this many times, interleaved, and keep the fastest",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument(
        "--mode", choices=["engine", "floor", "workers2", "auto"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.one:
        if args.mode == "floor":
            figures = run_floor(args.one)
        else:
            workers = {"engine": 1, "workers2": WORKERS, "auto": None}[args.mode]
            figures = run_engine(args.one, workers)
        print(json.dumps(asdict(figures)))
        return
    names = args.only or [n for n, (_, _, quick) in MODELS.items() if quick or args.full]
    rows = []
    modes = ("engine", "floor", "workers2", "auto") + (("pair",) if args.ceiling else ())
    for name in names:
        print(f"  {name} ...", file=sys.stderr, flush=True)
        runs: dict[str, list[Figures]] = {m: [] for m in modes}
        for _ in range(args.rounds):  # interleaved, so a slow spell hits every mode
            for mode in modes:
                runs[mode].append(run_pair(name) if mode == "pair" else measure(name, mode)[0])
        rows.append(tuple(min(runs[m], key=lambda f: f.seconds) for m in modes))
    print(interpreter())
    if args.rounds > 1:
        print(f"(best of {args.rounds} interleaved runs of each)")
    print(table(rows))
    if args.json:
        data = {
            "python": interpreter(),
            "rounds": args.rounds,
            "models": [{m: asdict(f) for m, f in zip(modes, row)} for row in rows],
        }
        _write_atomically(args.json, json.dumps(data, indent=1) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: a temporary file beside it, renamed."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
