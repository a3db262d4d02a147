"""A question about the visit after a "mas": the answer stands ("vou sim, mas onde fica?").

A question after "mas" may take the answer back ("ok, *mas qual consulta*?", "sim, *mas é com a
Dra. Paula mesmo*?") or propose another visit ("sim, *mas chego 14h40, pode ser*?"); then the
patient has not answered yet, and is asked again. But a question about *how* to come, asked by
someone who said plainly that they come ("Eu vou, *mas posso levar meu neto*?", "confirmo,
*mas que horas tenho que chegar*?", "não, *mas quero saber se tem estacionamento*"), asks what
a receptionist answers beside the answer: where, when to arrive, what to bring, who may come
along, what it costs. :func:`visit_question` tells that shape by its words; the answer beside
it must say more than an acknowledgement (:func:`bare_acknowledgement`: "ok, mas qual
andar?" may be a "got it" before a question, and the writers read it as unknown).

An aside can also be announced: "Vou sim. *Aproveitando*, a doutora atende pelo plano? Mudei
de plano", "Confirmo. *Aproveito para* informar que mudei de endereço" (:func:`opens_aside`):
what follows is another errand, not a condition on the answer before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.wording import Clause

__all__ = ["bare_acknowledgement", "checks_after_but", "opens_aside", "visit_question"]

# Asking where, when to arrive, how much, how to get there ("*onde* fica?", "*que horas*?").
_ASKING_HOW = frozenset({"onde", "quanto", "quanta", "quantos", "como", "cade"})
_WHICH = frozenset({"qual", "quais", "que"})
_WHICH_ALONE = frozenset({"qual", "quais"})
# After "qual"/"que": asking which appointment, doctor or day is not asking how to come
# ("qual consulta?", "que médico?"): the patient is not sure what they answered.
_WHICH_APPOINTMENT = frozenset(
    {"consulta", "consultas", "medico", "medica", "doutor", "doutora", "dr", "dra", "dia",
     "data", "especialidade", "exame", "retorno", "agendamento", "marcacao"}
)  # fmt: skip
_WHICH_REACH = 3  # "qual *é o* endereço", "que *horas*"
# What one brings, needs or asks about on the way to the visit.
_VISIT_WORDS = frozenset(
    {"levar", "levo", "leva", "trazer", "trago", "traz", "jejum", "exames", "documento",
     "documentos", "cartao", "carteirinha", "guia", "pedido", "receita", "acompanhante",
     "junto", "acompanhar", "estacionamento", "endereco", "andar", "sala", "rampa", "elevador",
     "pagar", "pago", "valor", "preco", "particular", "convenio", "plano", "chegar", "entrar",
     "horas", "preciso", "precisa", "antecedencia", "wifi", "lanche", "comer"}
)  # fmt: skip
# A question that proposes a change or checks the appointment asks the answer back:
# "chego 14h40, pode ser?", "dá pra trocar pra 16h?", "é com a Dra. Paula mesmo?".
_CHANGES = frozenset(
    {"chego", "atraso", "atrasar", "atrasado", "atrasada", "atrasos", "trocar", "troca",
     "mudar", "muda", "remarcar", "remarca", "adiantar", "outro", "outra", "certeza",
     "desmarcar", "cancelar", "confirmar", "confirmado", "confirmada"}
)  # fmt: skip
# Words that only say the message arrived or agree to hear more ("ok", "blz", "👍").
_ACKNOWLEDGEMENTS = frozenset(
    {"ok", "okay", "okey", "blz", "beleza", "certo", "ta", "tabom", "bom", "joia", "entendi",
     "hum", "hm", "ah", "\U0001f44d", "\U0001f44c", "oi", "ola"}
)  # fmt: skip


def _asks_how(tokens: Sequence[str]) -> bool:
    for i, word in enumerate(tokens):
        if word in _ASKING_HOW:
            return True
        after = tokens[i + 1 : i + 1 + _WHICH_REACH]
        if word in _WHICH and _WHICH_APPOINTMENT.isdisjoint(after):
            return word in _WHICH_ALONE or "horas" in after  # "que": only "que horas"
    return False


def visit_question(tokens: Sequence[str]) -> bool:
    """A question about how to come to the visit (where, when to arrive, what to bring, who
    may come along, what it costs), not one that checks or changes the appointment."""
    if not _CHANGES.isdisjoint(tokens):
        return False
    return _asks_how(tokens) or not _VISIT_WORDS.isdisjoint(tokens)


def bare_acknowledgement(tokens: Sequence[str]) -> bool:
    """Only words of acknowledgement ("ok", "blz", "tá bom", 👍): heard, not yet answered."""
    return set(tokens) <= _ACKNOWLEDGEMENTS


# "*Aproveitando*, …", "*já aproveito pra* perguntar…", "*aproveito para* informar…".
_ASIDE_OPENERS = frozenset({"aproveitando", "aproveito", "aproveitar"})
_ASIDE_LEAD = frozenset({"ja", "e", "so"})


def opens_aside(tokens: Sequence[str]) -> bool:
    """A piece that opens another errand after the answer ("aproveitando, …")."""
    start = 1 if tokens[:1] and tokens[0] in _ASIDE_LEAD else 0
    return len(tokens) > start and tokens[start] in _ASIDE_OPENERS


# Checking the appointment itself: "sim, mas é com a Dra. Paula *mesmo*?", "*certeza*?".
_CHECKING = frozenset({"mesmo", "certeza"})


def checks_after_but(parts: Sequence[Clause]) -> bool:
    """An answer, then a question after "mas" that checks the appointment rather than asks
    how to come ("Sim, mas é com a Dra. Paula mesmo?", the question cut at "Dra."): not
    settled yet, asked again."""
    for at in range(1, len(parts)):
        if not parts[at].contrast:
            continue
        asked = next((i for i in range(at, len(parts)) if parts[i].question), None)
        if asked is None:
            continue
        tokens = [t for clause in parts[at : asked + 1] for t in clause.tokens]
        if not _CHECKING.isdisjoint(tokens) and not visit_question(tokens):
            return True
    return False
