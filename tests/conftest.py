"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path, monkeypatch):
    """Run every test in its own folder, so default output (counterexamples/) lands there."""
    monkeypatch.chdir(tmp_path)
