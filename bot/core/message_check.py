"""Checks of a flow's messages: variables, templates, buttons, and plural forms that agree.

Each problem is ``(path, message)``; :mod:`bot.core.flow_check` turns the
path into the file line.
"""

from __future__ import annotations

from collections.abc import Iterator

from bot.core.agreement import singular_agreement
from bot.core.flow_spec import FlowSpec, Template
from bot.core.render import VARIABLES, placeholders

__all__ = ["message_problems"]

Path = tuple[str, ...]


def message_problems(spec: FlowSpec) -> Iterator[tuple[Path, str]]:
    button_intents: dict[str, str] = {}
    for name, message in spec.messages.items():
        here = ("messages", name)
        used = placeholders(message.text)
        for variable in used:
            if variable not in VARIABLES:
                yield (*here, "text"), _unknown_variable(variable)
        if message.buttons and message.template is None:
            yield (
                (*here, "buttons"),
                "botões só saem com um modelo: acrescente template com content_sid",
            )
        for i, button in enumerate(message.buttons):
            if button.intent not in spec.intents:
                yield (
                    (*here, "buttons", str(i)),
                    f'o intent "{button.intent}" não existe em intents: confira o nome',
                )
            if button_intents.setdefault(button.id, button.intent) != button.intent:
                yield (
                    (*here, "buttons", str(i)),
                    f'o botão de id "{button.id}" leva a dois intents diferentes: use outro id',
                )
        yield from _template(here, message.text, message.template)
        plural = message.plural
        agreeing = singular_agreement(message.text)
        if agreeing is not None and plural is None:
            yield (
                (*here, "text"),
                (
                    f'"{agreeing}" concorda com {{appointment_phrase}} só no singular: com duas '
                    f'consultas ficaria "suas 2 consultas {agreeing}". Acrescente "plural:" com '
                    'o texto no plural ("foram desmarcadas")'
                ),
            )
        if plural is not None:
            there = (*here, "plural")
            for variable in placeholders(plural.text):
                if variable not in VARIABLES:
                    yield (*there, "text"), _unknown_variable(variable)
            if (message.template is None) != (plural.template is None):
                yield (
                    there,
                    "a forma plural precisa de um modelo (template) quando a mensagem tem um, "
                    "e só nesse caso",
                )
            yield from _template(there, plural.text, plural.template)


def _unknown_variable(variable: str) -> str:
    known = ", ".join(f"{{{name}}}" for name in VARIABLES)
    return f'a variável "{{{variable}}}" não existe (use uma destas: {known})'


def _template(here: Path, text: str, template: Template | None) -> Iterator[tuple[Path, str]]:
    """The template's variables are exactly the text's."""
    if template is None:
        return
    used = placeholders(text)
    declared = template.variables
    for slot, variable in declared.items():
        if variable not in VARIABLES:
            yield (
                (*here, "template", "variables", slot),
                f'a variável "{variable}" não existe (use uma destas: {", ".join(VARIABLES)})',
            )
    if set(declared.values()) != set(used):
        yield (
            (*here, "template", "variables"),
            (
                f"as variáveis do modelo ({', '.join(sorted(set(declared.values()))) or 'nenhuma'}) "
                f"não são as do texto ({', '.join(sorted(set(used))) or 'nenhuma'}): "
                "deixe as mesmas nos dois"
            ),
        )
