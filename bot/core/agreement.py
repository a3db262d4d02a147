"""Portuguese agreement with ``{appointment_phrase}``: "sua consulta foi" / "suas 2 consultas foram".

``{appointment_phrase}`` is singular or plural depending on how many
appointments a conversation covers, so a verb or participle that agrees with
it must change too. A message whose words agree in the singular needs a
``plural:`` form; :func:`singular_agreement` finds such a word for the checker.
"""

from __future__ import annotations

import re

__all__ = ["singular_agreement"]

# Verbs and participles that agree with "sua consulta" (the singular); the plural
# ("foram", "estão", "desmarcadas") is the plural form's business.
_SINGULAR = frozenset(
    {
        "foi",
        "está",
        "esta",
        "continua",
        "fica",
        "ficou",
        "será",
        "sera",
        "marcada",
        "desmarcada",
        "confirmada",
        "cancelada",
        "remarcada",
        "mantida",
        "agendada",
    }
)
# From the phrase to the end of its sentence (a date in between is part of the subject).
_SUBJECT = re.compile(r"\{appointment_phrase\}([^.?!:;]*)")
_WORD = re.compile(r"[\wÀ-ú]+")


def singular_agreement(text: str) -> str | None:
    """The first word after ``{appointment_phrase}``, in its sentence, that agrees only with
    the singular ("foi", "desmarcada"); None when the sentence reads right either way."""
    for match in _SUBJECT.finditer(text):
        words: list[str] = _WORD.findall(match.group(1))
        for word in words:
            if word.lower() in _SINGULAR:
                return word
    return None
