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
                known = ", ".join(VARIABLES)
                yield (*here, "text"), f'unknown variable "{{{variable}}}" (known: {known})'
        if message.buttons and message.template is None:
            yield (*here, "buttons"), "buttons need a template (content_sid)"
        for i, button in enumerate(message.buttons):
            if button.intent not in spec.intents:
                yield (*here, "buttons", str(i)), f'unknown intent "{button.intent}"'
            if button_intents.setdefault(button.id, button.intent) != button.intent:
                yield (*here, "buttons", str(i)), f'button id "{button.id}" means two intents'
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
                    known = ", ".join(VARIABLES)
                    yield (*there, "text"), f'unknown variable "{{{variable}}}" (known: {known})'
            if (message.template is None) != (plural.template is None):
                yield (
                    there,
                    "a forma plural precisa de um modelo (template) quando a mensagem tem um, "
                    "e só nesse caso",
                )
            yield from _template(there, plural.text, plural.template)


def _template(here: Path, text: str, template: Template | None) -> Iterator[tuple[Path, str]]:
    """The template's variables are exactly the text's."""
    if template is None:
        return
    used = placeholders(text)
    declared = template.variables
    for slot, variable in declared.items():
        if variable not in VARIABLES:
            yield (*here, "template", "variables", slot), f'unknown variable "{variable}"'
    if set(declared.values()) != set(used):
        yield (
            (*here, "template", "variables"),
            (
                f"template variables {sorted(set(declared.values()))} do not match "
                f"the text's {sorted(set(used))}"
            ),
        )
