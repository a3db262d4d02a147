"""What the reply model sees of a message: words, letter groups and cues, as feature names.

Text is folded and split into clauses by :mod:`bot.core.wording`. Features:

- ``w:`` words and ``b:`` word pairs, the vocabulary of the examples;
- ``c:`` groups of three to five letters inside each word, so a typo or an
  unseen ending ("confirmadissimo", "desmarcaa") still shares most of them;
- cues, as features the model weighs rather than rules that veto: ``n:`` a
  word within three words after a negation ("não vou *faltar*"), ``nn:`` a word negated
  twice, beside its plain ``w:`` ("não tem como eu não *ir*", "sem chance de eu não *ir*",
  "não vou deixar de *ir*"; see :func:`negation_marks`), ``p:`` a word
  just before a clause-final "não" ("desmarcar não", "vou não"), ``l:`` a word
  of the last clause when there are several (corrections end with the answer:
  "ia cancelar mas deu certo, estarei aí"), ``q:`` a word inside a question
  ("tem na terça?"), ``s:`` who the message speaks about (``s:other`` a
  relative or third person, ``s:eu`` the writer), ``r:`` a word after a reported or
  abandoned plan ("ia *cancelar*", "tinha *confirmado*": corrections say what the
  writer meant before, not the answer), ``h:`` a word after a hedge ("acho que
  *vou*", "se der eu *vou*"), ``h:any`` / ``r:any`` when a message hedges or
  reports a plan at all, and the message length;
- a correction ("quero manter. Não, *espera*, errei, é pra desmarcar", "2... não,
  *pera*, 1"): the words before the last correction word go to blocks of their own
  (the taken-back words and letter groups), which :mod:`bot.core.reply_model` weighs
  less than the rest, and ``k:any`` marks that the message corrects itself.

Numbers become ``<n>``: what a menu digit means is the flow's menu, not the
model's business (see :mod:`bot.core.intents`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.core.reply_cues import plainer
from bot.core.wording import Clause, clauses

__all__ = [
    "NEGATORS",
    "PEOPLE",
    "Features",
    "doubts",
    "example_key",
    "features",
    "negation_marks",
    "tokens_of",
]

NEGATORS = frozenset({"nao", "nem", "nunca", "jamais"})
# Who else a message may be about: a relative, a patient spoken for, "ele"/"ela".
PEOPLE = frozenset(
    {
        "mae", "pai", "filho", "filha", "filhos", "filhas", "esposa", "marido", "mulher",
        "avo", "vovo", "neto", "neta", "irma", "irmao", "tio", "tia", "sogra", "sogro",
        "namorada", "namorado", "crianca", "bebe", "menino", "menina", "dona", "senhor",
        "senhora", "ela", "ele", "dele", "dela", "paciente", "enteado", "enteada", "primo",
        "prima", "cunhada", "cunhado", "nora", "genro", "madrasta", "padrasto", "guri",
        "guria", "pia", "esposo", "companheiro", "companheira", "cuidadora", "patroa",
    }
)  # fmt: skip
_SELF = frozenset({"eu", "minha", "meu", "mim", "comigo"})
# Doubt said outright: "ia desmarcar mas agora *não sei mais*", "tô em *dúvida*", "*sei lá*".
_DOUBTS = frozenset(
    {("nao", "sei"), ("sei", "la"), ("em", "duvida"), ("nao", "tenho", "certeza"),
     ("nao", "garanto"), ("nao", "decidi"), ("to", "pensando"), ("estou", "pensando"),
     ("pode", "ser", "que")}
)  # fmt: skip
_DOUBT_STARTS = frozenset(d[0] for d in _DOUBTS)  # most tokens start none: skip them at once
# Saying it, negated, is doubt too: "*não dá pra dizer* agora", "*não posso dizer* que não vou",
# "não posso *garantir*" (the writer does not answer, and says so).
_SAYING = frozenset({"dizer", "afirmar", "garantir", "prometer", "falar"})
_NEGATION_REACH = 3
# A second negation reaches back further than the words: "não tem como eu *não* ir", "não
# há hipótese de eu *não* ir" (5: one dangerous error fewer than 4 on the development sets).
_DOUBLE_REACH = 5
# "Deixar de" negates what follows it: "não vou *deixar de* ir". ("faltar" is a word of its
# own, "não vou faltar": flipping the words after it read worse on the development sets.)
_LEAVING = frozenset({"deixar", "deixo", "deixarei", "deixaria", "deixa", "deixando"})
# Where a second "não" negates the first rather than repeating it: after the subject or a
# modal ("não tem como *eu* não ir", "não *posso* não ir", "não dá *pra* não ir"). After the
# verb it closes the first ("não é pra cancelar *não* tá", "não moça não desmarca"): one negation.
_BEFORE_SECOND = frozenset(
    {"eu", "ele", "ela", "gente", "como", "de", "pra", "para", "em", "poso", "pode", "poder",
     "podia", "consigo", "consegue", "conseguir", "conseguiria", "da", "dava", "tenho", "tem"}
)  # fmt: skip
# Words that agree with a negation and carry its reach on ("não tem jeito *nenhum* de...").
_CONCORD = frozenset({"nenhum", "nenhuma", "nada", "ninguem"})
_LETTER_PREFIX = {"w": "c:", "n": "nc:", "nn": "nnc:"}
# A plan the writer had, not the answer: "ia cancelar mas...", "tinha confirmado, porém...".
REPORTED = frozenset({"ia", "iria", "tinha", "pensei", "achei", "era", "quase", "pretendia"})
# Words that make what follows uncertain: "acho que vou", "se der eu vou", "talvez".
HEDGES = frozenset(
    {"acho", "talvez", "provavelmente", "acredito", "creio", "se", "depende", "possivelmente",
     "qse", "quem", "duvida"}
)  # fmt: skip
_SCOPE_REACH = 4
_GRAMS = (3, 4, 5)

# Words that take back what came before them: "quero manter. Não, *espera*, errei, é pra
# desmarcar", "2 não, *desculpa*, é 1", "Não\nops, *quis dizer* sim" (as folded and squeezed).
CORRECTIONS = frozenset(
    {"pera", "espera", "perai", "esperai", "ops", "opa", "erei", "digo", "alias", "corigindo", "corecao",
     "retificando", "retifico", "corijo", "erado"}
)  # fmt: skip
# Also a slip owned ("erro meu", "sem querer", "escrevi errado", "por engano") and
# the right answer named ("Errei o número, *o certo* é 2"), as folded and squeezed.
CORRECTION_PAIRS = frozenset(
    {("quis", "dizer"), ("quer", "dizer"), ("quer", "saber"), ("pensando", "bem"),
     ("de", "ideia"), ("na", "verdade"), ("na", "vd"), ("melhor", "dizendo"),
     ("nao", "desculpa"), ("nao", "desculpe"), ("o", "certo"), ("a", "certa"), ("ero", "meu"),
     ("sem", "querer"), ("por", "engano"), ("me", "enganei")}
)  # fmt: skip
# A correction starts at one of these words, or at a clause of negators alone.
_CORRECTION_STARTS = CORRECTIONS | {pair[0] for pair in CORRECTION_PAIRS}
# Slips owned, as (word,) or pair: they correct only up front (see ``_slip_said_first``).
_SLIPS = frozenset(
    {("erado",), ("ero", "meu"), ("sem", "querer"), ("por", "engano"), ("me", "enganei")}
)
_SLIP_HEAD = 6
# "fila de espera" is a queue, not a correction; "desculpa o transtorno" is an apology (an
# apology corrects only right after a "não": "2 não, desculpa, é 1").
# "número errado" is a wrong person, not a slip.
_NOT_BEFORE_CORRECTION = frozenset(
    {"de", "da", "na", "em", "lista", "fila", "sala", "numero", "contato", "pesoa", "telefone"}
)  # fmt: skip
# Words that carry no answer: a correction needs something said before it to take back.
_EMPTY = frozenset({"oi", "ola", "bom", "boa", "dia", "tarde", "noite", "e", "a", "o", "ah"})

# (word-level, letter groups, word-level taken back, letter groups taken back)
Features = tuple[tuple[str, ...], ...]


def _word(token: str) -> str:
    if token.isalpha():  # most words: no digit to hide
        return token
    if any(ch.isdigit() for ch in token):
        return "<n>" + "".join(ch for ch in token if not ch.isdigit())
    return token


def _length(count: int) -> str:
    if count <= 1:
        return "len:1"
    if count <= 3:
        return "len:2-3"
    if count <= 8:
        return "len:4-8"
    return "len:9+"


def negation_marks(clause: Sequence[str]) -> list[str]:
    """Each word's negation, as the prefix of its feature: ``w`` plain, ``n`` within a
    negation's reach ("não vou *faltar*"), ``nn`` negated twice ("não tem como eu não *ir*",
    "sem chance de eu não *ir*", "não vou deixar de *ir*": the writer comes).

    A second "não", or "deixar de", within the reach of a first negation flips the parity
    back; "sem" counts only with a second negation after it ("sem problema" negates nothing).
    "nem", "nunca", "nenhum" after a "não" agree with it (negative concord: "não vou nem poder
    ir" is one negation), and so does a "não" after the verb ("não é pra cancelar não, tá"):
    only a "não" after the subject or a modal negates the first."""
    marks: list[str] = []
    until = second = -1  # how far the words and a second negation are reached
    count = 0  # negations in the chain that reaches the word
    soft = False  # the chain was opened by "sem"
    for i, word in enumerate(clause):
        reached = i <= until and word not in NEGATORS
        if not reached or (soft and count == 1):
            marks.append("w")
        else:
            marks.append("n" if count % 2 else "nn")
        before = clause[i - 1] if i else ""
        following = clause[i + 1] if i + 1 < len(clause) else ""
        chained = i <= second and count > 0
        flips = (word == "nao" and before in _BEFORE_SECOND) or (
            word in _LEAVING and following == "de"
        )
        if chained and flips:
            count += 1
        elif word in NEGATORS and not (chained and i <= until and not soft):
            count, soft = 1, False  # a new negation ("sem dúvida, não vou" negates "vou")
        elif word == "sem" and not chained:
            count, soft = 1, True
        elif word in _CONCORD and chained:
            pass  # "sem chance *nenhuma* de eu não ir": the same negation reaches on
        elif word not in NEGATORS:
            continue
        until, second = i + _NEGATION_REACH, i + _DOUBLE_REACH
    return marks


def _clause_features(
    clause: Sequence[str], marks: Sequence[str], question: bool, last: bool, out: list[str]
) -> None:
    previous = "^"
    reported = hedged_until = -1
    for i, (token, mark) in enumerate(zip(clause, marks, strict=True)):
        # Inside a negation's reach a word is a different word: "faltar" cancels, "não vou
        # faltar" confirms. The negator itself stays a plain word. Negated twice, the word is
        # itself again ("não tem como eu não *ir*"), marked as such: the model weighs both.
        marked = "n:" if mark == "n" else "w:"
        if mark == "nn":
            out.append("nn:" + token)
        out.append(marked + token)
        out.append(f"b{marked}{previous}_{token}")
        previous = token
        # Added to the word, not instead of it: a plan or a hedge shades what follows.
        if reported >= 0 and token not in REPORTED:
            out.append("r:" + token)
        if i <= hedged_until and token not in HEDGES:
            out.append("h:" + token)
        if token in REPORTED:
            reported = i
        if token in HEDGES:
            hedged_until = i + _SCOPE_REACH
        if question:
            out.append("q:" + token)
        if last:
            out.append("l:" + token)
    out.append(f"b:{previous}_$")
    if len(clause) >= 2 and clause[-1] in NEGATORS:  # "vou não", "desmarcar não"
        out.extend("p:" + t for t in clause[-3:-1])


@lru_cache(maxsize=65536)
def _letter_groups(prefix: str, token: str) -> tuple[str, ...]:
    # Patients reuse few words: each word's groups are cut once.
    padded = f" {token} "
    return tuple(
        prefix + padded[j : j + size] for size in _GRAMS for j in range(len(padded) - size + 1)
    )


def tokens_of(parts: Sequence[Clause]) -> tuple[str, ...]:
    return tuple(t for c in parts for t in c.tokens)


def example_key(text: str) -> str:
    """Two examples with the same key are the same reply to the model ("Sim!" and "sim")."""
    parts = clauses(text)
    return " ".join(tokens_of(parts)) + ("?" if any(c.question for c in parts) else "")


def doubts(tokens: Sequence[str]) -> bool:
    """Doubt said outright ("não sei", "sei lá", "não dá pra dizer")."""
    if any(
        tuple(tokens[i : i + len(d)]) == d
        for i, token in enumerate(tokens)
        if token in _DOUBT_STARTS
        for d in _DOUBTS
    ):
        return True
    if _SAYING.isdisjoint(tokens):
        return False
    marks = negation_marks(tokens)
    return any(t in _SAYING and m == "n" for t, m in zip(tokens, marks, strict=True))


def correction_point(
    parts: Sequence[Clause], *, after_words: bool = True
) -> tuple[int, int] | None:
    """Where what the writer's last correction keeps starts, as (clause, token): the word after
    a correction word that follows something said ("2... não, pera, *1*"). None without one.

    ``after_words=False``: also a correction of an earlier message ("ops, errei, o certo é
    *2*"), for a menu number named after it."""
    if not any(
        not _CORRECTION_STARTS.isdisjoint(c.tokens) or NEGATORS.issuperset(c.tokens) for c in parts
    ):
        return None  # most messages: no correction word, no clause of a bare "não"
    flat = [(i, j, t) for i, c in enumerate(parts) for j, t in enumerate(c.tokens)]
    said = not after_words
    words = False  # something was said in this message (not only before it)
    found: tuple[int, int] | None = None
    skip = 0
    for k, (clause, place, token) in enumerate(flat):
        if skip:
            skip -= 1
            continue
        following = flat[k + 1][2] if k + 1 < len(flat) else ""
        before = flat[k - 1][2] if k else ""
        size = 2 if (token, following) in CORRECTION_PAIRS else token in CORRECTIONS
        if size == 1 and before in _NOT_BEFORE_CORRECTION:
            size = 0
        if size and (token, following)[:size] in _SLIPS and not _slip_said_first(k, size, flat):
            size = 0
        if not size and words and not place and set(parts[clause].tokens) <= NEGATORS:
            size = len(parts[clause].tokens)  # "CANCELA\n*não*, CONFIRMA": a "não" on its own
        if size:
            size += _negators_closing(flat, k + size)  # "Aliás *não*, cancela": part of it
            if said and k + size < len(flat):
                found = flat[k + size][:2]  # the marker itself weighs as little as the rest
            skip = size - 1
        elif token not in _EMPTY:
            said = words = True
    return found


def _negators_closing(flat: Sequence[tuple[int, int, str]], start: int) -> int:
    """How many negators right after a correction word end its clause ("Mantém. Aliás *não*,
    cancela", "pera, *não não*, cancela"): they take back with it, they do not answer. A
    "não" that goes on to a verb ("aliás não cancela") is what the writer keeps."""
    end = start
    while end < len(flat) and flat[end][2] in NEGATORS:
        end += 1
    closes = end > start and (end == len(flat) or flat[end][0] != flat[end - 1][0])
    return end - start if closes and end < len(flat) else 0


def _slip_said_first(k: int, size: int, flat: Sequence[tuple[int, int, str]]) -> bool:
    """A slip owned up front takes back what came before it ("Respondi sim por engano, era pra
    desmarcar"); after an answer it explains an earlier message ("não cancela, eu cliquei no
    botão errado, o celular é novo"), and with nothing said after it there is nothing to keep."""
    return k <= _SLIP_HEAD and len(flat) - k - size >= 2


def _split(parts: Sequence[Clause], point: tuple[int, int]) -> tuple[list[Clause], list[Clause]]:
    i, j = point
    head, tail = list(parts[:i]), list(parts[i + 1 :])
    clause = parts[i]
    if j:
        head.append(Clause(clause.tokens[:j], clause.question, clause.contrast))
    return head, [Clause(clause.tokens[j:], clause.question, clause.contrast), *tail]


def _blocks(parts: Sequence[Clause], many: bool, words: list[str], letters: list[str]) -> None:
    for index, clause in enumerate(parts):
        # "deixa desmarcado": "desmarcar"; most words have no digit to hide
        tokens = [t if t.isalpha() else _word(t) for t in plainer(clause.tokens)]
        marks = negation_marks(tokens)
        _clause_features(tokens, marks, clause.question, many and index == len(parts) - 1, words)
        if clause.contrast:  # "ia cancelar mas meu chefe liberou": the "but" side decides
            words.append("m:any")
            words.extend("m:" + t for t in tokens)
        for token, mark in zip(tokens, marks, strict=True):
            letters.extend(_letter_groups(_LETTER_PREFIX[mark], token))


def features(text: str, parts: Sequence[Clause] | None = None) -> Features:
    """The feature names of ``text`` (``parts``: its clauses, when already split).

    After a correction ("quero manter. Não, espera, errei, é pra desmarcar") the words said
    before it go to blocks of their own, which the model weighs less (:mod:`reply_model`):
    the last decision counts most, what was taken back still shades it."""
    parts = clauses(text) if parts is None else parts
    words: list[str] = []
    letters: list[str] = []
    taken_words: list[str] = []
    taken_letters: list[str] = []
    point = correction_point(parts)
    if point is None:
        _blocks(parts, len(parts) > 1, words, letters)
    else:
        head, tail = _split(parts, point)
        _blocks(head, False, taken_words, taken_letters)
        _blocks(tail, True, words, letters)
        words.append("k:any")
    all_tokens = [t if t.isalpha() else _word(t) for c in parts for t in c.tokens]
    seen = set(all_tokens)
    if seen & PEOPLE:
        words.append("s:other")
    if seen & _SELF:
        words.append("s:eu")
    asked = [c.question for c in parts]
    if any(asked):
        words.append("q:?")
        if not all(asked):  # "Confirmo. Precisa de jejum?": an answer, then another question
            words.append("q:beside")
    if seen & HEDGES:
        words.append("h:any")
    doubt = [i for i, c in enumerate(parts) if doubts(c.tokens)]
    if doubt:  # the last clause doubting is the writer undecided now, not a plan they had
        words.append("d:last" if doubt[-1] == len(parts) - 1 else "d:any")
    if seen & REPORTED:
        words.append("r:any")
    words.append(_length(len(all_tokens)))
    return tuple(words), tuple(letters), tuple(taken_words), tuple(taken_letters)
