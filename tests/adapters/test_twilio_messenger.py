"""TwilioMessenger against the local fake Twilio: what each answer becomes."""

from __future__ import annotations

import gc
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import ClientSession
from pydantic import SecretStr

from bot.adapters.twilio import HttpClient, TwilioMessenger
from bot.adapters.twilio_content import TwilioTemplates
from bot.core.ports import OutboundMessage, SendOutcome
from bot.settings import Settings
from tests.fakes.twilio import FakeTwilio

PHONE = "+5511987654321"
SENDER = "whatsapp:+5511930000001"
REMINDER_SID = "HX00000000000000000000000000000001"  # flows/confirmation.yaml's reminder


def twilio_settings(settings: Settings, base_url: str, **sending: object) -> Settings:
    return settings.model_copy(
        update={
            "twilio_account_sid": "AC" + "0" * 32,
            "twilio_auth_token": SecretStr("secret-token"),
            "twilio_api_base_url": base_url,
            "sending": settings.sending.model_copy(update=sending),
        }
    )


@pytest.fixture
async def twilio(
    settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> AsyncIterator[tuple[FakeTwilio, TwilioMessenger]]:
    fake, url = fake_twilio
    messenger = TwilioMessenger(
        twilio_settings(settings, url, request_timeout=timedelta(seconds=1))
    )
    yield fake, messenger
    await messenger.aclose()


def _message(**changes: object) -> OutboundMessage:
    fields: dict[str, object] = {"key": "c1:reminder", "to": PHONE, "sender": SENDER, "text": "Olá"}
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


async def test_free_text_is_sent_with_callback_and_validity(
    twilio: tuple[FakeTwilio, TwilioMessenger],
) -> None:
    fake, messenger = twilio
    result = await messenger.send(_message(key="c1:reply/1", valid_for_seconds=600))
    assert result.outcome is SendOutcome.ACCEPTED
    assert result.provider_sid == fake.messages[0].sid
    form = fake.messages[0].form
    assert form["To"] == "whatsapp:" + PHONE
    assert form["From"] == SENDER
    assert form["Body"] == "Olá"
    assert form["ValidityPeriod"] == "600"
    assert form["StatusCallback"] == (
        "https://digitaly.test/webhooks/twilio/status?key=c1%3Areply%2F1"
    )
    assert fake.keys() == {"c1:reply/1": 1}
    assert fake.requests[0]["auth"].startswith("Basic ")


async def test_template_goes_as_content_sid_and_variables(
    twilio: tuple[FakeTwilio, TwilioMessenger],
) -> None:
    fake, messenger = twilio
    variables = {
        "1": "Conceição",
        "2": "sua consulta",
        "3": "Dra. Ana",
        "4": "amanhã",
        "5": "Centro",
    }
    result = await messenger.send(_message(content_sid=REMINDER_SID, variables=variables))
    assert result.outcome is SendOutcome.ACCEPTED
    form = fake.messages[0].form
    assert form["ContentSid"] == REMINDER_SID
    assert json.loads(form["ContentVariables"]) == variables
    assert "Body" not in form
    assert "ValidityPeriod" not in form


@pytest.mark.parametrize(
    ("kind", "code", "outcome", "status"),
    [
        ("429", 0, SendOutcome.REJECTED, 429),
        ("error", 63016, SendOutcome.REJECTED, 400),
        ("503", 0, SendOutcome.UNKNOWN, 503),  # may have been created: never a blind resend
        ("drop", 0, SendOutcome.UNKNOWN, None),
    ],
)
async def test_failures_are_classified(
    twilio: tuple[FakeTwilio, TwilioMessenger],
    kind: str,
    code: int,
    outcome: SendOutcome,
    status: int | None,
) -> None:
    fake, messenger = twilio
    fake.fail_next(kind, code=code, retry_after=3)
    result = await messenger.send(_message())
    assert (result.outcome, result.http_status) == (outcome, status)
    if kind == "429":
        assert (result.error_code, result.retry_after) == (20429, 3.0)
    if kind == "error":
        assert (result.error_code, result.retry_after) == (63016, None)


async def test_a_slow_answer_is_unknown(twilio: tuple[FakeTwilio, TwilioMessenger]) -> None:
    fake, messenger = twilio
    fake.delay = 1.5
    result = await messenger.send(_message())
    assert result.outcome is SendOutcome.UNKNOWN
    assert len(fake.messages) == 1  # it was created all the same


async def test_no_connection_is_a_rejection(settings: Settings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    messenger = TwilioMessenger(twilio_settings(settings, f"http://127.0.0.1:{port}"))
    try:
        result = await messenger.send(_message())
    finally:
        await messenger.aclose()
    assert (result.outcome, result.http_status) == (SendOutcome.REJECTED, None)


async def test_find_sent_lists_one_number_from_one_sender_since(
    twilio: tuple[FakeTwilio, TwilioMessenger],
) -> None:
    fake, messenger = twilio
    before = datetime.now(UTC) - timedelta(seconds=2)
    fake.fail_next("drop")
    await messenger.send(_message(text="lembrete"))
    await messenger.send(_message(to="+5521999990000"))
    await messenger.send(_message(sender="whatsapp:+5511930000002"))
    found = await messenger.find_sent(PHONE, SENDER, before)
    assert [(m.sid, m.to, m.sender, m.body) for m in found] == [
        (fake.messages[0].sid, PHONE, SENDER, "lembrete")
    ]
    assert await messenger.find_sent(PHONE, SENDER, datetime.now(UTC) + timedelta(minutes=1)) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"to": "5511987654321"}, 21211),  # not E.164
        ({"sender": "+5511930000001"}, 21212),  # not a whatsapp: address
        ({"text": ""}, 21619),  # neither Body nor ContentSid
        ({"content_sid": "HX1"}, 21655),  # not HX + 32 hex
        ({"content_sid": "HX" + "f" * 32}, 21655),  # no such template
        ({"content_sid": REMINDER_SID, "variables": {"1": "linha\nnova"}}, 21656),
        ({"content_sid": REMINDER_SID, "variables": {"1": "a     b"}}, 21656),
        ({"content_sid": REMINDER_SID, "variables": {"1": ""}}, 21656),
    ],
)
async def test_malformed_requests_are_refused_as_twilio_does(
    twilio: tuple[FakeTwilio, TwilioMessenger], changes: dict[str, object], code: int
) -> None:
    fake, messenger = twilio
    result = await messenger.send(_message(**changes))
    assert (result.outcome, result.http_status, result.error_code) == (
        SendOutcome.REJECTED, 400, code
    )  # fmt: skip
    assert fake.messages == []


