"""Checking a flow file before anything uses it: every problem as ``file:line: message``.

Three layers, each reported with the line of the YAML key it is about:
YAML syntax (and duplicate keys, which PyYAML would silently overwrite), the
pydantic model (unknown or misspelt keys, wrong types), and the static checks
below (unknown names, unreachable states, dead ends, waiting states without a
timeout, template variables that do not match the text). Parsing text is not
I/O: reading the file is the caller's job.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pydantic
import yaml

from bot.core import schema_words
from bot.core.errors import FlowError
from bot.core.flow_safety import safety_problems
from bot.core.flow_spec import FlowSpec, Target
from bot.core.machine import (
    ACTIONS,
    CONDITIONS,
    SIGNALS,
    TRIGGER_LATER,
    TRIGGER_NEXT,
    TRIGGER_TIMEOUT,
    CompiledFlow,
)
from bot.core.machine import compile_flow as _compile
from bot.core.message_check import message_problems

__all__ = [
    "CheckResult",
    "Problem",
    "check_flow",
    "flow_version",
    "line_of",
    "load_flow",
    "parse_spec",
]

Path = tuple[str, ...]
_RESERVED = frozenset({"unknown", TRIGGER_TIMEOUT, TRIGGER_NEXT, TRIGGER_LATER, *SIGNALS})
_WINDOW_HOURS = 24


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """A compiled flow when the file is good, else the problems (sorted by line)."""

    flow: CompiledFlow | None
    problems: tuple[Problem, ...]


def flow_version(text: str) -> str:
    """A flow version: the hash of the file's content."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. YAML 1.1 would read the key ``on:`` as True."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _walk(
    node: yaml.Node, path: Path, lines: dict[Path, int], dupes: list[tuple[int, str]]
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                dupes.append((line, f'duplicate key "{key}" (first on line {seen[key]})'))
            seen[key] = line
            lines[(*path, key)] = line
            _walk(value_node, (*path, key), lines, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, str(index))] = item.start_mark.line + 1
            _walk(item, (*path, str(index)), lines, dupes)


