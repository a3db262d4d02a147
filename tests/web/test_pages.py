"""The simulator's and the console's guards, through the real create_app (no browser)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.adapters.memory import MemoryQueue
from bot.core.model import ConversationStatus
from bot.core.ports import InboundMessage, SenderPause
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CONVERSATIONS, DB, QUEUE, STAFF, STORE
from bot.web.pages.auth import COOKIE
from tests import builders
from tests.web.conftest import started

Client = TestClient[Any, Any]
NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "+5511991112222"


async def _handed_off(client: Client, last_message_age: timedelta) -> str:
    """A conversation the bot passed to staff; the patient last wrote ``last_message_age`` ago."""
    app = client.app
    appointment = builders.appointment(
        id="h1",
        external_id="LEG-H1",
        patient_name="Rita Moura",
        phone=PHONE,
        starts_at=NOW + timedelta(days=1),
        doctor="Dr. Ricardo Nunes",
    )
    await app[STORE].appointments.upsert(appointment)
    started = await app[CONVERSATIONS].start("c-h1", "confirmation", [appointment])
    assert started is not None
    await app[STORE].conversations.save(
        replace(
            started,
            state="handoff",
            status=ConversationStatus.HANDED_OFF,
            version=started.version + 1,
            data={**started.data, "handed_off": True},
        )
    )
    message = InboundMessage(
        sid="SM-h1", phone=PHONE, body="???", received_at=NOW - last_message_age
    )
    await app[STORE].inbound.add(message)
    return started.id


async def login_token(client: Client) -> str:
    """Open the login page as a browser does: its form token (the cookie stays in the jar)."""
    page = await (await client.get("/console/login")).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


async def _act(
    client: Client,
    conversation: str,
    action: str,
    headers: dict[str, str],
    csrf: str,
    *,
    follow: bool = True,
    **fields: str,
) -> ClientResponse:
    """A staff action on a handed-off conversation, posted as the console's form posts it."""
    return await client.post(
        f"/console/atendimento/{conversation}/{action}",
        data={"csrf": csrf, **fields},
        headers=headers,
        allow_redirects=follow,
    )


async def _post_login(client: Client) -> ClientResponse:
    """Ana's login form, posted (with a fresh CSRF token)."""
    return await client.post(
        "/console/login",
        data={
            "email": "ana@clinica.example",
            "password": "uma-senha-comprida",
            "csrf": await login_token(client),
        },
        allow_redirects=False,
    )


async def _log_in(client: Client) -> tuple[dict[str, str], str]:
    """The session cookie header and the CSRF token of a logged-in staff member."""
    await client.app[STAFF].create("Ana", "ana@clinica.example", "uma-senha-comprida", NOW)
    response = await _post_login(client)
    assert response.status == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    token = response.cookies[COOKIE].value
    headers = {"Cookie": f"{COOKIE}={token}"}
    # The cookie is Secure (PUBLIC_BASE_URL is https): the jar would not send it over http.
    client.session.cookie_jar.update_cookies({COOKIE: token}, response_url=client.make_url("/"))
    page = await (await client.get("/console/atendimento", headers=headers)).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return headers, match.group(1)


async def test_the_simulator_is_off_when_twilio_is_configured(client: Client) -> None:
    assert (await client.get("/simulator")).status == 404
    response = await client.post("/simulator/api/send", json={"phone": PHONE, "text": "oi"})
    assert response.status == 404


async def test_the_console_needs_a_login_and_refuses_a_bad_password(client: Client) -> None:
    response = await client.get("/console/atendimento", allow_redirects=False)
    assert response.status == 302
    assert response.headers["Location"] == "/console/login?next=/console/atendimento"
    await client.app[STAFF].create("Ana", "ana@clinica.example", "uma-senha-comprida", NOW)
    form = {"email": "ana@clinica.example", "password": "errada"}
    forged = await client.post("/console/login", data=form)  # no form token: another site's form
    assert forged.status == 403
    wrong = await client.post("/console/login", data={**form, "csrf": await login_token(client)})
    assert wrong.status == 401
    assert "E-mail ou senha incorretos" in await wrong.text()
    # An unknown email is checked against a dummy hash (made at its first use): the same answer.
    nobody = {"email": "ninguem@clinica.example", "password": "errada"}
    unknown = await client.post(
        "/console/login", data={**nobody, "csrf": await login_token(client)}
    )
    assert unknown.status == 401
    assert "E-mail ou senha incorretos" in await unknown.text()
    stored = await client.app[DB]["staff"].find_one({"_id": "ana@clinica.example"})
    assert stored is not None
    assert stored["password"].startswith("$argon2")