async def test_wrong_credentials_are_a_401_with_code_20003(
    settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    fake, url = fake_twilio
    fake.auth_token = "another-token"
    messenger = TwilioMessenger(twilio_settings(settings, url))
    try:
        result = await messenger.send(_message())
    finally:
        await messenger.aclose()
    assert (result.outcome, result.http_status, result.error_code) == (
        SendOutcome.REJECTED, 401, 20003
    )  # fmt: skip
    assert fake.messages == []


def _open_sessions() -> set[int]:
    # type(), not isinstance(): the heap may hold dead weak proxies, which isinstance reads.
    found = [o for o in gc.get_objects() if issubclass(type(o), ClientSession)]
    return {id(o) for o in found if not o.closed}


async def test_each_client_opens_one_session_with_its_timeout_and_closes_it(
    settings: Settings, fake_twilio: tuple[FakeTwilio, str]
) -> None:
    # A subclass of twilio-python's AsyncTwilioHttpClient given its arguments in the
    # wrong places would open a second session, replaced and never closed, and would
    # not hold the timeout asked for.
    fake, url = fake_twilio
    configured = twilio_settings(settings, url, request_timeout=timedelta(seconds=1.5))
    before = _open_sessions()
    messenger = TwilioMessenger(configured)
    templates = TwilioTemplates.from_settings(configured)
    clients: list[HttpClient] = [messenger.http, templates.http]
    assert _open_sessions() - before == {id(http.session) for http in clients}
    assert [(http.timeout, http.is_async) for http in clients] == [(1.5, True), (15.0, True)]
    assert messenger.http.session.timeout.total == 1.5
    assert messenger.client.http_client is messenger.http
    result = await messenger.send(_message())
    assert result.outcome is SendOutcome.ACCEPTED, result
    assert [m.sid for m in fake.messages] == [result.provider_sid]
    assert _open_sessions() - before == {id(http.session) for http in clients}
    await messenger.aclose()
    await templates.aclose()
    assert _open_sessions() - before == set()