def _parse(text: str) -> tuple[Any, dict[Path, int], list[tuple[int, str]]]:
    """The YAML data, the line of every key and list item, and syntax problems."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}, [(1, "the file is empty")]
        lines: dict[Path, int] = {(): node.start_mark.line + 1}
        dupes: list[tuple[int, str]] = []
        _walk(node, (), lines, dupes)
        return loader.construct_document(node), lines, dupes
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, {}, [(line, f"YAML: {error.problem or error}")]
    finally:
        loader.dispose()


def line_of(text: str, *path: str) -> int:
    """The line of a key in a flow file (of its nearest parent when it is absent)."""
    return _line(_parse(text)[1], path)


def parse_spec(text: str) -> FlowSpec | None:
    """The flow as written, not compiled (no classifier training); None if it does not parse."""
    try:
        return FlowSpec.model_validate(_parse(text)[0])
    except pydantic.ValidationError:
        return None


def _line(lines: dict[Path, int], path: tuple[Any, ...]) -> int:
    parts = tuple(str(p) for p in path)
    while parts and parts not in lines:
        parts = parts[:-1]
    return lines.get(parts, 1)


def _targets(spec: FlowSpec) -> Iterator[tuple[Path, Target]]:
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


def _names(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """Every cross-reference, as (where, problem or '')."""
    states, intents, messages = spec.states, spec.intents, spec.messages
    if spec.initial not in states:
        yield ("initial",), f'initial state "{spec.initial}" is not defined'
    for name in intents:
        if name in _RESERVED:
            yield ("intents", name), f'"{name}" is reserved and cannot be an intent'
    for name, intent in intents.items():
        if not intent.examples and not intent.phrases and not intent.exact:
            yield ("intents", name), f'o intent "{name}" não tem examples nem exact'
    for path, target in _targets(spec):
        if target.to not in states:
            yield path, f'unknown state "{target.to}"'
        for action in target.do:
            if action not in ACTIONS:
                yield path, f'unknown action "{action}" (known: {", ".join(sorted(ACTIONS))})'
        for condition in target.when:
            if condition not in CONDITIONS:
                known = ", ".join(sorted(CONDITIONS))
                yield path, f'unknown condition "{condition}" (known: {known})'
    for name in spec.anywhere:
        if name not in intents:
            yield ("anywhere", name), f'unknown intent "{name}"'
    if spec.fallback.ask_again not in messages:
        yield ("fallback", "ask_again"), f'unknown message "{spec.fallback.ask_again}"'
    if spec.fallback.then not in states:
        yield ("fallback", "then"), f'unknown state "{spec.fallback.then}"'
    for name, state in states.items():
        here = ("states", name)
        for message in state.send:
            if message not in messages:
                yield (*here, "send"), f'unknown message "{message}"'
        if state.ask_again is not None and state.ask_again not in messages:
            yield (*here, "ask_again"), f'unknown message "{state.ask_again}"'
        for action in state.do:
            if action not in ACTIONS:
                known = ", ".join(sorted(ACTIONS))
                yield (*here, "do"), f'unknown action "{action}" (known: {known})'
        for heard in state.on:
            if heard not in intents and heard not in SIGNALS:
                yield (*here, "on", heard), f'unknown intent "{heard}"'
        for digit, meant in state.menu.items():
            if not digit.isdigit():
                yield (*here, "menu", digit), f'menu key "{digit}" is not a digit'
            if meant not in state.on and meant not in spec.anywhere:
                yield (*here, "menu", digit), f'menu intent "{meant}" is not handled in "on"'


def _graph(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    states = spec.states
    edges: dict[str, set[str]] = {name: set() for name in states}
    for path, target in _targets(spec):
        sources = [path[1]] if path[0] == "states" else [s for s in states]
        for source in sources:
            if path[0] == "states" or not states[source].terminal:
                edges[source].add(target.to)
    for name, state in states.items():
        if state.waits:
            edges[name].add(spec.fallback.then)
    seen, todo = set(), [spec.initial]
    while todo:
        current = todo.pop()
        if current in seen or current not in states:
            continue
        seen.add(current)
        todo.extend(edges[current])
    for name, state in states.items():
        here = ("states", name)
        if name not in seen:
            yield here, f'state "{name}" can never be reached from "{spec.initial}"'
        exits = state.on or state.timeout or state.next
        if state.terminal and exits:
            yield here, f'terminal state "{name}" has ways out that can never be taken'
        elif not state.terminal and not exits:
            yield here, f'state "{name}" is not terminal but has no way out (on, timeout, next)'
        if state.waits and state.timeout is None:
            yield here, f'state "{name}" waits for the patient but has no timeout'
        if state.next is not None and state.on:
            yield here, f'state "{name}" moves on at once (next), so its "on" never applies'
        if state.menu and not state.waits:
            yield (*here, "menu"), f'state "{name}" has a menu but does not wait for a reply'
        if state.later and not state.terminal:
            yield (
                (*here, "later"),
                f'o estado "{name}" não é final: "later" só vale em estado final',
            )


def _endings(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """No silence: every terminal state says what a message after the end does."""
    for name, state in spec.states.items():
        if state.terminal and not state.later:
            yield (
                ("states", name),
                (
                    f'o estado final "{name}" não diz o que acontece com uma mensagem que chegue '
                    'depois: acrescente "later: ESTADO" (um estado que responde em que pé as '
                    "coisas estão, ou que passa para a equipe)"
                ),
            )


def _business_initiated(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    """Messages sent with no recent reply must be templates (WhatsApp's 24-hour window)."""
    starts = [spec.initial]
    for state in spec.states.values():
        timeout = state.timeout
        if timeout is not None and timeout.delta.total_seconds() >= _WINDOW_HOURS * 3600:
            starts.append(timeout.to)
    seen: set[str] = set()
    while starts:
        name = starts.pop()
        if name in spec.states and name not in seen:
            seen.add(name)
            state = spec.states[name]
            for message in state.send:
                found = spec.messages.get(message)
                if found is not None and found.template is None:
                    yield (
                        ("states", name, "send"),
                        (
                            f'message "{message}" may be sent outside the 24-hour window '
                            "(no recent reply): it needs a template"
                        ),
                    )
            starts += [target.to for target in state.next or ()]


CONTRADICTED = 0.9  # an example the other examples read as another intent this surely


def _examples(flow: CompiledFlow) -> Iterator[tuple[Path, str]]:
    """Examples that cannot teach: labelled with two intents a state tells apart, or read as
    another intent even by the model that learnt from them (they contradict the others)."""
    understanding = flow.understanding
    for group, model in understanding.models.items():
        seen: dict[str, str] = {}
        for row, example in enumerate(understanding.training_set(group)):
            first = seen.setdefault(understanding.key(example.text), example.intent)
            if first != example.intent:
                yield (
                    example.origin,
                    (
                        f'o exemplo "{example.text}" está em "{first}" e em "{example.intent}": '
                        "deixe-o em um só"
                    ),
                )
                continue
            reading = model.fitted_reading(row)
            if reading.intent != example.intent and reading.confidence >= CONTRADICTED:
                yield (
                    example.origin,
                    (
                        f'o exemplo "{example.text}" ({example.intent}) é lido como '
                        f'"{reading.intent}" com {reading.confidence:.0%} de certeza, mesmo depois '
                        "de aprender com ele: os outros exemplos dizem o contrário; corrija o "
                        "intent ou o exemplo"
                    ),
                )


def load_flow(text: str, filename: str = "<flow>") -> FlowSpec:
    """Parse and check; FlowError listing every problem. For callers that want an exception."""
    result = check_flow(text, filename)
    if result.flow is None:
        problems = [str(p) for p in result.problems]
        raise FlowError(f"{filename}: {len(problems)} problem(s)", problems)
    return result.flow.spec


@lru_cache(maxsize=16)
def check_flow(text: str, filename: str = "<flow>", *, strict: bool = True) -> CheckResult:
    """Parse ``text`` (the content of ``filename``), check it and compile it when it is good.

    ``strict=False`` is for versions stored before a rule existed (a conversation still
    runs on them): rules added since (:func:`_endings`) are not applied to them.
    Memoised: a flow's text compiles to one frozen result (its reply models are trained
    once), however many processes' reloads, tests and commands ask.
    """
    data, lines, syntax = _parse(text)

    def problems_at(found: list[tuple[int, str]]) -> CheckResult:
        ordered = sorted(set(found))
        return CheckResult(None, tuple(Problem(filename, line, msg) for line, msg in ordered))

    if syntax:
        return problems_at(syntax)
    if not isinstance(data, dict):
        return problems_at([(1, "a flow file is a mapping (flow:, states:, messages: ...)")])
    try:
        spec = FlowSpec.model_validate(data)
    except pydantic.ValidationError as error:
        found = []
        for item in error.errors():
            found.append((_line(lines, item["loc"]), schema_words.in_words(item)))
        return problems_at(found)
    checks = [*_names(spec), *message_problems(spec)]
    if not checks:  # with a misspelt state, "unreachable" reports would only be noise
        checks = [*_graph(spec), *_business_initiated(spec), *safety_problems(spec, _targets(spec))]
        if strict:
            checks += _endings(spec)
    if checks:
        return problems_at([(_line(lines, path), message) for path, message in checks])
    try:
        flow = _compile(spec, flow_version(text), text)
    except FlowError as error:
        return problems_at([(1, str(error))])
    taught = list(_examples(flow))
    if taught:
        return problems_at([(_line(lines, path), message) for path, message in taught])
    return CheckResult(flow, ())
