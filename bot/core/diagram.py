"""Pictures of a flow: Mermaid ``stateDiagram-v2`` text and a small self-made SVG.

The SVG uses a plain layered layout (a column per distance from the initial
state) so no Graphviz is needed. Either can highlight one state, e.g. where a
conversation stands now.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

from bot.core.flow_spec import FlowSpec

__all__ = ["edges", "mermaid", "svg"]

_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 170, 40, 90, 30, 20


def edges(spec: FlowSpec) -> Iterator[tuple[str, str, str]]:
    """(source, destination, label) for every way between states."""
    for name, state in spec.states.items():
        for intent, targets in state.on.items():
            for target in targets:
                guard = f" [{', '.join(target.when)}]" if target.when else ""
                yield name, target.to, intent + guard
        if state.timeout is not None:
            yield name, state.timeout.to, f"after {state.timeout.after}"
        for target in state.next or ():
            yield name, target.to, "next"
        if state.waits:
            yield name, spec.fallback.then, "not understood"
            for intent, targets in spec.anywhere.items():
                if intent not in state.on:
                    for target in targets:
                        yield name, target.to, intent


def mermaid(spec: FlowSpec, highlight: str | None = None) -> str:
    """Mermaid text (GitHub and most editors render it)."""
    lines = ["stateDiagram-v2", f"    [*] --> {spec.initial}"]
    lines += [f"    {a} --> {b}: {label}" for a, b, label in edges(spec)]
    lines += [f"    {name} --> [*]" for name, s in spec.states.items() if s.terminal]
    if highlight in spec.states:
        lines.append("    classDef current fill:#ffe082,stroke:#e65100,stroke-width:3px")
        lines.append(f"    class {highlight} current")
    return "\n".join(lines) + "\n"


def _layers(spec: FlowSpec) -> dict[str, int]:
    depth = {spec.initial: 0}
    queue = [spec.initial]
    following: dict[str, list[str]] = {}
    for a, b, _ in edges(spec):
        following.setdefault(a, []).append(b)
    while queue:
        current = queue.pop(0)
        for nxt in following.get(current, []):
            if nxt not in depth:
                depth[nxt] = depth[current] + 1
                queue.append(nxt)
    last = max(depth.values(), default=0) + 1
    return {name: depth.get(name, last) for name in spec.states}


def svg(spec: FlowSpec, highlight: str | None = None) -> str:
    """A standalone SVG picture: states as boxes, transitions as labelled arrows."""
    layers = _layers(spec)
    rows: dict[int, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for name in spec.states:
        column = layers[name]
        row = rows.get(column, 0)
        rows[column] = row + 1
        x = _MARGIN + column * (_BOX_W + _GAP_X)
        where[name] = (x, _MARGIN + row * (_BOX_H + _GAP_Y))
    width = _MARGIN * 2 + (max(layers.values()) + 1) * (_BOX_W + _GAP_X)
    height = _MARGIN * 2 + max(rows.values()) * (_BOX_H + _GAP_Y)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    labels: dict[tuple[str, str], list[str]] = {}
    for a, b, label in edges(spec):
        if a != b:  # a state asking again is not worth an arrow
            labels.setdefault((a, b), []).append(label)
    for (a, b), names in labels.items():
        label = ", ".join(names)
        (ax, ay), (bx, by) = where[a], where[b]
        x1, y1 = ax + _BOX_W, ay + _BOX_H / 2
        x2, y2 = (bx, by + _BOX_H / 2) if bx > ax else (bx + _BOX_W / 2, by)
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#555" '
            'marker-end="url(#arrow)"/>'
        )
        out.append(
            f'<text x="{(x1 + x2) / 2}" y="{(y1 + y2) / 2 - 3}" fill="#333" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for name, (x, y) in where.items():
        state = spec.states[name]
        fill = "#ffe082" if name == highlight else ("#e0e0e0" if state.terminal else "#e3f2fd")
        stroke = ' stroke="#e65100" stroke-width="3"' if name == highlight else ' stroke="#1565c0"'
        rx = 4 if state.terminal else 12
        out.append(
            f'<rect x="{x}" y="{y}" width="{_BOX_W}" height="{_BOX_H}" rx="{rx}" '
            f'fill="{fill}"{stroke}><title>{escape(state.description or name)}</title></rect>'
        )
        out.append(
            f'<text x="{x + _BOX_W / 2}" y="{y + _BOX_H / 2 + 4}" text-anchor="middle" '
            f'font-size="12">{escape(name)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
