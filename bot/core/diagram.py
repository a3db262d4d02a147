"""Pictures of a flow for people: Mermaid text for the pages, Graphviz DOT text for the CLI.

Neither lays anything out here: the pages render the Mermaid text with the
vendored ``mermaid`` (``bot/web/static/mermaid/``), the CLI hands the DOT text
to Graphviz's ``dot`` when it is installed. What this module decides is what a
person reads:

- a state shows its ``description`` (wrapped), not its id; the id is kept for
  a tooltip (the node's id is ``s_`` + the state's id);
- an arrow says what happened in words ("confirma", "sem resposta em 24h",
  "não entendi 2 vezes"), arrows between the same two states merged;
- what every waiting state does alike (the fallback, ``anywhere`` intents) is
  drawn once, from a "Em qualquer pergunta" box, not from each state;
- a terminal state's ``later`` (a message after the end) is a dashed arrow;
- one state can be highlighted (where a conversation stands now).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.core.diagram_words import (
    condition_words,
    duration_words,
    intent_words,
    otherwise_words,
    wrap,
)
from bot.core.flow_spec import FlowSpec, Target

__all__ = ["Arrow", "Picture", "dot", "mermaid", "node_id", "picture"]

START, ANYWHERE = "p_inicio", "p_qualquer"
_NODE_WIDTH, _EDGE_WIDTH = 26, 22  # characters per line
_CURRENT = "fill:#ffe082,stroke:#e65100,stroke-width:4px,color:#000"
_END = "fill:#eceff1,stroke:#607d8b,color:#000"
_WAIT = "fill:#e3f2fd,stroke:#1565c0,color:#000"
_OTHER = "fill:#fff,stroke:#9e9e9e,stroke-dasharray:5 3,color:#333"
_GROUP = "fill:#fafafa,stroke:#90a4ae,stroke-dasharray:4 4"
GROUP_LABEL = "Perguntas com as mesmas respostas"


@dataclass(frozen=True, slots=True)
class Arrow:
    """One drawn arrow: node ids, its words, dashed for what happens after the end."""

    source: str
    target: str
    label: str
    later: bool = False


def node_id(state: str) -> str:
    """The picture's id of a state (prefixed, so no state name clashes with Mermaid's words)."""
    return "s_" + state


def _choices(targets: tuple[Target, ...], what: str) -> Iterator[tuple[str, str]]:
    """(destination, words) for a list of guarded targets: the first that holds wins."""
    guards: list[tuple[str, ...]] = []
    for target in targets:
        if target.when:
            guard = " e ".join(condition_words(c) for c in target.when)
            guards.append(target.when)
        else:
            guard = otherwise_words(guards[0]) if len(guards) == 1 else ("senão" if guards else "")
        words = f"{what} ({guard})" if what and guard else (what or guard)
        yield target.to, words


def _answers(spec: FlowSpec, name: str) -> list[Arrow]:
    """The arrows of a state's answers (its ``on``)."""
    here = node_id(name)
    return [
        Arrow(here, node_id(to), words)
        for intent, targets in spec.states[name].on.items()
        for to, words in _choices(targets, intent_words(intent))
    ]


def _groups(spec: FlowSpec) -> dict[str, list[str]]:
    """Waiting states whose answers all lead to the same places, drawn as one box of boxes.

    Six questions of the confirmation flow take "confirma / desmarca / quer remarcar" to
    the same three states: one arrow each from their group, not eighteen.
    """
    alike: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for name, state in spec.states.items():
        if state.waits:
            key = tuple(sorted((a.target, a.label) for a in _answers(spec, name)))
            alike.setdefault(key, []).append(name)
    found = [names for names in alike.values() if len(names) > 1]
    return {f"g_{n}": names for n, names in enumerate(found, start=1)}


def _raw_arrows(spec: FlowSpec, groups: dict[str, list[str]]) -> Iterator[Arrow]:
    yield Arrow(START, node_id(spec.initial), "")
    grouped = {name for names in groups.values() for name in names}
    for group, names in groups.items():
        for arrow in _answers(spec, names[0]):
            yield Arrow(group, arrow.target, arrow.label)
    for name, state in spec.states.items():
        here = node_id(name)
        if name not in grouped:
            yield from _answers(spec, name)
        if state.timeout is not None:
            words = f"sem resposta em {duration_words(state.timeout.after)}"
            yield Arrow(here, node_id(state.timeout.to), words)
        for to, words in _choices(state.next or (), "" if len(state.next or ()) > 1 else "segue"):
            yield Arrow(here, node_id(to), words)
        for to, words in _choices(state.later, "escreve depois"):
            yield Arrow(here, node_id(to), words, later=True)
    if any(state.waits for state in spec.states.values()):
        fallback = spec.fallback
        times = fallback.max_asks + 1
        words = "não entendi" + (f" {times} vezes" if times > 1 else "")
        if fallback.non_text == "handoff":
            words += "; áudio ou foto"
        yield Arrow(ANYWHERE, node_id(fallback.then), words)
        for intent, targets in spec.anywhere.items():
            for to, label in _choices(targets, intent_words(intent)):
                yield Arrow(ANYWHERE, node_id(to), label)


@dataclass(frozen=True, slots=True)
class Picture:
    """What is drawn: boxes (node id -> words), groups of boxes, arrows."""

    boxes: dict[str, str]
    groups: dict[str, list[str]]  # group id -> node ids
    arrows: list[Arrow]