async def test_staff_actions_need_the_csrf_token(client: Client) -> None:
    conversation = await _handed_off(client, timedelta(hours=1))
    headers, _ = await _log_in(client)
    response = await client.post(
        f"/console/atendimento/{conversation}/encerrar", data={}, headers=headers
    )
    assert response.status == 403
    stored = await client.app[STORE].conversations.get(conversation)
    assert stored is not None
    assert stored.status is ConversationStatus.HANDED_OFF


async def test_a_reply_outside_the_24_hour_window_is_refused(client: Client) -> None:
    conversation = await _handed_off(client, timedelta(hours=25))
    headers, csrf = await _log_in(client)
    response = await _act(
        client, conversation, "responder", headers, csrf, text="Olá!", follow=False
    )
    assert response.headers["Location"].endswith("?aviso=janela")
    assert await client.app[DB]["outbox"].count_documents({"kind": "staff"}) == 0
    actions = [doc["action"] async for doc in client.app[DB]["audit_log"].find()]
    assert "handoff.reply_refused" in actions


async def test_a_reply_inside_the_window_is_queued_and_back_to_the_bot_resumes(
    client: Client,
) -> None:
    conversation = await _handed_off(client, timedelta(hours=2))
    headers, csrf = await _log_in(client)
    response = await _act(
        client, conversation, "responder", headers, csrf, text="Olá, Rita!", follow=False
    )
    assert response.headers["Location"].endswith("?aviso=respondida")
    entry = await client.app[DB]["outbox"].find_one({"kind": "staff"})
    assert entry is not None
    queue: MemoryQueue = client.app[QUEUE]  # type: ignore[assignment]
    assert entry["_id"] in queue.sends
    await _act(client, conversation, "devolver", headers, csrf)
    resumed = await client.app[STORE].conversations.get(conversation)
    assert resumed is not None
    assert (resumed.status, resumed.state) == (ConversationStatus.ACTIVE, "awaiting_reply")
    audit = [doc async for doc in client.app[DB]["audit_log"].find()]
    assert [doc["action"] for doc in audit] == ["login", "handoff.reply", "handoff.give_back"]
    assert all(doc.get("conversation") == conversation for doc in audit[1:])
    assert all("Olá" not in str(doc) for doc in audit)


