"""The simulator's and the console's guards, through the real create_app (no browser)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
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
from tests import builders
from tests.checks import present
from tests.web.conftest import started
from tests.web.console import log_in, login_token, post_login

Client = TestClient[Any, Any]
NOW = datetime.now(UTC).replace(microsecond=0)
PHONE = "+5511991112222"


async def _handed_off(client: Client, last_message_age: timedelta) -> str:
    """A conversation the bot passed to staff; the patient last wrote ``last_message_age`` ago."""
    app = client.app
    appointment = builders.appointment(
        id="h1", external_id="LEG-H1", phone=PHONE, starts_at=NOW + timedelta(days=1)
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


@dataclass
class _Desk:
    """Ana, logged in to the console, with a handed-off conversation in front of her."""

    client: Client
    conversation: str
    headers: dict[str, str]
    csrf: str

    async def act(self, action: str, *, follow: bool = True, **fields: str) -> ClientResponse:
        """A staff action on the conversation, posted as the console's form posts it."""
        return await self.client.post(
            f"/console/atendimento/{self.conversation}/{action}",
            data={"csrf": self.csrf, **fields},
            headers=self.headers,
            allow_redirects=follow,
        )

    async def notice(self, action: str, **fields: str) -> str:
        """The action's notice to staff: the ``aviso`` its redirect carries ("" without one)."""
        response = await self.act(action, follow=False, **fields)
        return str(response.headers["Location"]).partition("?aviso=")[2]


async def _at_the_desk(client: Client, last_message_age: timedelta) -> _Desk:
    """A conversation handed off to staff (see ``_handed_off``), and Ana logged in."""
    conversation = await _handed_off(client, last_message_age)
    headers, csrf = await log_in(client)
    return _Desk(client, conversation, headers, csrf)


async def _status_of_h1(client: Client) -> str:
    return present(await client.app[STORE].appointments.get("h1")).status.value


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
    headers, _ = await log_in(client)
    response = await client.post(
        f"/console/atendimento/{conversation}/encerrar", data={}, headers=headers
    )
    assert response.status == 403
    stored = present(await client.app[STORE].conversations.get(conversation))
    assert stored.status is ConversationStatus.HANDED_OFF


async def test_a_reply_outside_the_24_hour_window_is_refused(client: Client) -> None:
    desk = await _at_the_desk(client, timedelta(hours=25))
    assert await desk.notice("responder", text="Olá!") == "janela"
    assert await client.app[DB]["outbox"].count_documents({"kind": "staff"}) == 0
    actions = [doc["action"] async for doc in client.app[DB]["audit_log"].find()]
    assert "handoff.reply_refused" in actions


async def test_a_reply_inside_the_window_is_queued_and_back_to_the_bot_resumes(
    client: Client,
) -> None:
    desk = await _at_the_desk(client, timedelta(hours=2))
    assert await desk.notice("responder", text="Olá, Conceição!") == "respondida"
    entry = await client.app[DB]["outbox"].find_one({"kind": "staff"})
    assert entry is not None
    queue: MemoryQueue = client.app[QUEUE]  # type: ignore[assignment]
    assert entry["_id"] in queue.sends
    await desk.act("devolver")
    resumed = present(await client.app[STORE].conversations.get(desk.conversation))
    assert (resumed.status, resumed.state) == (ConversationStatus.ACTIVE, "awaiting_reply")
    audit = [doc async for doc in client.app[DB]["audit_log"].find()]
    assert [doc["action"] for doc in audit] == ["login", "handoff.reply", "handoff.give_back"]
    assert all(doc.get("conversation") == desk.conversation for doc in audit[1:])
    assert all("Olá" not in str(doc) for doc in audit)


async def test_the_simulator_posts_through_the_signed_webhook(
    aiohttp_client: Any, settings: Settings, redis: Redis
) -> None:
    app = create_app(settings, overrides={QUEUE: MemoryQueue()})
    client = await started(aiohttp_client, app)
    await log_in(client)  # the simulator is for signed-in staff (issue 17)
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
    await log_in(client)
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
    headers, _ = await log_in(client)
    page = await (await client.get("/console/problemas", headers=headers)).text()
    assert "Números da clínica em pausa" in page
    assert "+5511930000001" in page
    assert "63018" in page


async def test_back_to_the_bot_reads_the_answer_given_to_the_person(client: Client) -> None:
    desk = await _at_the_desk(client, timedelta(hours=2))
    await desk.act("responder", text="Posso confirmar sua presença?")
    answer = InboundMessage(
        sid="SM-h2", phone=PHONE, body="sim, pode confirmar", received_at=datetime.now(UTC)
    )
    assert await client.app[STORE].inbound.add(answer)
    await client.app[CONVERSATIONS].process(answer)  # stored and seen, but a person has it
    assert await _status_of_h1(client) == "scheduled"
    await desk.act("devolver")
    after = present(await client.app[STORE].conversations.get(desk.conversation))
    assert (after.state, after.status) == ("confirmed", ConversationStatus.DONE)
    assert await _status_of_h1(client) == "confirmed"


async def test_staff_record_a_cancellation_for_the_robot(client: Client) -> None:
    desk = await _at_the_desk(client, timedelta(hours=2))
    assert await desk.notice("registrar", outcome="cancelled") == "registrada-cancelled"
    assert await _status_of_h1(client) == "cancel_requested"
    assert await client.app[DB]["cancellations"].count_documents({"appointment_id": "h1"}) == 1
    ended = present(await client.app[STORE].conversations.get(desk.conversation))
    assert ended.status is ConversationStatus.DONE
    actions = [doc["action"] async for doc in client.app[DB]["audit_log"].find()]
    assert actions[-1] == "handoff.outcome.cancelled"


async def test_staff_record_a_confirmation_and_an_unknown_outcome_is_refused(
    client: Client,
) -> None:
    desk = await _at_the_desk(client, timedelta(hours=2))
    assert await desk.notice("registrar", outcome="maybe") == "invalida"
    await desk.act("registrar", outcome="confirmed")
    assert await _status_of_h1(client) == "confirmed"


async def test_the_agenda_shows_who_is_with_staff_and_labels_its_counts(client: Client) -> None:
    await _handed_off(client, timedelta(hours=1))
    headers, _ = await log_in(client)
    page = await (await client.get("/console", headers=headers)).text()
    row = re.search(r'<tr data-appointment="h1".*?</tr>', page, re.S)
    assert row is not None
    assert 'data-situation="with_staff"' in row.group(0)
    assert "Com a equipe" in row.group(0)
    assert "(11) 99111-2222" in row.group(0)
    assert "Com a equipe: 1" in page


async def test_the_audit_list_says_what_staff_did_in_words(client: Client) -> None:
    desk = await _at_the_desk(client, timedelta(hours=2))
    await desk.act("encerrar")
    page = await (await client.get("/console/problemas", headers=desk.headers)).text()
    assert "Encerrou a conversa" in page
    assert "Entrou no console" in page
    assert ">handoff.close<" not in page
    assert f'href="/console/atendimento/{desk.conversation}">ver conversa' in page


async def test_a_disabled_account_is_logged_out_at_once_and_cannot_log_in(
    client: Client,
) -> None:
    headers, _ = await log_in(client)
    assert (await client.get("/console", headers=headers, allow_redirects=False)).status == 200
    staff = client.app[STAFF]
    assert await staff.set_disabled("ana@clinica.example", True)  # type: ignore[attr-defined]
    assert (await client.get("/console", headers=headers, allow_redirects=False)).status == 302
    again = await post_login(client)
    assert again.status == 401
