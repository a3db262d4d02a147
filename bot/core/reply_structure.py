"""What the clauses of a message say about who answers and what is asked.

- :func:`two_people`: a message whose clauses answer differently for two people ("eu vou,
  mas a consulta da minha filha pode cancelar", "a Ana vai, o Bruno não") or two appointments
  ("desmarca a minha e deixa a da Sofia", "a de quarta cancela, a de sexta mantém"), or that
  keeps one of several ("vou só na primeira"), goes to a person.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

from bot.core.intent_names import UNKNOWN
from bot.core.reply_features import NEGATORS, PEOPLE, tokens_of
from bot.core.reply_model import ReplyModel
from bot.core.wording import Clause, clauses

__all__ = ["names_in", "two_people"]

_WORDS = re.compile(r"\w+")

# Words that point back at someone already named, or that name the patient in general.
_POINTERS = frozenset({"ela", "ele", "dela", "dele", "dona", "senhor", "senhora", "paciente"})
_INTRODUCTIONS = frozenset({("aqui", "e"), ("quem", "fala"), ("eu", "sou"), ("falo", "como")})
_BEFORE_CHOICE = PEOPLE | {"eu", "mim", "minha", "meu", "ele", "ela", "dele", "dela"}
_SELF_PAIRS = frozenset({("a", "minha"), ("o", "meu"), ("minha", "consulta"), ("meu", "horario")})
# "a da Sofia", "a consulta do Pedro": an appointment named by its owner or its time.
_APPOINTMENT_HEADS = frozenset({"a", "o", "consulta", "horario", "exame", "retorno"})
_NOT_OWNERS = frozenset(
    {"minha", "meu", "sua", "seu", "nossa", "nosso", "clinica", "doutora", "doutor", "dra",
     "dr", "medica", "medico", "semana", "dia", "mes", "vez", "outra", "outro", "mesma",
     "mesmo", "consulta", "proxima", "proximo", "ultima", "ultimo", "unidade", "recepcao",
     "lista", "fila", "pessoa", "familia", "casa", "escola", "creche", "empresa", "firma"}
)  # fmt: skip
# A day or a time that tells one appointment from another: "a de quarta", "a de manhã".
_WHEN = frozenset(
    {"segunda", "terca", "quarta", "quinta", "sexta", "sabado", "domingo", "manha", "tarde",
     "noite", "hoje", "amanha"}
)  # fmt: skip
_ONLY = frozenset({"so", "somente", "apenas"})
_PICKS = frozenset({"a", "o", "na", "no", "da", "do"})  # "só *na* primeira", "só *a* de quarta"
# Not "segunda": "vou só na segunda" names a weekday, which the model reads.
_ORDINALS = frozenset({"primeira", "primeiro", "ultima", "ultimo", "1a", "2a"})
_TOPIC = 3  # "meu pai", "a minha mãe": a person named alone, whose answer follows
_ELLIPTIC = 5
_DETERMINERS = frozenset(
    {"meu", "minha", "o", "a", "os", "as", "seu", "sua", "mas", "e"}
)  # "minha filha não", "ela ainda não sabe": a short "não" answers for someone


def _subjects(clause: Clause, names: frozenset[str] = frozenset()) -> set[str]:
    """Who a clause speaks of: relatives named in it, and "self" for the writer's own
    ("eu", "a minha", "o meu"). Pronouns refer back, so they name nobody new."""
    tokens = clause.tokens
    intro = tokens[:1] == ("sou",) and tokens[:2] != ("sou", "eu")  # "sou eu e meu irmão": two
    if intro or tokens[:2] in _INTRODUCTIONS:
        return set()  # "sou a filha dela", "aqui é o marido": who writes, not who answers
    # "...podem ligar pra mim, que sou o filho dele": the relative after "sou" is the writer.
    writer = {i + k for i, t in enumerate(tokens) if t == "sou" for k in (1, 2)}
    found = {
        t for i, t in enumerate(tokens) if t in PEOPLE and t not in _POINTERS and i not in writer
    }
    pairs = set(itertools.pairwise(tokens))
    if "eu" in tokens or pairs & _SELF_PAIRS:
        found.add("self")
    found.update(_owners(tokens))
    if _named(tokens, names):
        found.add(tokens[1])  # "*a Ana* vai, *o Bruno* não": someone named by their name
    return found


def _named(tokens: Sequence[str], names: frozenset[str]) -> bool:
    """A clause that starts with someone's name after "a"/"o" ("a Ana vai")."""
    head = tokens[:1] in (("a",), ("o",)) and len(tokens) > 2
    return head and tokens[1] in names and tokens[1] not in _NOT_OWNERS  # not "a Dra", "a Clínica"


def names_in(text: str) -> frozenset[str]:
    """The words written as names, with a capital and not all in capitals ("a *Ana* vai",
    not "CANCELA"), as the clauses fold them."""
    return frozenset(
        token
        for word in _WORDS.findall(text)
        if word[:1].isupper() and not word.isupper()
        for token in _name_tokens(word)
    )


@lru_cache(maxsize=4096)
def _name_tokens(word: str) -> tuple[str, ...]:
    # Names and capitalised words recur ("Sim", "Dra", "Obrigada"): each is folded once.
    return tokens_of(clauses(word))