async def test_the_simulator_posts_through_the_signed_webhook(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    app = create_app(settings, overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    await _log_in(client)  # the simulator is for signed-in staff (issue 17)
    assert (await client.get("/simulator")).status == 200
    demo = {"patient": "Paula Reis", "phone": PHONE, "unit": "paulista", "date": "2030-01-02"}
    created = await client.post("/simulator/api/appointments", json={**demo, "time": "15:00"})
    assert created.status == 201  # the simulator plays only its own demo patients
    refused = await client.post("/simulator/api/send", data={"phone": PHONE, "text": "oi"})
    assert refused.status == 415  # JSON only: no cross-site form posts
    response = await client.post("/simulator/api/send", json={"phone": PHONE, "text": "oi"})
    assert response.status == 200
    sid = (await response.json())["sid"]
    assert await app[DB]["inbound"].count_documents({"_id": sid}) == 1


async def test_reset_lets_the_same_reminder_be_sent_again(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    app = create_app(settings, overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    await _log_in(client)
    created = await client.post(
        "/simulator/api/appointments",
        json={
            "patient": "Paula Reis",
            "phone": "(11) 99111-3333",
            "unit": "paulista",
            "date": (NOW + timedelta(days=2)).date().isoformat(),
            "time": "15:00",
        },
    )
    assert created.status == 201
    appointment = (await created.json())["appointment"]
    assert appointment["phone"] == "+5511991113333"
    remind = {"appointment_id": appointment["id"]}
    first = await client.post("/simulator/api/remind", json=remind)
    assert first.status == 200
    again = await client.post("/simulator/api/remind", json=remind)
    assert again.status == 422  # sent already: reset first
    reset = await client.post("/simulator/api/reset", json={"phone": appointment["phone"]})
    assert (await reset.json())["generation"] == 1
    stopped = await app[STORE].conversations.get((await first.json())["conversation"])
    assert stopped is not None
    assert stopped.status is ConversationStatus.DONE
    second = await client.post("/simulator/api/remind", json=remind)
    assert second.status == 200
    assert (await second.json())["conversation"].endswith(":sim1")


async def test_problems_page_shows_a_paused_sender(client: Client) -> None:
    until = datetime.now(UTC) + timedelta(minutes=50)
    pause = SenderPause("whatsapp:+5511930000001", until, 63018, datetime.now(UTC))
    await client.app[STORE].sender_pauses.pause(pause)
    headers, _ = await _log_in(client)
    page = await (await client.get("/console/problemas", headers=headers)).text()
    assert "Números da clínica em pausa" in page
    assert "+5511930000001" in page
    assert "63018" in page


async def test_back_to_the_bot_reads_the_answer_given_to_the_person(client: Client) -> None:
    conversation = await _handed_off(client, timedelta(hours=2))
    headers, csrf = await _log_in(client)
    await _act(
        client, conversation, "responder", headers, csrf, text="Posso confirmar sua presença?"
    )
    answer = InboundMessage(
        sid="SM-h2", phone=PHONE, body="sim, pode confirmar", received_at=datetime.now(UTC)
    )
    assert await client.app[STORE].inbound.add(answer)
    await client.app[CONVERSATIONS].process(answer)  # stored and seen, but a person has it
    appointment = await client.app[STORE].appointments.get("h1")
    assert appointment is not None
    assert appointment.status.value == "scheduled"
    await _act(client, conversation, "devolver", headers, csrf)
    after = await client.app[STORE].conversations.get(conversation)
    assert after is not None
    assert (after.state, after.status) == ("confirmed", ConversationStatus.DONE)
    appointment = await client.app[STORE].appointments.get("h1")
    assert appointment is not None
    assert appointment.status.value == "confirmed"


async def test_staff_record_a_cancellation_for_the_robot(client: Client) -> None:
    conversation = await _handed_off(client, timedelta(hours=2))
    headers, csrf = await _log_in(client)
    response = await _act(
        client, conversation, "registrar", headers, csrf, outcome="cancelled", follow=False
    )
    assert response.headers["Location"].endswith("?aviso=registrada-cancelled")
    appointment = await client.app[STORE].appointments.get("h1")
    assert appointment is not None
    assert appointment.status.value == "cancel_requested"
    assert await client.app[DB]["cancellations"].count_documents({"appointment_id": "h1"}) == 1
    ended = await client.app[STORE].conversations.get(conversation)
    assert ended is not None
    assert ended.status is ConversationStatus.DONE
    actions = [doc["action"] async for doc in client.app[DB]["audit_log"].find()]
    assert actions[-1] == "handoff.outcome.cancelled"


async def test_staff_record_a_confirmation_and_an_unknown_outcome_is_refused(
    client: Client,
) -> None:
    conversation = await _handed_off(client, timedelta(hours=2))
    headers, csrf = await _log_in(client)
    refused = await _act(
        client, conversation, "registrar", headers, csrf, outcome="maybe", follow=False
    )
    assert refused.headers["Location"].endswith("?aviso=invalida")
    await _act(client, conversation, "registrar", headers, csrf, outcome="confirmed")
    appointment = await client.app[STORE].appointments.get("h1")
    assert appointment is not None
    assert appointment.status.value == "confirmed"


async def test_the_agenda_shows_who_is_with_staff_and_labels_its_counts(client: Client) -> None:
    await _handed_off(client, timedelta(hours=1))
    headers, _ = await _log_in(client)
    page = await (await client.get("/console", headers=headers)).text()
    row = re.search(r'<tr data-appointment="h1".*?</tr>', page, re.S)
    assert row is not None
    assert 'data-situation="with_staff"' in row.group(0)
    assert "Com a equipe" in row.group(0)
    assert "(11) 99111-2222" in row.group(0)
    assert "Com a equipe: 1" in page


async def test_the_audit_list_says_what_staff_did_in_words(client: Client) -> None:
    conversation = await _handed_off(client, timedelta(hours=2))
    headers, csrf = await _log_in(client)
    await _act(client, conversation, "encerrar", headers, csrf)
    page = await (await client.get("/console/problemas", headers=headers)).text()
    assert "Encerrou a conversa" in page
    assert "Entrou no console" in page
    assert ">handoff.close<" not in page
    assert f'href="/console/atendimento/{conversation}">ver conversa' in page


async def test_a_disabled_account_is_logged_out_at_once_and_cannot_log_in(
    client: Client,
) -> None:
    headers, _ = await _log_in(client)
    assert (await client.get("/console", headers=headers, allow_redirects=False)).status == 200
    staff = client.app[STAFF]
    assert await staff.set_disabled("ana@clinica.example", True)  # type: ignore[attr-defined]
    assert (await client.get("/console", headers=headers, allow_redirects=False)).status == 302
    again = await _post_login(client)
    assert again.status == 401
