"""A clear answer beside asides (another question, a tag question, laughter, a courtesy) keeps
its answer; statements, hedges and questions that ask the answer back are read whole."""

from __future__ import annotations

import pytest

from bot.core.reply_asides import answer_beside_asides, pieces
from bot.core.wording import clauses
from tests.core.test_intents import decide, flow


@pytest.mark.parametrize(
    ("text", "state", "intent"),
    [
        ("bom dia, vou sim e queria saber se posso levar meu acompanhante?", "awaiting_reply", "confirm"),
        ("vou e gostaria de saber se atendem pelo plano?", "awaiting_reply", "confirm"),
        ("boa tarde, confirmo sim e gostaria de saber se preciso levar exames?", "awaiting_reply", "confirm"),
        ("pode desmarcar e queria saber se vocês devolvem o pix?", "awaiting_reply", "cancel"),
        ("Desmarca, e me fala se tenho que trazer a carteirinha de volta", "awaiting_reply", "cancel"),
        ("Eu vou, viu?", "awaiting_reply", "confirm"),  # a tag question
        ("sim e queria saber se tem multa?", "confirm_cancel", "yes"),
        ("quero manter e gostaria de saber o horário certinho?", "confirm_cancel", "no"),
        ("não precisa, e me fala se preciso devolver a guia", "cancelled", "no"),
    ],
)  # fmt: skip
def test_an_answer_beside_asides_keeps_its_answer(text: str, state: str, intent: str) -> None:
    decision = decide(text, state)
    assert (decision.intent, decision.rule) == (intent, "model"), decision.reason
    assert decision.reason.startswith("answer beside asides"), decision.reason


@pytest.mark.parametrize(
    "text",
    [
        "Confirmo, depois eu vejo se consigo ir",  # a deferral beside the confirm word
        "vou ver com meu marido e te falo, tá?",
        "Certo, obrigado pela mensagem",  # thanks for the message: an acknowledgement
    ],
)
def test_what_qualifies_the_answer_is_not_an_aside(text: str) -> None:
    assert decide(text).intent == "unknown"


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
        "Vou sim. Ontem sonhei com a consulta",  # a statement may qualify: read whole
        "vou sim, né?",  # asks the answer back
        "desmarca? e me diz se tem outro dia",  # the answer word asked
        "Confirmo. Não sei onde fica, me diz?",  # a "não" in the aside
        "Desmarca, obrigada pelo lembrete",  # an acknowledgement, not a courtesy
        "vou, mas queria saber se tem estacionamento?",  # after "mas": read whole
        "acho que vou, e me diz se precisa de jejum?",  # a hedged answer
        "minha mãe vai, e me diz se precisa de jejum?",  # someone else: two people's rules
        "antes de confirmar, e me diz se atendem pelo plano?",  # about the answer, not one
        "depois confirmo, e queria saber se tem estacionamento?",
    ],
)
def test_no_answer_beside_asides(text: str) -> None:
    f = flow("confirmation")
    model = f.understanding.model_for(f.accepted["awaiting_reply"], "awaiting_reply")
    assert model is not None
    assert answer_beside_asides(model, clauses(text)) == []
