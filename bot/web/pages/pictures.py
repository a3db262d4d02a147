"""Flow diagrams for the pages: the core's SVG, made to scale with its box."""

from __future__ import annotations

import re

from bot.core import diagram
from bot.core.flow_spec import FlowSpec

__all__ = ["flow_svg"]

_SIZE = re.compile(r'<svg ([^>]*?)width="(\d+)" height="(\d+)"')


def flow_svg(spec: FlowSpec, highlight: str | None = None) -> str:
    """The flow's SVG with a viewBox, so CSS can shrink it to the screen's width."""
    return _SIZE.sub(
        r'<svg \1viewBox="0 0 \2 \3" width="\2" height="\3" style="max-width: \2px" class="flow-svg"',
        diagram.svg(spec, highlight),
        count=1,
    )
