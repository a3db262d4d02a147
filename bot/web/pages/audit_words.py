"""The audit log's actions as staff read them ("Respondeu ao paciente", not ``handoff.reply``)."""

from __future__ import annotations

__all__ = ["in_words"]

_WORDS = {
    "login": "Entrou no console",
    "logout": "Saiu do console",
    "handoff.reply": "Respondeu ao paciente",
    "handoff.reply_refused": "Resposta recusada (fora da janela de 24 h)",
    "handoff.close": "Encerrou a conversa",
    "handoff.give_back": "Devolveu a conversa ao robô",
    "handoff.outcome.confirmed": "Registrou: o paciente confirmou",
    "handoff.outcome.cancelled": "Registrou: o paciente desmarcou (cancelamento para o robô)",
    "handoff.outcome.reschedule": "Registrou: o paciente quer remarcar",
    "handoff.outcome.opted_out": "Registrou: o paciente não quer mensagens",
    "dead_letter.requeue": "Reenviou uma mensagem que tinha falhado",
    "staff.create": "Criou uma conta da equipe",
    "staff.disable": "Desativou uma conta da equipe",
    "staff.enable": "Reativou uma conta da equipe",
    "staff.reset_password": "Trocou a senha de uma conta da equipe",
}


def in_words(action: str) -> str:
    """What ``action`` means in Portuguese; an unknown one is shown as recorded."""
    return _WORDS.get(action, action)
