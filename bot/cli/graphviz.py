"""Graphviz's ``dot``, when installed, lays out the CLI's flow pictures.

Graphviz is a system package (``apt-get install graphviz``), not a Python
dependency: the Python bindings on PyPI need the same binary. Without it the
CLI keeps the Mermaid text, which the console's Fluxos tab draws.
"""

from __future__ import annotations

import shutil
import subprocess

import click

__all__ = ["GraphvizMissing", "draw_svg"]

_TIMEOUT_SECONDS = 60


class GraphvizMissing(Exception):
    """No ``dot`` on the PATH."""


def draw_svg(source: str) -> str:
    """The SVG ``dot -Tsvg`` makes of DOT ``source``; GraphvizMissing without Graphviz."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing
    done = subprocess.run(
        [program, "-Tsvg"],
        input=source,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise click.ClickException(f"o Graphviz recusou o desenho: {done.stderr.strip()}")
    return done.stdout
