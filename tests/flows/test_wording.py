"""Every message of every shipped flow, rendered for one and for two appointments, read
against Portuguese written by hand: the words agree with "sua consulta" / "suas 2 consultas".

A message added to a flow fails here until its two texts are written below: that is the
point (someone reads it in both forms before a patient does).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.core.agreement import singular_agreement
from bot.core.events import Unit
from bot.core.flow_check import check_flow
from bot.core.flow_spec import FlowSpec
from bot.core.model import Appointment
from bot.core.render import render, variables_for

FLOWS = Path(__file__).resolve().parents[2] / "flows"
UNIT = Unit("Clínica Digitaly Centro", "Rua Barão de Itapetininga, 120")
_AT = datetime.fromisoformat


def _appointment(n: int, starts_at: str, doctor: str) -> Appointment:
    return Appointment(
        f"a{n}", f"e{n}", "Maria da Silva", "+5511987654321", _AT(starts_at), doctor, "u"
    )


ONE = [_appointment(1, "2026-12-01T14:30:00-03:00", "Dra. Ana Souza")]
TWO = [*ONE, _appointment(2, "2026-12-01T16:00:00-03:00", "Dr. Paulo Lima")]

MENU = "Responda 1 para confirmar, 2 para desmarcar ou 3 para remarcar."
YES_NO = "Responda 1 para sim ou 2 para não."
ONE_WHEN = "terça-feira, 1 de dezembro, às 14:30"
TWO_WHEN = "terça-feira, 1 de dezembro, às 14:30 e às 16:00"
SAME = "same"  # the text reads right for one and for two appointments
# What the rescheduling messages fill in beside the appointments' variables.
NEW_WHEN = "quarta-feira, 2 de dezembro, às 09:00"
SLOT_LIST = f"1. {NEW_WHEN}, com Dra. Ana Souza\n2. quinta-feira, 3 de dezembro, às 15:30"
MOVE = {"slot_list": SLOT_LIST, "new_date_time": NEW_WHEN, "new_doctor": "Dra. Ana Souza"}

EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("confirmation", "reminder"): (
        "Olá, Maria! Passando para lembrar sua consulta com Dra. Ana Souza, "
        f"{ONE_WHEN}, na Clínica Digitaly Centro. Você confirma? {MENU}",
        "Olá, Maria! Passando para lembrar suas 2 consultas com Dra. Ana Souza e Dr. Paulo "
        f"Lima, {TWO_WHEN}, na Clínica Digitaly Centro. Você confirma? {MENU}",
    ),
    ("confirmation", "reminder_2"): (
        f"Maria, ainda não recebemos sua resposta sobre sua consulta de {ONE_WHEN}, "
        f"na Clínica Digitaly Centro. {MENU}",
        f"Maria, ainda não recebemos sua resposta sobre suas 2 consultas de {TWO_WHEN}, "
        f"na Clínica Digitaly Centro. {MENU}",
    ),
    ("confirmation", "confirmed"): (
        f"Presença confirmada, Maria! Esperamos você {ONE_WHEN}, na Clínica Digitaly Centro: "
        "Rua Barão de Itapetininga, 120. Até lá!",
        "Presença confirmada em suas 2 consultas, Maria! Esperamos você "
        f"{TWO_WHEN}, na Clínica Digitaly Centro: Rua Barão de Itapetininga, 120. Até lá!",
    ),
    ("confirmation", "cancel_question"): (
        f"Você quer mesmo desmarcar sua consulta de {ONE_WHEN}? "
        "Responda 1 para sim, desmarcar, ou 2 para manter.",
        f"Você quer mesmo desmarcar suas 2 consultas de {TWO_WHEN}? "
        "Responda 1 para sim, desmarcar, ou 2 para manter.",
    ),
    ("confirmation", "cancelled"): (
        "Pronto, sua consulta foi desmarcada. Quer que nossa equipe entre em contato para "
        f"remarcar? {YES_NO}",
        "Pronto, suas 2 consultas foram desmarcadas. Quer que nossa equipe entre em contato "
        f"para remarcar? {YES_NO}",
    ),
    ("confirmation", "kept"): (
        f"Certo, sua consulta continua marcada. Você confirma presença? {MENU}",
        f"Certo, suas 2 consultas continuam marcadas. Você confirma presença? {MENU}",
    ),
    ("confirmation", "kept_messages"): (
        "Certo, você continua recebendo nossas mensagens por aqui. Até lá!",
        SAME,
    ),
    ("confirmation", "reschedule"): (
        "Combinado! Uma pessoa da nossa equipe vai falar com você por aqui para escolher "
        "um novo horário.",
        SAME,
    ),
    ("confirmation", "handoff"): (
        "Vou pedir para uma pessoa da nossa equipe falar com você. Um momento!",
        SAME,
    ),
    ("confirmation", "opted_out"): (
        "Pronto, você não vai mais receber nossas mensagens por aqui. Para voltar, escreva VOLTAR.",
        SAME,
    ),
    ("confirmation", "closed"): ("Tudo bem! Quando quiser marcar de novo, é só chamar.", SAME),
    ("confirmation", "ask_again"): (f"Desculpe, não entendi. {MENU}", SAME),
    ("confirmation", "ask_again_yes_no"): (f"Desculpe, não entendi. {YES_NO}", SAME),
    ("confirmation", "opt_out_question"): (
        "Você quer parar de receber nossas mensagens por aqui? Responda 1 para sim, parar, "
        "ou 2 para continuar recebendo.",
        SAME,
    ),
    ("confirmation", "still_subscribed"): (
        "Certo, você continua recebendo nossas mensagens. Sobre sua consulta de "
        f"{ONE_WHEN}: {MENU[0].lower()}{MENU[1:]}",
        "Certo, você continua recebendo nossas mensagens. Sobre suas 2 consultas de "
        f"{TWO_WHEN}: {MENU[0].lower()}{MENU[1:]}",
    ),
    ("confirmation", "already_confirmed"): (
        f"Maria, sua presença já está confirmada: {ONE_WHEN}, na Clínica Digitaly Centro. "
        "Se precisar desmarcar, responda 2; para remarcar, responda 3.",
        f"Maria, sua presença já está confirmada: {TWO_WHEN}, na Clínica Digitaly Centro. "
        "Se precisar desmarcar, responda 2; para remarcar, responda 3.",
    ),
    ("confirmation", "reconfirmed"): (
        "Combinado, Maria! Sua presença continua confirmada. Até lá!",
        "Combinado, Maria! Sua presença continua confirmada. Até lá!",
    ),
    ("confirmation", "already_cancelled"): (
        f"Maria, sua consulta de {ONE_WHEN} já foi desmarcada. Quer que nossa equipe entre "
        f"em contato para remarcar? {YES_NO}",
        f"Maria, suas 2 consultas de {TWO_WHEN} já foram desmarcadas. Quer que nossa equipe "
        f"entre em contato para remarcar? {YES_NO}",
    ),
    ("confirmation", "late_reply"): (
        f"Olá, Maria! Sobre sua consulta de {ONE_WHEN}, na Clínica Digitaly Centro: "
        f"{MENU[0].lower()}{MENU[1:]}",
        f"Olá, Maria! Sobre suas 2 consultas de {TWO_WHEN}, na Clínica Digitaly Centro: "
        f"{MENU[0].lower()}{MENU[1:]}",
    ),
    ("confirmation", "clinic_cancelled"): (
        f"Olá, Maria. A clínica precisou desmarcar sua consulta de {ONE_WHEN} com Dra. Ana "
        "Souza (Clínica Digitaly Centro). Entraremos em contato para remarcar.",
        f"Olá, Maria. A clínica precisou desmarcar suas 2 consultas de {TWO_WHEN} com Dra. "
        "Ana Souza e Dr. Paulo Lima (Clínica Digitaly Centro). Entraremos em contato para "
        "remarcar.",
    ),
    # Rescheduling moves one appointment: its texts name the new time, never the old ones.
    ("confirmation", "slot_offer"): (
        f"Estes são os horários livres mais próximos:\n{SLOT_LIST}\nResponda com o número do "
        'horário (ou o dia e a hora, como "terça à tarde"), ou "nenhum" para falar com nossa '
        "equipe.",
        SAME,
    ),
    ("confirmation", "slot_ask_again"): (
        "Desculpe, não entendi. Responda com o número de um dos horários acima, ou "
        '"nenhum" para falar com nossa equipe.',
        SAME,
    ),
    ("confirmation", "slot_taken"): ("Que pena, esse horário acabou de ser ocupado.", SAME),
    ("confirmation", "slot_requested"): (
        f"Reservamos para você o horário de {NEW_WHEN}, com Dra. Ana Souza, na Clínica "
        "Digitaly Centro. Estamos confirmando com a clínica e avisamos por aqui em seguida.",
        SAME,
    ),
    ("confirmation", "slot_wait"): (
        "Estamos confirmando seu novo horário com a clínica. Avisamos por aqui assim que "
        "estiver pronto.",
        SAME,
    ),
    ("confirmation", "rescheduled"): (
        f"Pronto, Maria! Sua consulta foi remarcada para {NEW_WHEN}, com Dra. Ana Souza, na "
        "Clínica Digitaly Centro: Rua Barão de Itapetininga, 120. Até lá!",
        SAME,
    ),
    ("confirmation", "move_failed"): (
        f"Desculpe, a clínica não conseguiu reservar o horário de {NEW_WHEN}: ele foi "
        "ocupado na agenda.",
        SAME,
    ),
    ("confirmation", "move_failed_person"): (
        f"Desculpe, a clínica não conseguiu reservar o horário de {NEW_WHEN}. Uma pessoa da "
        "nossa equipe vai falar com você por aqui para escolher um novo horário.",
        SAME,
    ),
    ("confirmation", "hold_expired"): (
        f"Desculpe, não conseguimos confirmar o horário de {NEW_WHEN} a tempo e a reserva "
        "expirou. Uma pessoa da nossa equipe vai falar com você por aqui para escolher um "
        "novo horário.",
        SAME,
    ),
    ("satisfaction", "question"): (
        "Olá, Maria! Como foi seu atendimento na Clínica Digitaly Centro? Responda com uma "
        "nota de 1 (péssimo) a 5 (ótimo).",
        SAME,
    ),
    ("satisfaction", "ask_again"): (
        "Desculpe, não entendi. Responda só com um número de 1 a 5.",
        SAME,
    ),
    ("satisfaction", "thanks"): ("Obrigado pela avaliação, Maria!", SAME),
    ("satisfaction", "sorry"): (
        "Sentimos muito, Maria. Uma pessoa da nossa equipe vai falar com você para entender "
        "o que aconteceu.",
        SAME,
    ),
    ("satisfaction", "thanks_anyway"): (
        "Obrigado, Maria! Se quiser, é só responder por aqui.",
        SAME,
    ),
    ("satisfaction", "opted_out"): (
        "Pronto, você não vai mais receber nossas mensagens por aqui. Para voltar, escreva VOLTAR.",
        SAME,
    ),
    ("satisfaction", "opt_out_question"): (
        "Você quer parar de receber nossas mensagens por aqui? Responda 1 para sim, parar, "
        "ou 2 para continuar recebendo.",
        SAME,
    ),
    ("satisfaction", "ask_again_yes_no"): (f"Desculpe, não entendi. {YES_NO}", SAME),
    ("satisfaction", "comment_received"): (
        "Obrigado, Maria! Sua avaliação já está registrada; vou passar sua mensagem para uma "
        "pessoa da nossa equipe.",
        SAME,
    ),
    ("satisfaction", "question_again"): (
        "Ainda dá tempo, Maria: como foi seu atendimento na Clínica Digitaly Centro? Responda "
        "com uma nota de 1 (péssimo) a 5 (ótimo).",
        SAME,
    ),
}

# The waitlist's conversations are each about one appointment (WaitlistService starts them
# with one, and the join is per appointment): one form, read by hand.
STAYS = f"Sua consulta continua marcada para {ONE_WHEN}"
WAITLIST: dict[str, str] = {
    "waitlist_join": (
        f"Olá, Maria! Sua consulta com Dra. Ana Souza está marcada para {ONE_WHEN}, na "
        "Clínica Digitaly Centro. Quer entrar na lista de espera? Se um horário mais cedo "
        f"vagar, avisamos por aqui. {YES_NO}"
    ),
    "waitlist_joined": (
        "Pronto, Maria! Você está na lista de espera. Se vagar um horário antes de "
        f"{ONE_WHEN}, avisamos por aqui. Sua consulta continua marcada."
    ),
    "waitlist_not_joined": f"Tudo bem! Sua consulta continua marcada para {ONE_WHEN}.",
    "waitlist_offer": (
        f"Olá, Maria! Vagou um horário mais cedo: {NEW_WHEN}, com Dra. Ana Souza, na Clínica "
        f"Digitaly Centro. Sua consulta hoje é {ONE_WHEN}. Quer trocar? {YES_NO} Quem "
        "responder primeiro fica com o horário."
    ),
    "waitlist_requested": (
        f"Ótimo! Reservamos para você o horário de {NEW_WHEN}, com Dra. Ana Souza. Estamos "
        "confirmando com a clínica e avisamos por aqui em seguida."
    ),
    "waitlist_wait": (
        "Estamos confirmando seu novo horário com a clínica. Avisamos por aqui assim que "
        "estiver pronto."
    ),
    "waitlist_moved": (
        f"Pronto, Maria! Sua consulta foi antecipada para {NEW_WHEN}, com Dra. Ana Souza, na "
        "Clínica Digitaly Centro: Rua Barão de Itapetininga, 120. Até lá!"
    ),
    "waitlist_taken": (
        "Que pena, Maria: outra pessoa da lista de espera respondeu antes e ficou com esse "
        f"horário. {STAYS} e você segue na lista; se vagar outro horário, avisamos."
    ),
    "waitlist_withdrawn": (
        f"Desculpe, Maria: o horário de {NEW_WHEN} não está mais disponível, porque a "
        f"consulta que tinha sido desmarcada voltou para a agenda. {STAYS} e você segue na "
        "lista de espera."
    ),
    "waitlist_expired": (
        f"Desculpe, Maria: a oferta do horário de {NEW_WHEN} já fechou. {STAYS} e você "
        "segue na lista de espera."
    ),
    "waitlist_kept": f"Tudo bem! {STAYS} e você segue na lista de espera.",
    "waitlist_move_failed": (
        f"Desculpe, a clínica não conseguiu reservar o horário de {NEW_WHEN}. {STAYS}; uma "
        "pessoa da nossa equipe vai falar com você por aqui."
    ),
    "waitlist_hold_expired": (
        f"Desculpe, não conseguimos confirmar o horário de {NEW_WHEN} a tempo. {STAYS}; uma "
        "pessoa da nossa equipe vai falar com você por aqui."
    ),
    "ask_again_yes_no": f"Desculpe, não entendi. {YES_NO}",
    "handoff": "Vou pedir para uma pessoa da nossa equipe falar com você. Um momento!",
    "opted_out": (
        "Pronto, você não vai mais receber nossas mensagens por aqui. Para voltar, escreva VOLTAR."
    ),
}


def _spec(name: str) -> FlowSpec:
    flow = check_flow((FLOWS / f"{name}.yaml").read_text(encoding="utf-8")).flow
    assert flow is not None
    return flow.spec


def _rendered(spec: FlowSpec, message: str, appointments: list[Appointment]) -> str:
    text, _template = spec.messages[message].form(len(appointments))
    return render(text, {**variables_for(appointments, UNIT), **MOVE})


@pytest.mark.parametrize("name", ["confirmation", "satisfaction", "waitlist"])
def test_every_message_has_hand_written_text(name: str) -> None:
    written = {message for flow, message in EXPECTED if flow == name}
    if name == "waitlist":
        written = set(WAITLIST)
    assert set(_spec(name).messages) == written


@pytest.mark.parametrize(("message", "text"), list(WAITLIST.items()))
def test_waitlist_message_reads_right(message: str, text: str) -> None:
    assert _rendered(_spec("waitlist"), message, ONE) == text


@pytest.mark.parametrize(("key", "texts"), list(EXPECTED.items()), ids="{0[0]}.{0[1]}".format)
def test_message_reads_right_with_one_and_two_appointments(
    key: tuple[str, str], texts: tuple[str, str]
) -> None:
    spec = _spec(key[0])
    one, two = texts
    assert _rendered(spec, key[1], ONE) == one
    assert _rendered(spec, key[1], TWO) == (one.replace(ONE_WHEN, TWO_WHEN) if two == SAME else two)


def test_the_checker_flags_a_singular_verb_without_a_plural_form() -> None:
    assert singular_agreement("Pronto, {appointment_phrase} foi desmarcada.") == "foi"
    assert (
        singular_agreement("{first_name}, {appointment_phrase} de {date_time} já está marcada")
        == "está"
    )
    assert (
        singular_agreement("Você quer mesmo desmarcar {appointment_phrase} de {date_time}?") is None
    )
    assert singular_agreement("Sobre {appointment_phrase}: responda 1 para confirmar.") is None
