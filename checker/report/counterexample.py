"""Counterexample files: the versioned JSON schema, written and read back.

Schema `checker.counterexample`, version 1:

    {"schema": "checker.counterexample", "version": 1,
     "spec": {"name": ..., "ref": ..., "params": {"nodes": "2", ...}},
     "violation": {"property": ..., "kind": ..., "message": ...},
     "command": "check ...",
     "initial": 0,
     "steps": [{"label": null | "read_X(p=1)", "action": ..., "fault": bool,
                "fingerprint": "hex", "state": {...}, "changes": [...]}, ...]}

Parameters and labels are written in the value notation of `checker.syntax`, so
they parse back exactly; states are written for reading, and are rebuilt by replay.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.engine.result import Violation
from checker.report.diff import diff
from checker.report.run import RunInfo
from checker.report.values import show, to_json
from checker.syntax import SyntaxProblem, format_value, parse_label, parse_value

SCHEMA = "checker.counterexample"
VERSION = 1


class CounterexampleFileError(ValueError):
    """A file that is not a readable counterexample; the message says what is wrong."""


@dataclass(frozen=True)
class SavedCounterexample:
    """A counterexample file as read back: enough to rebuild and replay the run."""

    spec_ref: str
    spec_name: str
    params: tuple[tuple[str, Any], ...]
    property: str
    kind: str
    message: str
    initial: int
    labels: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    fingerprints: tuple[int, ...]


def portable_ref(ref: str, folder: Path) -> str:
    """A spec file reference made relative to `folder` (where the JSON is written).

    `check show` then finds the spec from any working folder.
    """
    path, sep, cls = ref.partition(":") if ref.count(":") == 1 else (ref, "", "")
    if not path.endswith(".py") or not Path(path).is_file():
        return ref
    relative = os.path.relpath(Path(path).resolve(), folder.resolve())
    return relative + sep + cls


def to_document(run: RunInfo, violation: Violation, folder: Path | None = None) -> dict[str, Any]:
    trace = violation.trace
    assert trace is not None
    steps = []
    prev = None
    for step in trace.steps:
        changes = (
            []
            if prev is None
            else [
                {"path": c.path, "before": show(c.before), "after": show(c.after)}
                if not c.is_set_change
                else {
                    "path": c.path,
                    "added": [show(v) for v in c.added],
                    "removed": [show(v) for v in c.removed],
                }
                for c in diff(prev, step.state)
            ]
        )
        steps.append(
            {
                "label": None if step.label is None else str(step.label),
                "action": None if step.label is None else step.label.name,
                "fault": bool(step.label and step.label.is_fault),
                "fingerprint": f"{step.fingerprint:016x}",
                "state": to_json(step.state),
                "changes": changes,
            }
        )
        prev = step.state
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "spec": {
            "name": run.spec_name,
            "ref": run.spec_ref if folder is None else portable_ref(run.spec_ref, folder),
            "params": {k: format_value(v) for k, v in run.params},
        },
        "violation": {
            "property": violation.property,
            "kind": violation.kind.value,
            "message": violation.message,
            "length": len(trace),
        },
        "command": run.command(),
        "initial": trace.initial,
        "steps": steps,
    }


def read_counterexample(path: Path) -> SavedCounterexample:
    """Read and validate a counterexample file; raises `CounterexampleFileError`."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CounterexampleFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CounterexampleFileError(f"{path} is not a JSON counterexample file: {err}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise CounterexampleFileError(f"{path} is not a counterexample file (no schema {SCHEMA!r})")
    if doc.get("version") != VERSION:
        raise CounterexampleFileError(
            f"{path} has schema version {doc.get('version')!r}; this checker reads version "
            f"{VERSION}"
        )
    try:
        spec, violation, steps = doc["spec"], doc["violation"], doc["steps"]
        params = tuple((k, parse_value(v)) for k, v in spec["params"].items())
        labels = tuple(parse_label(s["label"]) for s in steps[1:])
        fps = tuple(int(s["fingerprint"], 16) for s in steps)
        return SavedCounterexample(
            spec_ref=str(spec["ref"]),
            spec_name=str(spec["name"]),
            params=params,
            property=str(violation["property"]),
            kind=str(violation["kind"]),
            message=str(violation.get("message", "")),
            initial=int(doc.get("initial", 0)),
            labels=labels,
            fingerprints=fps,
        )
    except (KeyError, TypeError, ValueError, AttributeError, SyntaxProblem) as err:
        raise CounterexampleFileError(f"{path} is damaged: {err!r}") from None
