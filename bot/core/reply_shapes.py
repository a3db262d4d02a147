"""Shapes of a message that are not a plain answer, whatever its words say.

Each is told by the message's structure (questions, menu numbers, conditions, clauses), the
model reading only its pieces; each makes the reply unknown (asked again), never an answer:

- :func:`asked_back`: an answer word asked back ("desmarca?", "mantém?", "confirma o quê?",
  "cancelar por quê?"): the writer asks what we mean, they do not answer. A request asked
  politely keeps more than the answer word ("pode desmarcar?", "desmarca sim?"): the model
  reads it;
- :func:`menu_against_words`: a menu number beside words that answer the other way ("sim 2",
  "2, confirmo"), or two menu numbers nobody took back ("1 e 2");
- :func:`conditional_both_ways`: an answer for each branch of a condition ("se tiver sábado eu
  quero, se não tiver não"): it depends on what the clinic says next;
- :func:`~bot.core.reply_acks.only_acknowledges`: a reply that only acknowledges, thanks or
  takes leave ("Recebido, obrigada", "Obg, até"), with no day to meet ("até quarta" answers);
- :func:`~bot.core.reply_protest.only_protests`: a protest that nothing was asked ("não
  solicitei cancelamento algum") with no decision beside it;
- :func:`~bot.core.reply_clash.answers_clash`: a "sim" up front that the rest reads against
  ("Sim, quero manter" to "quer mesmo desmarcar?"), and an answer followed by doubt said on
  its own (:func:`~bot.core.reply_clash.ends_in_doubt`: "vou sim... sei lá");

The shapes stop an answer the model reads (:mod:`bot.core.intents`), also one read beside a
question or asides; they never make one. And
:func:`slip_explained` tells the words after a corrected menu number that only explain the
slip ("2 ... opa, 1, dedo gordo") from words that answer ("era 3 não 2. Quero remarcar").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.intent_names import UNKNOWN
from bot.core.menu_words import menu_number
from bot.core.reply_acks import only_acknowledges
from bot.core.reply_clash import answers_clash, ends_in_doubt
from bot.core.reply_features import NEGATORS, correction_point, doubts, tokens_of
from bot.core.reply_model import ReplyModel
from bot.core.reply_protest import only_protests
from bot.core.reply_visit import checks_after_but
from bot.core.wording import Clause

__all__ = [
    "ANSWERS",
    "OPPOSITE",
    "asked_back",
    "conditional_both_ways",
    "conditional_branch",
    "corrected_number",
    "menu_against_words",
    "odd_shape",
    "slip_explained",
]

OPPOSITE = {"confirm": "cancel", "cancel": "confirm", "yes": "no", "no": "yes"}
ANSWERS = frozenset(OPPOSITE)
# Words that only ask: what is left of "confirma *o quê*?", "*como assim* desmarcar?",
# "cancelar *por quê*?", "*ué*, mantém?" is the answer word asked back.
_ASKING = frozenset(
    {"o", "a", "que", "oque", "oq", "q", "por", "pq", "porque", "como", "assim", "mesmo", "e",
     "ue", "hein", "ein", "ne", "entao", "isso", "ai", "uai", "oxe", "eita", "hem", "pra", "qual"}
)  # fmt: skip
_SURE = 0.5  # the model's reading of the piece alone that counts as an answer
# A number that is a time, a date or a count, not a menu choice: "chego *às 2*", "*dia 3*",
# "*2 pessoas*".
_BEFORE_COUNT = frozenset(
    {"dia", "as", "umas", "uns", "ate", "das", "de", "pra", "pras", "para", "em", "la", "hora",
     "horas", "dias", "proximo", "proxima"}
)  # fmt: skip
_AFTER_COUNT = frozenset(
    {"h", "hs", "hrs", "hr", "horas", "hora", "min", "minutos", "dias", "semanas", "meses",
     "de", "do", "da", "pesoas", "vezes", "x", "anos", "filhos", "consultas"}
)  # fmt: skip
_LONGEST = 10  # words: a longer message has room to explain its numbers
_BESIDE = 3  # words of a number with an answer beside it ("sim 2", "2, confirmo sim")
_JOINING = frozenset({"e", "ou", "tambem"})
_CLEAR = 0.8  # the words after a slip read as an answer this surely answer themselves
# A branch of a condition starts its clause: "*se* tiver sábado eu quero", "*senão* não".
_IF = frozenset({"se", "caso", "senao"})
_LEADING = frozenset({"e", "ah", "ai", "tipo", "mas", "agora", "entao"})
_ELSE = frozenset({("senao",), ("caso", "contrario"), ("do", "contrario"), ("se", "nao")})


def asked_back(model: ReplyModel, parts: Sequence[Clause]) -> bool:
    """A message that only asks an answer word back ("mantém?", "sim o quê?")."""
    if not parts[-1].question or any(not c.question and set(c.tokens) - _ASKING for c in parts):
        return False  # "Desmarcar? Nunca! Tô indo": the answer follows the question
    content = [t for t in tokens_of(parts) if t not in _ASKING]
    if len(content) != 1:
        return False  # "pode desmarcar?", "desmarca sim?": a request, asked politely
    reading = model.read("", [Clause(tuple(content), False)])
    return reading.intent in ANSWERS and reading.confidence >= _SURE


def _menu_numbers(tokens: Sequence[str], menu: Mapping[str, str]) -> list[int]:
    """Where the menu's numbers stand as choices (not "às 2", "dia 3", "2 pessoas")."""
    return [
        i
        for i, token in enumerate(tokens)
        if token in menu
        and (i == 0 or tokens[i - 1] not in _BEFORE_COUNT)
        and (i + 1 == len(tokens) or tokens[i + 1] not in _AFTER_COUNT)
    ]


