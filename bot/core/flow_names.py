"""The names a flow file uses (states, intents, messages, actions, conditions), checked.

Every cross-reference as ``(path, problem)``; :mod:`bot.core.flow_check` turns
the path into the file line. Problems say the fix, in Portuguese (clinic staff
edit these files).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.core.flow_spec import FlowSpec, Target
from bot.core.machine import (
    ACTIONS,
    CONDITIONS,
    SIGNALS,
    TRIGGER_LATER,
    TRIGGER_NEXT,
    TRIGGER_TIMEOUT,
)

__all__ = ["name_problems", "targets"]

Path = tuple[str, ...]
_RESERVED = frozenset({"unknown", TRIGGER_TIMEOUT, TRIGGER_NEXT, TRIGGER_LATER, *SIGNALS})


def _unknown(what: str, name: str, where: str) -> str:
    return f'{what} "{name}" não existe em {where}: confira o nome (erro de digitação?)'


def _unknown_of(what: str, name: str, known: Iterable[str]) -> str:
    return f'{what} "{name}" não existe (use uma destas: {", ".join(sorted(known))})'


def targets(spec: FlowSpec) -> Iterator[tuple[Path, Target]]:
    for name, state in spec.states.items():
        for intent, targets in state.on.items():
            for i, target in enumerate(targets):
                yield ("states", name, "on", intent, str(i)), target
        if state.timeout is not None:
            timeout = state.timeout
            yield ("states", name, "timeout"), Target(to=timeout.to, do=timeout.do)
        for target in state.next or ():
            yield ("states", name, "next"), target
        for i, target in enumerate(state.later):
            yield ("states", name, "later", str(i)), target
    for intent, targets in spec.anywhere.items():
        for i, target in enumerate(targets):
            yield ("anywhere", intent, str(i)), target


def name_problems(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """Every cross-reference, as (where, problem or '')."""
    states, intents, messages = spec.states, spec.intents, spec.messages
    if spec.initial not in states:
        yield ("initial",), f'o estado inicial "{spec.initial}" não existe em states'
    for name in intents:
        if name in _RESERVED:
            yield ("intents", name), f'"{name}" é um nome reservado: dê outro nome ao intent'
    for name, intent in intents.items():
        if not intent.examples and not intent.phrases and not intent.exact:
            yield ("intents", name), f'o intent "{name}" não tem examples nem exact'
    for path, target in targets(spec):
        if target.to not in states:
            yield path, _unknown("o estado", target.to, "states")
        for action in target.do:
            if action not in ACTIONS:
                yield path, _unknown_of("a ação", action, ACTIONS)
        for condition in target.when:
            if condition not in CONDITIONS:
                yield path, _unknown_of("a condição", condition, CONDITIONS)
    for name in spec.anywhere:
        if name not in intents:
            yield ("anywhere", name), _unknown("o intent", name, "intents")
    if spec.fallback.ask_again not in messages:
        yield ("fallback", "ask_again"), _unknown("a mensagem", spec.fallback.ask_again, "messages")
    if spec.fallback.then not in states:
        yield ("fallback", "then"), _unknown("o estado", spec.fallback.then, "states")
    for name, state in states.items():
        here = ("states", name)
        for label in state.examples:
            if label != "unknown" and label not in state.on and label not in spec.anywhere:
                yield (
                    (*here, "examples", label),
                    (
                        f'o estado "{name}" não espera o intent "{label}": seus exemplos aqui '
                        'não ensinam nada (use um intent de "on", de "anywhere" ou "unknown")'
                    ),
                )
        for message in state.send:
            if message not in messages:
                yield (*here, "send"), _unknown("a mensagem", message, "messages")
        if state.ask_again is not None and state.ask_again not in messages:
            yield (*here, "ask_again"), _unknown("a mensagem", state.ask_again, "messages")
        for action in state.do:
            if action not in ACTIONS:
                yield (*here, "do"), _unknown_of("a ação", action, ACTIONS)
        for heard in state.on:
            if heard not in intents and heard not in SIGNALS:
                yield (*here, "on", heard), _unknown("o intent", heard, "intents")
        for digit, meant in state.menu.items():
            if not digit.isdigit():
                yield (*here, "menu", digit), f'a opção de menu "{digit}" precisa ser um número'
            if meant not in state.on and meant not in spec.anywhere:
                yield (
                    (*here, "menu", digit),
                    f'o intent "{meant}" do menu não está no "on" deste estado nem em "anywhere"',
                )
