"""An answer said beside asides: "Vou sim. Tem wifi na sala de espera? kkk", "Cancela, e me diz
se tenho que devolver a guia", "Eu vou, viu?".

The model reads a message whole, so an aside that says nothing of the appointment (a question
about fasting, a joke, a tag question, an apology for the delay) dilutes a clear answer, and a
long aside can drown it ("confirmo sim e queria saber se precisa ir em jejum?" read unknown at
1.00). :func:`answer_beside_asides` reads each piece of the message alone (a clause, or a side
of an "e"); when the pieces that answer all give the same answer and every other piece is
surely nothing (the model reads it unknown with confidence, and it holds no negation, hedge or
doubt that could qualify the answer), the answer pieces are what the message answers.

It is asked only when the whole message reads unclear (:mod:`bot.core.intents`), and never
overrides a whole reading that leans to the opposite answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.reply_features import HEDGES, NEGATORS, PEOPLE, correction_point, doubts
from bot.core.reply_model import ReplyModel
from bot.core.wording import Clause

__all__ = ["ANSWER_SURE", "ASIDE_SURE", "answer_beside_asides", "pieces"]

_UNKNOWN = "unknown"
# How surely a piece must read unknown to be an aside, and an answer to be one: a piece the
# model half reads ("ate mais" 0.69 unknown, 0.30 confirm) leaves the message read whole.
ASIDE_SURE = 0.75
ANSWER_SURE = 0.8
# How another question starts without a question mark, or after an "e" in the same clause
# ("Cancela, e *me diz* se tenho que devolver a guia", "confirmo sim e *queria saber* se
# precisa ir em jejum?"). Other clauses are not cut at "e": folded, "é" is "e" too.
_ASKING_STARTS = frozenset(
    {("me", "diz"), ("me", "fala"), ("me", "informa"), ("me", "explica"), ("me", "tira"),
     ("queria", "saber"), ("gostaria", "de"), ("quero", "saber"), ("preciso", "saber"),
     ("uma", "duvida"), ("so", "uma"), ("pergunta",), ("pergunto",), ("diz",), ("fala",)}
)  # fmt: skip
# Verbs of asking: the "se" after them asks whether ("me diz *se* tenho que devolver a guia",
# "queria saber *se* precisa de jejum"), it does not make the answer conditional.
_ASKING = frozenset(
    {"saber", "diz", "dizer", "fala", "falar", "informa", "informar", "explica", "pergunto",
     "perguntar", "duvida"}
)  # fmt: skip
# Tag questions that ask the answer back rather than aside from it ("não vou pagar, *né*?").
_ASKS_BACK = frozenset({"ne", "sera", "mesmo", "certeza"})
# Words that carry nothing: laughter, greetings ("Vou sim. Tem wifi na sala? *kkk*").
_LAUGHTER = re.compile(r"k+|(?:ha|he|hi|hua|ja|rs)+h?|a?h+a+|hu+m+|rs")
_GREETINGS = frozenset({"oi", "ola", "bom", "boa", "dia", "tarde", "noite"})
# A short courtesy or farewell ("*Tchau*, até a consulta", "vou desmarcar. *Valeu*", "*obrigado
# pela lembrança*"): the words that start one; the model must still read it as nothing.
_COURTESIES = frozenset(
    {"tchau", "xau", "valeu", "vlw", "obrigado", "obrigada", "obg", "brigado", "brigada",
     "grato", "grata", "bjs", "beijos", "beijo", "abraco", "abracos", "att", "atenciosamente",
     "ate", "boa", "bom", "feliz"}
)  # fmt: skip
_COURTESY_LENGTH = 4
# A piece that starts with these is about the answer, not one: "*antes de* confirmar, e me diz
# se atendem pelo plano?", "*depois* confirmo", "*pra* confirmar, e me fala o endereço".
_NOT_ANSWERS = frozenset({"antes", "depois", "pra", "para"})  # not "até": "até a consulta"
# Thanks for the message is an acknowledgement, not a courtesy: "Certo, obrigada pela
# *informação*" says the message arrived, and "certo" beside it does not confirm.
_RECEIVED = frozenset({"informacao", "mensagem", "lembrete", "aviso", "lembranca", "recado"})


def _asks(tokens: Sequence[str]) -> bool:
    return any(tuple(tokens[: len(start)]) == start for start in _ASKING_STARTS)


def pieces(parts: Sequence[Clause]) -> list[Clause]:
    """The clauses, each cut before an "e" that starts another question ("confirmo sim *e
    queria saber* se…?"), without that "e"; the pieces before such a cut are statements."""
    found: list[Clause] = []
    for clause in parts:
        tokens = clause.tokens
        cuts = [i for i, word in enumerate(tokens) if word == "e" and _asks(tokens[i + 1 :])]
        start = 0
        for cut in [*cuts, len(tokens)]:
            if cut > start:
                last = cut == len(tokens)
                found.append(Clause(tokens[start:cut], clause.question and last, clause.contrast))
            start = cut + 1
    return found


def _filler(tokens: Sequence[str]) -> bool:
    """Laughter, an emoji (the model still has to read it as nothing), a greeting, a short
    courtesy."""
    if tokens[0] in _COURTESIES and len(tokens) <= _COURTESY_LENGTH:
        return _RECEIVED.isdisjoint(tokens)
    return all(
        _LAUGHTER.fullmatch(word) or not word.isalnum() or word in _GREETINGS for word in tokens
    )


def _plain(tokens: Sequence[str]) -> bool:
    """No hedge, doubt or person that could qualify what is said ("vou, *talvez* atrase",
    "confirmo, *não sei* o endereço", "minha *mãe* vai"): two people are read elsewhere."""
    if doubts(tokens) or not PEOPLE.isdisjoint(tokens):
        return False
    return all(
        word not in HEDGES or (word == "se" and i and tokens[i - 1] in _ASKING)
        for i, word in enumerate(tokens)
    )


def _aside(piece: Clause) -> bool:
    """Another question ("precisa ir em jejum?", "me diz se tenho que devolver a guia") that
    does not ask the answer back ("vou, *né*?") nor say "não"; or laughter, an emoji, a
    greeting. Statements are not asides: "depois confirmo", "recebi o lembrete", "vou ver com
    meu marido" qualify the answer beside them."""
    tokens = piece.tokens
    if _filler(tokens):
        return True
    if piece.contrast or not (piece.question or _asks(tokens)):
        return False
    return _ASKS_BACK.isdisjoint(tokens) and NEGATORS.isdisjoint(tokens) and _plain(tokens)


def answer_beside_asides(model: ReplyModel, parts: Sequence[Clause]) -> list[Clause]:
    """The pieces of ``parts`` that answer, when they all give one answer surely and every other
    piece is surely an aside; nothing otherwise (and never for a message that corrects itself,
    whose last decision is read by the features)."""
    cut = pieces(parts)
    if len(cut) < 2 or correction_point(parts) is not None:
        return []
    answers: list[Clause] = []
    intents: set[str] = set()
    for piece in cut:
        reading = model.read("", [piece])
        if reading.intent == _UNKNOWN:
            if reading.confidence < ASIDE_SURE or not _aside(piece):
                return []
        elif (
            piece.question
            or reading.confidence < ANSWER_SURE
            or piece.tokens[0] in _NOT_ANSWERS
            or not _plain(piece.tokens)
        ):
            return []  # "desmarca?" asks the answer; "acho que vou" hedges it
        else:
            answers.append(piece)
            intents.add(reading.intent)
    return answers if len(intents) == 1 and len(answers) < len(cut) else []
