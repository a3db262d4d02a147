"""Safety by design: what a patient wrote in free text never cancels or stops messages
without one confirming question (``flows check`` refuses a flow that would)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.core.flow_spec import FlowSpec, Target
from bot.core.machine import TRIGGER_NEXT, TRIGGER_TIMEOUT

__all__ = ["safety_problems"]

Path = tuple[str, ...]

# Actions a patient must have asked for plainly: by a button, a menu number or an exact
# word, or by answering the question that confirms a reply the model read as asking for them.
_CONFIRMED_ACTIONS = {"request_cancellation": "cancel", "opt_out": "opt_out"}


def safety_problems(
    spec: FlowSpec, targets: Iterable[tuple[Path, Target]]
) -> Iterator[tuple[Path, str]]:
    """A cancellation or opt-out read from free text goes through one confirming question."""
    moves: list[tuple[Path, str, str, Target]] = []  # where, trigger, source, target
    for path, target in targets:
        if path[0] == "anywhere":
            trigger = path[1]
            sources = [n for n, s in spec.states.items() if not s.terminal and trigger not in s.on]
        else:
            trigger = path[3] if path[2] == "on" else path[2]
            sources = [path[1]]
        moves.extend((path, trigger, source, target) for source in sources)
    incoming = _incoming(spec, moves)
    for path, trigger, source, target in moves:
        if trigger in (TRIGGER_TIMEOUT, TRIGGER_NEXT) or "said_firmly" in target.when:
            continue
        entered = spec.states.get(target.to)
        actions = [*target.do, *(entered.do if entered else ())]
        for action in actions:
            asked = _CONFIRMED_ACTIONS.get(action)
            if asked is None or incoming[source] == {asked}:
                continue  # ``source`` is the question that confirms it
            yield (
                path,
                (
                    f'"{trigger}" em "{source}" leva a {action} sem pergunta de confirmação: '
                    f'uma resposta em texto livre precisa confirmar antes (use "when: said_firmly" '
                    f'e mande o resto para um estado que pergunte, alcançado só por "{asked}")'
                ),
            )


def _incoming(spec: FlowSpec, moves: list[tuple[Path, str, str, Target]]) -> dict[str, set[str]]:
    """The triggers that reach each state. A ``next`` out of a state that does not wait
    happens in the same step as whatever entered that state, so it carries those triggers
    (a step that confirms and then asks "quer mesmo parar?" still reaches the question
    only by ``opt_out``); a ``next`` out of a waiting state counts as itself."""
    incoming: dict[str, set[str]] = {name: set() for name in spec.states}
    changed = True
    while changed:  # until nothing new arrives: passing states may follow each other
        changed = False
        for _path, trigger, source, target in moves:
            if target.to not in incoming:
                continue
            passing = trigger == TRIGGER_NEXT and not spec.states[source].waits
            carried = incoming[source] if passing else {trigger}
            if not carried <= incoming[target.to]:
                incoming[target.to] |= carried
                changed = True
    return incoming
