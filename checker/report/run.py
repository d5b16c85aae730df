"""What was run: the spec, its parameters and options, as reporters need them."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from checker.options import CheckOptions, Strategy, param_words
from checker.syntax import format_value


@dataclass(frozen=True)
class RunInfo:
    """A check's identity: enough to name its files and to repeat it.

    `spec_ref` is how the spec is found again: a catalogue name, `path.py:Class` or
    `module:Class`.
    """

    spec_name: str
    spec_ref: str
    params: tuple[tuple[str, Any], ...]
    options: CheckOptions = CheckOptions()
    changed: tuple[str, ...] | None = None  # parameters off their default (None: all)

    def _named(self) -> tuple[tuple[str, Any], ...]:
        """The parameters that identify this configuration: those off their default."""
        if self.changed is None:
            return self.params
        return tuple((k, v) for k, v in self.params if k in self.changed)

    def params_text(self) -> str:
        return " ".join(f"{k}={format_value(v)}" for k, v in self.params)

    def command(self) -> str:
        """The shell command that repeats this run."""
        words = ["check", self.spec_ref, *param_words(self._named())]
        opts = self.options
        if opts.strategy is not Strategy.BFS:
            words += ["--strategy", opts.strategy.value]
        if opts.max_depth is not None:
            words += ["--max-depth", str(opts.max_depth)]
        if opts.max_states is not None:
            words += ["--max-states", str(opts.max_states)]
        if not opts.check_deadlock:
            words.append("--no-deadlock")
        if opts.exact:
            words.append("--exact")
        elif opts.exact is False:
            words.append("--fingerprints")
        return shlex.join(words)

    def file_stem(self, property_name: str) -> str:
        """A file name stem that reruns of the same configuration reuse.

        It names the parameters off their default, so one configuration always gets
        one name however it was typed.
        """
        parts = [self.spec_name]
        for k, v in self._named():
            text = v if isinstance(v, str) else format_value(v)
            parts.append(f"{k}{text}" if isinstance(v, int) else f"{k}-{text}")
        parts.append(property_name)
        return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("_")
