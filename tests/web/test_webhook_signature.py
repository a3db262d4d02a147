"""X-Twilio-Signature: what twilio-python's ``validate`` accepts, with one HMAC when the
request is signed on the public URL as configured (``validate`` always computes two)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from bot.web.twilio_signature import signed
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import PUBLIC, TOKEN, message_sid, signature
from tests.web.conftest import Client

INBOUND = "/webhooks/twilio/messages"
FORM = {"Body": "sim", "From": "whatsapp:+5511900000001", "MessageSid": "SM1"}
REPEATED = MultiDict([("A", "2"), ("A", "1"), ("B", "x")])
JSON = '{"MessageSid": "SM1"}'
JSON_HASH = hashlib.sha256(JSON.encode()).hexdigest()


def _sign(url: str, params: Any, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


# (url checked, params, url signed by "Twilio", token signed with, accepted)
CASES: list[tuple[str, Mapping[str, str] | str | None, str, str, bool]] = [
    ("https://a.test/hook", FORM, "https://a.test/hook", TOKEN, True),
    ("https://a.test/hook", FORM, "https://a.test:443/hook", TOKEN, True),
    ("https://a.test:443/hook", FORM, "https://a.test/hook", TOKEN, True),
    ("https://a.test:443/hook", FORM, "https://a.test:443/hook", TOKEN, True),
    ("http://a.test/hook", FORM, "http://a.test:80/hook", TOKEN, True),
    ("https://a.test:8443/hook", FORM, "https://a.test/hook", TOKEN, True),
    ("https://a.test:8443/hook", FORM, "https://a.test:8443/hook", TOKEN, True),
    ("https://a.test/hook", FORM, "https://a.test:8443/hook", TOKEN, False),
    ("https://a.test/hook", FORM, "http://a.test/hook", TOKEN, False),
    ("https://a.test/hook?x=1", FORM, "https://a.test/hook?x=1", TOKEN, True),
    ("https://a.test/hook?x=1", FORM, "https://a.test/hook", TOKEN, False),
    ("https://a.test/hook", FORM, "https://a.test/hook", "other-token", False),
    ("https://a.test/hook", REPEATED, "https://a.test/hook", TOKEN, True),
    ("https://a.test/hook", None, "https://a.test/hook", TOKEN, True),
    # A JSON body: the URL carries its SHA-256, and the body is not signed as fields.
    (f"https://a.test/hook?bodySHA256={JSON_HASH}", JSON, "", TOKEN, True),
    (f"https://a.test/hook?bodySHA256={JSON_HASH}", JSON + " ", "", TOKEN, False),
]


@pytest.mark.parametrize(("url", "params", "signed_url", "token", "accepted"), CASES)
def test_the_same_answer_as_twilio_pythons_validate(
    url: str, params: Mapping[str, str] | str | None, signed_url: str, token: str, accepted: bool
) -> None:
    header = _sign(signed_url or url, {} if isinstance(params, str) else params, token)
    validator = RequestValidator(TOKEN)
    assert validator.validate(url, params, header) is accepted
    assert signed(validator, url, params, header) is accepted


def _count_signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URLs twilio-python's ``compute_signature`` is asked to sign, from now on."""
    urls: list[str] = []
    compute = RequestValidator.compute_signature

    def counted(self: RequestValidator, uri: str, params: Any, algorithm: Any = None) -> str:
        urls.append(uri)
        return str(compute(self, uri, params, algorithm))

    monkeypatch.setattr(RequestValidator, "compute_signature", counted)
    return urls


async def test_one_hmac_for_a_webhook_signed_on_the_public_url(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = webhook_form(message_sid("SMone"), "+5511900000011", "sim")
    headers = {"X-Twilio-Signature": signature(INBOUND, form)}
    signed_urls = _count_signatures(monkeypatch)
    response = await client.post(INBOUND, data=form, headers=headers)
    assert response.status == 200
    assert signed_urls == [PUBLIC + INBOUND]


async def test_a_webhook_signed_on_the_url_with_its_port_is_accepted(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = webhook_form(message_sid("SMport"), "+5511900000012", "sim")
    with_port = PUBLIC.replace("https://digitaly.test", "https://digitaly.test:443")
    headers = {"X-Twilio-Signature": signature(INBOUND, form, base=with_port)}
    signed_urls = _count_signatures(monkeypatch)
    response = await client.post(INBOUND, data=form, headers=headers)
    assert response.status == 200
    assert signed_urls == [PUBLIC + INBOUND, with_port + INBOUND]  # the other form, second
