"""Does a flow message's WhatsApp template at Twilio match the flow? Pure comparisons.

``digitaly templates check`` (:mod:`bot.cli.templates`) fetches each template
from Twilio's Content API and asks :func:`template_problems`; the problems are
in Portuguese, for the clinic staff who edit the flows.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.flow_spec import Message

__all__ = ["RemoteTemplate", "template_problems"]


@dataclass(frozen=True, slots=True)
class RemoteTemplate:
    """What Twilio's Content API says of one template."""

    sid: str
    variables: frozenset[str]  # the template's slots ("1", "2" ...)
    button_ids: frozenset[str]  # its quick-reply ids (what a tap sends as ButtonPayload)
    approval: str | None  # WhatsApp's approval status; None: never submitted


def template_problems(name: str, message: Message, remote: RemoteTemplate | None) -> list[str]:
    """What is wrong between message ``name`` and its template at Twilio (empty: nothing)."""
    template = message.template
    if template is None:
        return []
    sid = template.content_sid
    here = f'mensagem "{name}": modelo {sid}'
    if remote is None:
        return [f"{here} não existe na Twilio (confira o content_sid)"]
    problems = []
    if remote.approval != "approved":
        status = remote.approval or "nunca enviado para aprovação"
        problems.append(f"{here} não está aprovado para WhatsApp (situação: {status})")
    ours = frozenset(template.variables)
    if ours != remote.variables:
        problems.append(
            f"{here} tem as variáveis {_listed(remote.variables)}, "
            f"mas o fluxo preenche {_listed(ours)}"
        )
    buttons = frozenset(b.id for b in message.buttons)
    if buttons != remote.button_ids:
        problems.append(
            f"{here} tem os botões {_listed(remote.button_ids)}, "
            f"mas o fluxo espera {_listed(buttons)}"
        )
    return problems


def _listed(items: frozenset[str]) -> str:
    return ", ".join(sorted(items, key=lambda i: (len(i), i))) if items else "(nenhum)"