def picture(spec: FlowSpec) -> Picture:
    """The flow as boxes and arrows in words; arrows between the same two boxes merged."""
    groups = _groups(spec)
    merged: dict[tuple[str, str, bool], list[str]] = {}
    for arrow in _raw_arrows(spec, groups):
        if arrow.source == arrow.target:  # asking again in place is not worth an arrow
            continue
        words = merged.setdefault((arrow.source, arrow.target, arrow.later), [])
        if arrow.label and arrow.label not in words:
            words.append(arrow.label)
    boxes = {START: "Início"}
    if any(state.waits for state in spec.states.values()):
        boxes[ANYWHERE] = "Em qualquer pergunta do robô"
    for name, state in spec.states.items():
        boxes[node_id(name)] = state.description or name.replace("_", " ")
    return Picture(
        boxes,
        {group: [node_id(n) for n in names] for group, names in groups.items()},
        [Arrow(a, b, ", ".join(words), later) for (a, b, later), words in merged.items()],
    )


# --- Mermaid ---------------------------------------------------------------------------


def _mermaid_text(text: str, width: int) -> str:
    """A Mermaid label's inside: wrapped with <br>, quotes and '#' as Mermaid's entity codes."""
    lines = [line.replace("#", "#35;").replace('"', "#quot;") for line in wrap(text, width)]
    return "<br>".join(lines)


def _kind(spec: FlowSpec, node: str, highlight: str | None) -> str:
    """The style class of a box: outro (not a state), atual, fim (terminal), espera."""
    state = spec.states.get(node[2:]) if node.startswith("s_") else None
    if state is None:
        return "outro"
    if node == node_id(highlight or ""):
        return "atual"
    return "fim" if state.terminal else "espera"


def mermaid(spec: FlowSpec, highlight: str | None = None) -> str:
    """Mermaid ``flowchart`` text, top to bottom, in Portuguese; ``highlight`` a state id."""
    drawn = picture(spec)
    lines = ["flowchart TD", f"    accTitle: Fluxo {spec.flow}"]
    for node, label in drawn.boxes.items():
        opening, closing = ('(["', '"])') if node == START else ('("', '")')
        lines.append(f"    {node}{opening}{_mermaid_text(label, _NODE_WIDTH)}{closing}")
    for group, nodes in drawn.groups.items():
        lines.append(f'    subgraph {group} ["{GROUP_LABEL}"]')
        lines += [f"        {node}" for node in nodes]
        lines.append("    end")
    for arrow in drawn.arrows:
        link = "-.->" if arrow.later else "-->"
        label = f'|"{_mermaid_text(arrow.label, _EDGE_WIDTH)}"|' if arrow.label else ""
        lines.append(f"    {arrow.source} {link}{label} {arrow.target}")
    kinds: dict[str, list[str]] = {"outro": [], "espera": [], "fim": [], "atual": []}
    for node in drawn.boxes:
        kinds[_kind(spec, node, highlight)].append(node)
    for kind, style in (("outro", _OTHER), ("espera", _WAIT), ("fim", _END), ("atual", _CURRENT)):
        lines.append(f"    classDef {kind} {style}")
    lines += [f"    class {','.join(nodes)} {kind}" for kind, nodes in kinds.items() if nodes]
    lines += [f"    style {group} {_GROUP}" for group in drawn.groups]
    return "\n".join(lines) + "\n"


# --- Graphviz DOT ----------------------------------------------------------------------


def _dot_text(text: str, width: int) -> str:
    lines = [line.replace("\\", "\\\\").replace('"', '\\"') for line in wrap(text, width)]
    return '"' + "\\n".join(lines) + '"'


_DOT_STYLES = {
    "outro": 'fillcolor="#ffffff", color="#9e9e9e", style="rounded,dashed"',
    "atual": 'fillcolor="#ffe082", color="#e65100", penwidth=3',
    "fim": 'fillcolor="#eceff1", color="#607d8b"',
    "espera": 'fillcolor="#e3f2fd", color="#1565c0"',
}


def dot(spec: FlowSpec, highlight: str | None = None) -> str:
    """Graphviz DOT text of the same picture (``dot -Tsvg`` lays it out)."""
    drawn = picture(spec)
    font = 'fontname="DejaVu Sans,Arial,sans-serif"'
    lines = [
        f'digraph "{spec.flow}" {{',
        f"    rankdir=TB; nodesep=0.5; ranksep=0.7; compound=true; {font}; fontsize=12;",
        f'    node [shape=box, style="rounded,filled", {font}, fontsize=12, margin="0.15,0.08"];',
        f'    edge [{font}, fontsize=11, color="#555555"];',
    ]
    for node, label in drawn.boxes.items():
        tooltip = f', tooltip="estado: {node[2:]}"' if node.startswith("s_") else ""
        style = _DOT_STYLES[_kind(spec, node, highlight)]
        lines.append(f"    {node} [label={_dot_text(label, _NODE_WIDTH)}, {style}{tooltip}];")
    for group, nodes in drawn.groups.items():
        lines.append(f'    subgraph cluster_{group} {{ label="{GROUP_LABEL}"; style=dashed;')
        lines.append(f"        {'; '.join(nodes)};")
        lines.append("    }")
    for arrow in drawn.arrows:
        attrs = [f"label={_dot_text(arrow.label, _EDGE_WIDTH)}"] if arrow.label else []
        source = arrow.source
        if source in drawn.groups:  # from the group's border, not from one of its boxes
            source = drawn.groups[source][0]
            attrs.append(f"ltail=cluster_{arrow.source}")
        if arrow.later:
            attrs.append("style=dashed")
        lines.append(f"    {source} -> {arrow.target} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