def _owners(tokens: Sequence[str]) -> set[str]:
    """Whose appointment a clause names: "a da Sofia", "a consulta do Pedro", "a da tarde",
    "a de quarta" (two appointments told apart by their time or day count as two)."""
    return {
        owner
        for head, of, owner in zip(tokens, tokens[1:], tokens[2:], strict=False)
        if head in _APPOINTMENT_HEADS
        and ((of in ("do", "da") and owner not in _NOT_OWNERS) or (of == "de" and owner in _WHEN))
    }


def _without_owner(clause: Clause, names: frozenset[str]) -> Clause:
    """The clause without the words that name its appointment ("*a de quarta* cancela"): the
    answer is read alone, the name of the appointment says nothing of it."""
    tokens = clause.tokens
    named = {i + k for i in range(len(tokens) - 2) if _owners(tokens[i : i + 3]) for k in range(3)}
    if _named(tokens, names):
        named |= {0, 1}  # "*a Ana* vai"
    kept = tuple(t for i, t in enumerate(tokens) if i not in named)
    return Clause(kept, clause.question, clause.contrast) if kept else clause


def _one_of_several(parts: Sequence[Clause]) -> bool:
    """A message that keeps only one of several appointments by its order or day ("vou *só na
    primeira*", "desmarca *só a de quarta*"): which one is kept is for a person to match."""
    return any(
        word in _ONLY and _picks_one(clause.tokens[i + 1 : i + 4])
        for clause in parts
        for i, word in enumerate(clause.tokens)
    )


def _numbers_for_two(parts: Sequence[Clause], names: frozenset[str]) -> bool:
    """Two different menu numbers in a message that speaks of two people ("eu 1 ele 3", "a
    minha 1, a dele 2"): each person's choice, which a person must match to an appointment.
    A slip corrected ("2... não, 1") names nobody."""
    tokens = tokens_of(parts)
    numbers = {  # a number right after whom it is for: "ele 3", not "meu filho de 5 anos"
        t
        for before, t in itertools.pairwise(tokens)
        if len(t) == 1 and t.isdigit() and (before in _BEFORE_CHOICE or before in names)
    }
    if len(numbers) < 2:
        return False
    who = set().union(*(_subjects(c, names) | _pointed(c) for c in parts))
    return len(who) >= 2


def _picks_one(words: Sequence[str]) -> bool:
    """ "na primeira", "a de quarta": one appointment, by its order or day."""
    if len(words) < 2 or words[0] not in _PICKS:
        return False
    return words[1] in _ORDINALS or (len(words) == 3 and words[1] == "de" and words[2] in _WHEN)


def two_people(
    model: ReplyModel,
    parts: Sequence[Clause],
    threshold: float = 0.5,
    names: frozenset[str] = frozenset(),
) -> bool:
    """Two clauses that answer differently, each for someone else, in a message that names two
    people (or the writer and someone else): "eu vou, mas a consulta da minha filha pode
    cancelar". A clause that names nobody ("não vou poder ir... aí meu marido falou que fica com
    o bebê, então vou!") is the writer correcting themselves, not a second person's answer."""
    if _one_of_several(parts) or _numbers_for_two(parts, names):
        return True
    subjects = set().union(*(_subjects(c, names) for c in parts))
    if len(subjects) < 2:
        return False
    pieces: list[tuple[Clause, bool]] = []  # (piece, it goes on a clause begun before it)
    for clause in parts:  # "eu vou e minha filha não": each side of an "e" answers for itself
        start = 0
        for i, word in enumerate([*clause.tokens, "e"]):
            if word == "e":
                if i > start:
                    pieces.append((Clause(clause.tokens[start:i], clause.question), start > 0))
                start = i + 1
    answered: list[tuple[str, frozenset[str]]] = []
    topic: frozenset[str] = frozenset()  # "Meu pai, que também tem consulta, não vai"
    wholes = {c.tokens for c in parts}
    before: frozenset[str] = frozenset()
    for clause, goes_on in pieces:
        who = frozenset(_subjects(clause, names) | _pointed(clause))
        if not who and goes_on:
            who = before  # "o Bruno tá doente e não vai": the same subject goes on
        before = who
        if not who and topic:
            if clause.tokens[0] == "que":
                continue  # a relative clause about the topic: the answer comes after it
            who, topic = topic, frozenset()
        if not who:
            continue
        reading = model.read("", [_without_owner(clause, names)])
        if _is_topic(clause, who, reading.intent, clause.tokens in wholes):
            topic = who
            continue
        if reading.intent != UNKNOWN and reading.confidence >= threshold:
            answered.append((reading.intent, who))
        elif len(clause.tokens) <= _ELLIPTIC and NEGATORS & set(clause.tokens):
            answered.append(("not", who))  # "eu vou, mas o guri não": a "não" for another
    return any(
        a != b and who_a != who_b for (a, who_a), (b, who_b) in itertools.combinations(answered, 2)
    )


def _is_topic(clause: Clause, who: frozenset[str], intent: str, whole: bool) -> bool:
    """A whole clause that only names someone else ("Meu pai,"): the next answer is theirs."""
    if not whole:
        return False  # "meu marido e eu vamos": a piece of a clause, not a topic of its own
    bare = set(clause.tokens) <= PEOPLE | _DETERMINERS  # a person named, nothing said of them
    return intent == UNKNOWN and "self" not in who and bare and len(clause.tokens) <= _TOPIC


def _pointed(clause: Clause) -> set[str]:
    """``{"other"}`` when a clause points back at someone already named ("ela não vai")."""
    return {"other"} if _POINTERS & set(clause.tokens) else set()
