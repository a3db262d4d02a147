"""The words a flow picture uses: what a patient (or the robot) did, in Portuguese.

Intent names are the flow's own; the shipped ones have words here, and a name
a clinic invents shows with its underscores as spaces. Conditions come from the
closed registry in :mod:`bot.core.machine`, so every one of them has words.
"""

from __future__ import annotations

import textwrap

from bot.core.flow_spec import parse_duration

__all__ = [
    "condition_words",
    "duration_words",
    "intent_words",
    "otherwise_words",
    "wrap",
]

_INTENTS = {
    "confirm": "confirma",
    "cancel": "desmarca",
    "reschedule": "quer remarcar",
    "opt_out": "não quer mensagens",
    "yes": "sim",
    "no": "não",
    "slot_chosen": "escolhe um horário",
    "slot_none": "nenhum horário serve",
    "slot_held": "horário reservado",
    "slot_taken": "horário já ocupado",
    "move_applied": "robô remarcou",
    "move_failed": "robô não conseguiu",
    "hold_expired": "reserva expirou",
    "great": "ótimo",
    "good": "bom",
    "fair": "regular",
    "bad": "ruim",
    "awful": "péssimo",
}

_CONDITIONS = {
    "single_appointment": "uma consulta",
    "several_appointments": "várias consultas",
    "cancelled": "se já desmarcou",
    "confirmed": "se já confirmou",
    "not_cancelled": "se não desmarcou",
    "may_confirm": "se ainda pode confirmar",
    "said_firmly": "por botão ou palavra exata",
    "also_confirms": "e também confirma",
    "slots_offered": "se há horários livres",
    "first_failed_move": "na primeira falha",
}

# What "otherwise" means after a target guarded by this one condition.
_OTHERWISE = {
    "single_appointment": "várias consultas",
    "several_appointments": "uma consulta",
    "cancelled": "se não desmarcou",
    "not_cancelled": "se já desmarcou",
    "said_firmly": "em texto livre",
    "slots_offered": "sem horários livres",
    "first_failed_move": "na segunda falha",
}

_UNITS = {"s": "s", "m": " min", "h": "h", "d": " dias"}


def intent_words(intent: str) -> str:
    """``cancel`` -> ``desmarca``; an intent without words shows its name as words."""
    return _INTENTS.get(intent, intent.replace("_", " "))


def condition_words(condition: str) -> str:
    """``slots_offered`` -> ``se há horários livres``."""
    return _CONDITIONS.get(condition, condition.replace("_", " "))


def otherwise_words(conditions: tuple[str, ...]) -> str:
    """Words for the target that follows one guarded by ``conditions`` ("senão" by default)."""
    if len(conditions) == 1 and conditions[0] in _OTHERWISE:
        return _OTHERWISE[conditions[0]]
    return "senão"


def duration_words(after: str) -> str:
    """``24h`` -> ``24h``, ``30m`` -> ``30 min``, ``1d`` -> ``1 dia``, ``2d`` -> ``2 dias``."""
    parse_duration(after)  # a flow that loaded has valid durations; this keeps it honest
    number, unit = after.strip()[:-1].strip(), after.strip()[-1]
    if unit == "d" and number == "1":
        return "1 dia"
    return number + _UNITS[unit]


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters (a longer word stays whole)."""
    return textwrap.wrap(" ".join(text.split()), width, break_long_words=False) or [""]
