"""Golden counterexamples: every committed one still replays and renders.

Run `python tests/test_golden.py --regenerate` to rewrite them from the catalogue.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from checker.cli import main
from checker.options import FLAG_PARAMS

GOLDEN = Path(__file__).resolve().parent.parent / "counterexamples" / "golden"
FILES = sorted(GOLDEN.glob("*.json"))


def test_every_buggy_variant_has_a_golden_counterexample():
    from specs import CATALOGUE

    names = {json.loads(f.read_text())["spec"]["name"] for f in FILES}
    buggy = {e.name for e in CATALOGUE if any(x.verdict == "violated" for x in e.expectations)}
    assert buggy <= names, f"no golden counterexample for {sorted(buggy - names)}"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_golden_counterexample_replays(path):
    doc = json.loads(path.read_text())
    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 1, result.output  # confirmed: still violated
    assert f"Replayed {doc['violation']['length']} steps" in result.stdout
    assert "note: states differ" not in result.stdout


@pytest.mark.parametrize("fmt", ["dot", "html"] + (["svg"] if shutil.which("dot") else []))
@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_golden_counterexample_renders(path, fmt):
    result = CliRunner().invoke(main, ["show", str(path), "--format", fmt])
    assert result.exit_code == 1, result.output
    head = {"dot": "digraph", "html": "<!DOCTYPE html>", "svg": "<svg"}[fmt]
    assert head in result.stdout[:400]


def regenerate() -> None:
    """Rewrite golden/ from the first violated expectation of each catalogue entry."""
    from specs import CATALOGUE

    for old in GOLDEN.glob("*"):
        old.unlink()
    for entry in CATALOGUE:
        for x in entry.expectations:
            if x.verdict != "violated":
                continue
            args = [entry.name, "--out", str(GOLDEN), "--workers", "1"]
            for key, value in x.params:
                args += (
                    [f"--{key}", str(value)]
                    if key in FLAG_PARAMS
                    else ["--param", f"{key}={value}"]
                )
            CliRunner().invoke(main, args)
            break
    for extra in GOLDEN.glob("*"):
        if extra.suffix != ".json":
            extra.unlink()


if __name__ == "__main__" and "--regenerate" in sys.argv:
    regenerate()
    print(f"wrote {len(list(GOLDEN.glob('*.json')))} golden counterexamples to {GOLDEN}")
