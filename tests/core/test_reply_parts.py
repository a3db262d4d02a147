"""The answer among the other parts of a message (bot.core.reply_parts): an answer beside
questions, courtesies and reasons is read by its answer; an answer that waits on something
(a condition, a question asked back, doubt) or parts that disagree abstain."""

from __future__ import annotations

import pytest

from bot.core.reply_model import ReplyModel
from bot.core.reply_parts import Role, answer_part, parts_of, pieces
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow


def _model(state: str = "awaiting_reply") -> ReplyModel:
    f = flow("confirmation")
    model = f.understanding.model_for(f.accepted[state], state)
    assert model is not None
    return model


def _answer(text: str, state: str = "awaiting_reply") -> str:
    return " ".join(t for c in answer_part(_model(state), clauses(text)) for t in c.tokens)


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        # answer, then another question
        ("Confirmo. Só mais uma coisa: vocês aceitam cartão de crédito ou só dinheiro e pix na recepção?", "awaiting_reply", "confirm"),
        ("Vou sim. Queria saber também se a doutora consegue olhar uns exames antigos que eu tenho aqui em casa?", "awaiting_reply", "confirm"),
        ("Estarei aí. A recepção abre que horas pra eu chegar cedo e pegar senha?", "awaiting_reply", "confirm"),
        ("Não vou. Ainda dá pra pegar o resultado?", "awaiting_reply", "cancel"),
        # answer, question and courtesies
        ("Bom dia! Confirmo. Qual o andar do consultório, que da última vez me perdi? kkk", "awaiting_reply", "confirm"),
        # answer cut from the question it goes on with, after an "e"
        ("bom dia, vou sim e queria saber se posso levar meu acompanhante?", "awaiting_reply", "confirm"),
        ("pode desmarcar e queria saber se vocês devolvem o pix?", "awaiting_reply", "cancel"),
        ("sim e queria saber se tem multa?", "confirm_cancel", "yes"),
        ("não precisa, e me fala se preciso devolver a guia", "cancelled", "no"),
        ("Eu vou, viu?", "awaiting_reply", "confirm"),  # a tag that asks nothing back
    ],
)  # fmt: skip
def test_an_answer_beside_other_parts_is_read_by_its_answer(
    text: str, state: str, intent: str
) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "model"), decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "antes de confirmar, o estacionamento de vocês é gratuito?",
        "antes de confirmar, me diz se a doutora atende criança também?",
        "antes de confirmar, vocês atendem pelo plano?",
        "confirmo se a consulta for presencial, é presencial?",
        "se a doutora atender pelo plano eu vou, ela atende?",
        "Vou sim, se tiver estacionamento. Tem?",
        "pra confirmar preciso saber se o exame já chegou, chegou?",
    ],
)
def test_an_answer_conditioned_on_a_question_abstains(text: str) -> None:
    # "antes de confirmar, …?" waits on the clinic's answer: it was read as a confirmation.
    decision = decide(text)
    assert decision.intent == "unknown", decision.reason
    assert answer_part(_model(), clauses(text)) == []


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("confirmo se aceitarem o plano", Role.CONDITION),  # the answer with its condition
        ("se tiver vaga eu vou", Role.CONDITION),  # a branch
        ("antes de confirmar", Role.CONDITION),
        ("depende", Role.CONDITION),
        ("quando as coisas se ajeitarem eu procuro vocês", Role.QUESTION),  # "se", reflexive
        ("pra eu não achar que é golpe", Role.REASON),  # a purpose, not an answer put off
        ("vou sim", Role.ANSWER),
        ("né?", Role.ASKED_BACK),
        ("cancela?", Role.ASKED_BACK),  # the answer word asked
        ("tem certeza?", Role.ASKED_BACK),  # a tag
        ("tem estacionamento?", Role.QUESTION),
        ("onde fica a unidade mesmo?", Role.QUESTION),  # "mesmo" in a longer question
        ("kkkk", Role.COURTESY),
        ("minha mãe vai", Role.QUALIFIED),  # someone else: two people's rules
        ("vou sim talvez", Role.QUALIFIED),  # a hedged answer
        ("não sei onde fica", Role.QUALIFIED),
        ("estou viajando a trabalho", Role.REASON),
    ],
)
def test_each_piece_has_its_role(text: str, role: Role) -> None:
    found = parts_of(_model(), clauses(text))
    assert [p.role for p in found] == [role], [(p.clause.tokens, p.role) for p in found]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Vou sim. Tem estacionamento aí?", "vou sim"),
        ("Pode desmarcar. Vocês mandam o comprovante?", "pode desmarcar"),
        # reasons said before the question go with the answer
        ("Desmarca por favor, vou estar viajando. Vocês devolvem o sinal?", "desmarca por favor vou estar viajando"),
        ("Valeu, vou desmarcar. Até a próxima!", "vou desmarcar"),
        ("Ok, mas qual consulta?", ""),  # the question qualifies the answer
        ("Vou sim. A consulta é de retorno? Tenho que pagar de novo", ""),  # it may answer it
        ("Eu vou, mas chego atrasada, tudo bem?", ""),  # after "mas", it overrules the answer
        ("Não vou pagar de novo, né?", ""),  # a tag question asks the answer back
        ("vou sim, né? tem estacionamento?", ""),
        ("Cancela? Que nada, vou sim. Obrigada", "que nada vou sim"),  # settled after
        ("Vou sim", ""),  # nothing beside the answer
        ("Confirmo. Desmarca. Tem estacionamento?", ""),  # the answers disagree
        ("Confirmo. Não, pera, desmarca. Tem estacionamento?", ""),  # a correction: features
        ("Vou. Pode ser que eu atrase, tem problema?", ""),  # doubt beside the answer
    ],
)  # fmt: skip
def test_the_answer_part(text: str, answer: str) -> None:
    assert _answer(text) == answer


def test_a_question_is_cut_only_where_another_question_starts() -> None:
    found = pieces(clauses("confirmo sim e queria saber se precisa de jejum?"))
    assert [(" ".join(p.tokens), p.question) for p in found] == [
        ("confirmo sim", False),
        ("queria saber se precisa de jejum", True),
    ]
    # Folded, "é" is "e": a clause is not cut at every "e".
    assert len(pieces(clauses("essa consulta é pra qual médica e quando"))) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Confirmo, depois eu vejo se consigo ir",  # a deferral beside the confirm word
        "vou ver com meu marido e te falo, tá?",
        "Certo, obrigado pela mensagem",  # thanks for the message: an acknowledgement
    ],
)
def test_what_qualifies_the_answer_is_not_beside_it(text: str) -> None:
    assert decide(text).intent == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "Vou sim. Ontem sonhei com a consulta",  # a statement, nothing asked: read whole
        "vou sim, né?",  # asks the answer back
        "desmarca? e me diz se tem outro dia",  # the answer word asked
        "Confirmo. Não sei onde fica, me diz?",  # doubt
        "Desmarca, obrigada pelo lembrete",  # an acknowledgement, not a courtesy
        "vou, mas queria saber se é com o doutor Luís mesmo?",  # after "mas", checks it
        "acho que vou, e me diz se precisa de jejum?",  # a hedged answer
        "minha mãe vai, e me diz se precisa de jejum?",  # someone else: two people's rules
        "antes de confirmar, e me diz se atendem pelo plano?",  # about the answer, not one
        "depois confirmo, e queria saber se tem estacionamento?",
    ],
)
def test_no_answer_part(text: str) -> None:
    assert answer_part(_model(), clauses(text)) == []
