"""The answer among the other parts of a message: questions, courtesies, reasons.

The model reads a message whole, so a clear answer beside other things ("Vou sim. Tem wifi na
sala de espera? kkk", "Desmarca, por favor. Vocês devolvem o pix?", "Valeu, vou desmarcar. Até
a próxima!") can read unclear. :func:`answer_part` cuts the message into pieces (a clause, or
the side of an "e" that starts another question: "confirmo sim *e queria saber* se…?"), reads
each alone, and gives each a role, as a receptionist would:

- an **answer**: a statement the model reads surely as an answer, plainly (an answer hedged or
  said for someone else, or doubt said outright, is **qualified**);
- a **condition** on the answer: a branch ("*se* tiver estacionamento eu vou"), an answer
  with its condition ("confirmo *se* aceitarem o plano?"), a piece about the answer rather
  than one ("*antes de* confirmar…", "*depois* confirmo", "*pra* confirmar…", "*depende*");
- a **question** aside: anything asked that is not the answer **asked back** (a question that
  reads as an answer, a tag "né?", a question after "mas", doubt);
- a **courtesy**: a greeting, thanks, laughter, an emoji, a short farewell;
- a **reason**: any other statement ("Desmarca. *Meu marido foi preso…*").

The message answers by its answer pieces (with the reasons said before any question) when
something stands beside them (a question or a courtesy), they all give one answer, and
nothing makes it depend on something else. It abstains (nothing: the whole reading stands)
when any piece conditions the answer, when the answers disagree, when a question after the
answer asks it back ("vou sim, *né*?") or follows a "mas" ("ok, *mas qual consulta*?"; asked
back before the answer, it is a protest the answer settles: "Cancela? Que nada, vou sim"),
when a piece is qualified, or when a reason follows a question (it may answer that question:
"A consulta é de retorno? Não vou pagar de novo") or follows the answer after a "mas" ("Eu
vou *mas tenho outra consulta*, como faz?").

It is asked only when the whole message reads unclear (:mod:`bot.core.intents`), never
over a message that corrects itself (the features read its last decision).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from bot.core.intent_names import UNKNOWN
from bot.core.reply_features import HEDGES, PEOPLE, correction_point, doubts
from bot.core.reply_model import ReplyModel
from bot.core.reply_shapes import conditional_branch
from bot.core.reply_visit import bare_acknowledgement, opens_aside, visit_question
from bot.core.wording import Clause

__all__ = ["ANSWER_SURE", "ASIDE_SURE", "Part", "Role", "answer_part", "parts_of", "pieces"]

# How surely a piece must read unknown to be an aside, and an answer to be one: a piece the
# model half reads ("ate mais" 0.69 unknown, 0.30 confirm) is a reason, not an answer.
ASIDE_SURE = 0.75
ANSWER_SURE = 0.8


class Role(Enum):
    """What a piece of a message is, as a receptionist reads it."""

    ANSWER = "answer"
    CONDITION = "condition"
    QUESTION = "question"
    ASKED_BACK = "asked_back"  # the answer asked back, a tag, a question after "mas"
    COURTESY = "courtesy"
    REASON = "reason"
    QUALIFIED = "qualified"  # an answer hedged or spoken for someone else; doubt said outright


# Pieces that make the answer wait on something, or say it is not one yet: abstain.
_ABSTAIN = frozenset({Role.CONDITION, Role.ASKED_BACK, Role.QUALIFIED})
# Pieces beside an answer that can dilute the whole reading.
_BESIDE = frozenset({Role.QUESTION, Role.COURTESY})


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
_TAG_LENGTH = 2  # "né?", "tem certeza?": not "onde fica a unidade *mesmo*?"
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
# se atendem pelo plano?", "*depois* confirmo", "*pra* confirmar, e me fala o endereço",
# "*depende*, tem estacionamento?". (Not "até": "até a consulta" is a farewell.)
_PUT_OFF = frozenset({"antes", "depois", "pra", "para"})
_PUT_OFF_REACH = 2  # "antes *de confirmar*", "depois *eu confirmo*"
_DEPENDS = frozenset({"depende", "dependendo"})
_IF = frozenset({"se", "caso"})
# Thanks for the message is an acknowledgement, not a courtesy: "Certo, obrigada pela
# *informação*" says the message arrived, and "certo" beside it does not confirm.
_RECEIVED = frozenset({"informacao", "mensagem", "lembrete", "aviso", "lembranca", "recado"})


def _asks(tokens: Sequence[str]) -> bool:
    if tokens[:1] == ("eu",):  # "mas *eu* queria saber se…"
        tokens = tokens[1:]
    return any(tuple(tokens[: len(start)]) == start for start in _ASKING_STARTS)


def pieces(parts: Sequence[Clause]) -> list[Clause]:
    """The clauses, each cut before an "e" that starts another question ("confirmo sim *e
    queria saber* se…?"), without that "e"; the pieces before such a cut are statements."""
    found: list[Clause] = []
    for clause in parts:
        tokens = clause.tokens
        cuts = [
            i
            for i, word in enumerate(tokens)
            if word == "e" and (_asks(tokens[i + 1 :]) or opens_aside(tokens[i + 1 :]))
        ]
        start = 0
        for cut in [*cuts, len(tokens)]:
            if cut > start:
                last = cut == len(tokens)
                found.append(Clause(tokens[start:cut], clause.question and last, clause.contrast))
            start = cut + 1
    return found


def _courtesy(tokens: Sequence[str]) -> bool:
    """Laughter, an emoji, a greeting, a short courtesy (not thanks for the message)."""
    if tokens[0] in _COURTESIES and len(tokens) <= _COURTESY_LENGTH:
        return _RECEIVED.isdisjoint(tokens)
    return all(
        _LAUGHTER.fullmatch(word) or not word.isalnum() or word in _GREETINGS for word in tokens
    )


def _hedged(tokens: Sequence[str]) -> bool:
    """A hedge, doubt or person that qualifies what is said ("vou, *talvez* atrase", "confirmo,
    *não sei* o endereço", "minha *mãe* vai"); a "se" after a verb of asking asks whether."""
    if doubts(tokens) or not PEOPLE.isdisjoint(tokens):
        return True
    return any(
        word in HEDGES and not (word == "se" and i and tokens[i - 1] in _ASKING)
        for i, word in enumerate(tokens)
    )


def _answers(model: ReplyModel, tokens: Sequence[str]) -> bool:
    reading = model.read("", [Clause(tuple(tokens), False)])
    return reading.intent != UNKNOWN and reading.confidence >= ANSWER_SURE


def _conditioned(model: ReplyModel, tokens: Sequence[str]) -> bool:
    """A piece that makes the answer wait on something: a branch of a condition ("se tiver
    vaga eu vou"), "depende", an answer put off or made a purpose ("*antes de* confirmar",
    "*depois* confirmo", "*pra* confirmar"; not "pra eu não achar que é golpe"), or an answer
    said with its condition ("confirmo *se* aceitarem o plano", "vou sim *caso* não chova":
    the words before the "se" answer; not "quando as coisas *se* ajeitarem")."""
    if conditional_branch(tokens) or tokens[0] in _DEPENDS:
        return True
    if tokens[0] in _PUT_OFF and any(
        _answers(model, tokens[1 : reach + 1]) for reach in range(1, _PUT_OFF_REACH + 1)
    ):
        # "pra confirmar preciso saber…": the answer right after the word, read without it
        # (examples teach "antes de confirmar…" as no answer, and rightly so)
        return True
    return any(
        word in _IF and tokens[i - 1] not in _ASKING and _answers(model, tokens[:i])
        for i, word in enumerate(tokens[1:], start=1)
    )


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of the message, its role, and what the model reads in it alone."""

    clause: Clause
    role: Role
    intent: str


def _part(model: ReplyModel, piece: Clause) -> Part:
    tokens = piece.tokens
    reading = model.read("", [piece])
    intent = reading.intent
    if _conditioned(model, tokens):
        return Part(piece, Role.CONDITION, intent)
    answers = intent != UNKNOWN and reading.confidence >= ANSWER_SURE
    if piece.question or _asks(tokens):
        tag = len(tokens) <= _TAG_LENGTH and not _ASKS_BACK.isdisjoint(tokens)
        aside = piece.contrast and visit_question(tokens)  # "vou, mas onde fica?"
        back = (piece.contrast and not aside) or answers or tag or doubts(tokens)
        # "desmarca?", "vou, né?", "ok, mas qual consulta?", "não sei onde fica, é longe?"
        return Part(piece, Role.ASKED_BACK if back else Role.QUESTION, intent)
    if intent == UNKNOWN and reading.confidence >= ASIDE_SURE and _courtesy(tokens):
        return Part(piece, Role.COURTESY, intent)
    if answers:
        return Part(piece, Role.QUALIFIED if _hedged(tokens) else Role.ANSWER, intent)
    # "Confirmo, não sei onde fica": doubt qualifies the answer beside it.
    return Part(piece, Role.QUALIFIED if doubts(tokens) else Role.REASON, intent)


def parts_of(model: ReplyModel, parts: Sequence[Clause]) -> list[Part]:
    """Each piece of ``parts`` (:func:`pieces`) with its role."""
    return [_part(model, piece) for piece in pieces(parts)]


def _before_aside(found: list[Part]) -> tuple[list[Part], bool]:
    """The parts before an aside that the writer opens after answering ("Confirmo.
    *Aproveitando*, a doutora atende pelo plano? Mudei de plano"; :func:`opens_aside`), and
    whether one was cut; an aside that leans to another answer ("Aproveitando, pode desmarcar
    a de sexta?") is not cut off."""
    at = next((i for i, part in enumerate(found) if opens_aside(part.clause.tokens)), None)
    if not at:
        return found, False
    said = {part.intent for part in found[:at] if part.role is Role.ANSWER}
    if any(part.intent not in said | {UNKNOWN} for part in found[at:]):
        return found, False
    return found[:at], True


def answer_part(model: ReplyModel, parts: Sequence[Clause]) -> list[Clause]:
    """The pieces that answer, with the reasons said before any question; or nothing, and the
    whole reading stands: nothing beside the answer, or it waits on something (abstain)."""
    if correction_point(parts) is not None:
        return []  # the features read the last decision
    found, aside = _before_aside(parts_of(model, parts))
    roles = {part.role for part in found}
    if Role.ANSWER not in roles:
        return []
    first = next(i for i, part in enumerate(found) if part.role is Role.ANSWER)
    # An answer word asked back before the answer is a protest the answer settles ("Como
    # assim desmarcar? Eu vou!"); asked after it, it asks the answer back ("vou, né?").
    late = {part.role for part in found[first:]}
    if (roles - {Role.ASKED_BACK}) & _ABSTAIN or Role.ASKED_BACK in late:
        return []
    if not aside and not roles & (_BESIDE | {Role.ASKED_BACK}):
        return []
    answers = [part for part in found if part.role is Role.ANSWER]
    if len({part.intent for part in answers}) != 1:
        return []  # the answers disagree
    if any(p.role is Role.QUESTION and p.clause.contrast for p in found) and all(
        bare_acknowledgement(part.clause.tokens) for part in answers
    ):
        return []  # "ok, mas qual andar?": heard, then asked (reply_visit)
    asked = answered = False
    for part in found:
        if part.role is Role.REASON and (asked or (answered and part.clause.contrast)):
            return []  # it may answer the question before it, or overrule the answer
        asked = asked or part.role is Role.QUESTION
        answered = answered or part.role is Role.ANSWER
    return [part.clause for part in found if part.role in (Role.ANSWER, Role.REASON)]
