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
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pydantic
import yaml

from bot.core import schema_words
from bot.core.errors import FlowError
from bot.core.flow_names import name_problems, targets
from bot.core.flow_safety import safety_problems
from bot.core.flow_salvage import salvage
from bot.core.flow_spec import FlowSpec
from bot.core.intents import Fit, fit_here
from bot.core.machine import CompiledFlow
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
_WINDOW_HOURS = 24
_YAML_HINT = "YAML inválido: confira a indentação (espaços, nunca tab), os dois-pontos e as aspas"


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
                dupes.append(
                    (
                        line,
                        f'chave "{key}" repetida (a primeira está na linha {seen[key]}): '
                        "deixe uma só",
                    )
                )
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
            return None, {}, [(1, "o arquivo está vazio")]
        lines: dict[Path, int] = {(): node.start_mark.line + 1}
        dupes: list[tuple[int, str]] = []
        _walk(node, (), lines, dupes)
        return loader.construct_document(node), lines, dupes
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        return None, {}, [(line, f"{_YAML_HINT} ({error.problem or error})")]
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


def _graph(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    states = spec.states
    edges: dict[str, set[str]] = {name: set() for name in states}
    for path, target in targets(spec):
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
            yield (
                here,
                f'o estado "{name}" nunca é alcançado a partir de "{spec.initial}": '
                "leve algum estado até ele ou apague-o",
            )
        exits = state.on or state.timeout or state.next
        if state.terminal and exits:
            yield (
                here,
                f'o estado final "{name}" tem saídas (on, timeout, next) que nunca são usadas: '
                'apague-as ou tire "terminal: true"',
            )
        elif not state.terminal and not exits:
            yield (
                here,
                f'o estado "{name}" não é final e não tem saída: acrescente on, timeout ou next '
                '(ou "terminal: true")',
            )
        if state.waits and state.timeout is None:
            yield (
                here,
                f'o estado "{name}" espera o paciente mas não tem timeout: acrescente '
                '"timeout: {after: 24h, to: ESTADO}"',
            )
        if state.next is not None and state.on:
            yield (
                here,
                f'o estado "{name}" segue na hora (next), então o "on" dele nunca vale: '
                "deixe só um dos dois",
            )
        if state.menu and not state.waits:
            yield (
                (*here, "menu"),
                f'o estado "{name}" tem menu mas não espera resposta: o menu nunca é usado',
            )
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
                            f'a mensagem "{message}" pode sair fora da janela de 24 horas do '
                            "WhatsApp (sem resposta recente do paciente): ela precisa de um "
                            "modelo (template com content_sid)"
                        ),
                    )
            starts += [target.to for target in state.next or ()]


CONTRADICTED = 0.9  # an example the other examples read as another intent this surely


def _examples(flow: CompiledFlow) -> Iterator[tuple[Path, str]]:
    """Examples that cannot teach: labelled with two intents a state tells apart, or read as
    another intent even by the model that learnt from them (they contradict the others)."""
    understanding = flow.understanding
    for examples, model in understanding.readers():
        seen: dict[str, str] = {}
        for row, example in enumerate(examples):
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


def _semantic(spec: FlowSpec, *, strict: bool) -> list[tuple[Path, str]]:
    """Every check after the schema's. With a misspelt state name, "unreachable" and
    confirming-question reports about the state meant would only be noise: they wait
    until the names are right."""
    names = [*name_problems(spec), *message_problems(spec)]
    graph = list(_graph(spec))
    safety = list(safety_problems(spec, targets(spec)))
    if any(" não existe em states" in message for _, message in names):
        graph = [(path, message) for path, message in graph if "nunca é alcançado" not in message]
        safety = []  # which question confirms a cancellation depends on the moves named
    checks = [*names, *graph, *_business_initiated(spec), *safety]
    if strict:
        checks += _endings(spec)
    return checks


def load_flow(text: str, filename: str = "<flow>") -> FlowSpec:
    """Parse and check; FlowError listing every problem. For callers that want an exception."""
    result = check_flow(text, filename)
    if result.flow is None:
        problems = [str(p) for p in result.problems]
        raise FlowError(f"{filename}: {len(problems)} problem(s)", problems)
    return result.flow.spec


# The last few results, most recently used last, by the text's SHA-256 rather than the text:
# a memo keyed by the text kept it alive (the shipped confirmation flow, with one emoji, is a
# 2.8 MB str) in every serving process for nothing.
_CHECKED: dict[tuple[bytes, str, bool, Fit], CheckResult] = {}
_CHECKED_KEPT = 16
# A reload checks in a thread while the event loop may check an old stored version.
_CHECKED_LOCK = threading.Lock()


def check_flow(
    text: str, filename: str = "<flow>", *, strict: bool = True, fit: Fit = fit_here
) -> CheckResult:
    """Parse ``text`` (the content of ``filename``), check it and compile it when it is good.

    ``strict=False`` is for versions stored before a rule existed (a conversation still
    runs on them): rules added since (:func:`_endings`) are not applied to them.
    ``fit`` fits the reply models; a serving process fits them in a child process.
    Memoised: a flow's text compiles to one frozen result (its reply models are trained
    once), however many processes' reloads, tests and commands ask.
    """
    key = (hashlib.sha256(text.encode("utf-8")).digest(), filename, strict, fit)
    with _CHECKED_LOCK:
        result = _CHECKED.pop(key, None)
    if result is None:  # not under the lock: a check takes seconds (it fits the models)
        result = _check(text, filename, strict=strict, fit=fit)
    with _CHECKED_LOCK:
        _CHECKED[key] = result
        while len(_CHECKED) > _CHECKED_KEPT:
            del _CHECKED[next(iter(_CHECKED))]
    return result


def _check(text: str, filename: str, *, strict: bool, fit: Fit) -> CheckResult:
    data, lines, syntax = _parse(text)

    def problems_at(found: list[tuple[int, str]]) -> CheckResult:
        ordered = sorted(set(found))
        return CheckResult(None, tuple(Problem(filename, line, msg) for line, msg in ordered))

    if data is None:
        return problems_at(syntax or [(1, "o arquivo está vazio")])
    if not isinstance(data, dict):
        return problems_at(
            [(1, "um arquivo de fluxo é uma lista de chaves (flow:, states:, messages: …)")]
        )
    found = list(syntax)  # duplicate keys: reported, and the rest is still checked
    cut: frozenset[str] = frozenset()
    try:
        spec: FlowSpec | None = FlowSpec.model_validate(data)
    except pydantic.ValidationError as error:
        found += [
            (_line(lines, item["loc"]), schema_words.in_words(item)) for item in error.errors()
        ]
        spec, cut = salvage(data)
    if spec is not None:
        # What a cut part or a repeated key (its last copy wins) would make the later
        # checks say only repeats the first report: left out.
        repeated = {line for line, _ in syntax}
        found += [
            (line, message)
            for line, message in (
                (_line(lines, path), message) for path, message in _semantic(spec, strict=strict)
            )
            if line not in repeated and not any(f'"{name}"' in message for name in cut)
        ]
    if found or spec is None:
        return problems_at(found)
    try:
        flow = _compile(spec, flow_version(text), text, fit)
    except FlowError as error:
        return problems_at([(1, str(error))])
    taught = list(_examples(flow))
    if taught:
        return problems_at([(_line(lines, path), message) for path, message in taught])
    return CheckResult(flow, ())