def menu_against_words(
    model: ReplyModel, parts: Sequence[Clause], menu: Mapping[str, str]
) -> str | None:
    """Why a short message's menu number cannot be taken ("sim 2": the words say 1), or None.

    Called after a number taken back by a correction was looked for: two numbers here were
    not corrected ("1 e 2")."""
    tokens = tokens_of(parts)
    if not menu or len(tokens) > _LONGEST or correction_point(parts, after_words=False):
        return None  # "2 ... ops, 1, foi o dedo": the correction was read before
    at = _menu_numbers(tokens, menu)
    others = [t for i, t in enumerate(tokens) if i not in at]
    if len({tokens[i] for i in at}) >= 2:
        if set(others) <= _JOINING:  # "1 e 2", "1 ou 2": not "3 não, 2 mesmo", "2\n*3"
            return "two menu numbers, neither taken back"
        return None
    if not at or len(tokens) > _BESIDE or not NEGATORS.isdisjoint(others):
        return None  # "Esquece o 2, vou sim", "foi sem querer o 2": the words own the number
    intent = menu[tokens[at[0]]]
    rest = [
        Clause(kept, c.question, c.contrast)
        for c in parts
        if (kept := tuple(t for t in c.tokens if t not in menu))
    ]
    if not rest:
        return None
    reading = model.read("", rest)
    if reading.intent == OPPOSITE.get(intent) and reading.confidence >= _SURE:
        return f"menu number of {intent} beside words that read {reading.intent}"
    return None


def conditional_branch(tokens: Sequence[str]) -> bool:
    """A clause that opens a branch of a condition ("se não tiver não", "e se for de tarde")."""
    start = 0
    while start < len(tokens) - 1 and tokens[start] in _LEADING:
        start += 1
    return tokens[start] in _IF


def conditional_both_ways(parts: Sequence[Clause]) -> bool:
    """Two branches of a condition, each with its clause: "se tiver sábado eu quero, se não
    tiver não", "se eu conseguir folga mantém, senão desmarca"."""
    branches = [c for c in parts if conditional_branch(c.tokens)]
    if len(branches) >= 2:
        return True
    return bool(branches) and any(
        c.tokens[: len(e)] == e for c in parts if c is not branches[0] for e in _ELSE
    )


def slip_explained(model: ReplyModel, after: Sequence[Clause], intent: str | None) -> bool:
    """Words after a corrected menu number that only explain the slip ("dedo gordo", "foi
    mal", "meu neto que mexeu"): no question, no "não", no other number, no doubt said ("ah,
    sei lá", "tô em dúvida"), and nothing the model reads surely as another answer.

    Words that answer nothing are what a slip explanation is: the model may read them as
    unknown as surely as it likes (the more such replies the examples hold, the surer it is).
    Doubt is told by what is said (:func:`bot.core.reply_features.doubts`), not by how sure
    the model is that the words do not answer."""
    if intent is None or any(c.question for c in after):
        return False
    tokens = tokens_of(after)
    if not NEGATORS.isdisjoint(tokens) or any(t.isdigit() for t in tokens) or doubts(tokens):
        return False
    reading = model.read("", after)
    answers = reading.intent not in (intent, UNKNOWN)
    return not (answers and reading.confidence >= _CLEAR)


def odd_shape(model: ReplyModel, parts: Sequence[Clause]) -> str | None:
    """Why the message is not a plain answer whatever its words, or None."""
    if asked_back(model, parts):
        return "an answer word asked back"
    if conditional_both_ways(parts):
        return "an answer for each branch of a condition"
    if only_acknowledges(tokens_of(parts)):
        return "an acknowledgement or a farewell, no answer"
    if only_protests(model, parts):
        return "a protest that nothing was asked, no answer beside it"
    if answers_clash(model, parts):
        return "an answer and its opposite, neither taken back"
    if ends_in_doubt(model, parts):
        return "an answer, then doubt said on its own"
    if checks_after_but(parts):
        return "an answer, then the appointment checked after a but"
    return None


def corrected_number(
    parts: Sequence[Clause], menu: Mapping[str, str], model: ReplyModel | None
) -> str | None:
    """The menu number a correction ends with ("Errei o número, o certo é 2", "digitei 1
    errado, era o 3", "ops, o certo é 2️⃣", "2 ... opa, 1, dedo gordo"): what the writer chose
    last. None when there is none, or the correction ends with words that answer."""
    point = correction_point(parts, after_words=False) if menu else None
    if point is None or any(c.question for c in parts[point[0] :]):
        return None  # "o certo é 2?" asks
    clause, start = point
    number = menu_number((*parts[clause].tokens[start:], *tokens_of(parts[clause + 1 :])))
    after = parts[clause + 1 :]
    if number is None and after and model is not None:
        # "opa, 1, dedo gordo": the number closes its clause; what follows explains the slip
        number = menu_number(parts[clause].tokens[start:])
        if not slip_explained(model, after, menu.get(number or "")):
            number = None  # "1... não, 2... ai, não sei", "era 3 não 2. Quero remarcar"
    return number
