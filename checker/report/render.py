"""Rendering Graphviz sources to SVG, and saying what to do when Graphviz is missing."""

from __future__ import annotations

import shutil

import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` is not installed, so only the .dot files were written; install it "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) to get SVGs"
)


def dot_available() -> bool:
    return shutil.which("dot") is not None


def render_svg(dot_source: str) -> str | None:
    """SVG text for a DOT source, or None when Graphviz's `dot` is not installed."""
    if not dot_available():
        return None
    svg = graphviz.Source(dot_source).pipe(format="svg", encoding="utf-8")
    # drop the XML prolog and doctype so the SVG can be embedded inline in HTML
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg
