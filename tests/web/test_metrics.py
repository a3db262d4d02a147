"""/metrics: Prometheus text whose counters move when a conversation happens."""

from __future__ import annotations

import re

from bot.web.keys import CONVERSATIONS, STORE
from tests.fakes.twilio import FakeTwilio
from tests.web.test_webhooks import Client, _appointment, _settle


def _value(text: str, name: str, labels: str = "") -> float:
    pattern = re.escape(name) + (r"\{" + labels + r"\}" if labels else r"(\{[^}]*\})?") + r" (\S+)"
    found = re.findall(pattern, text)
    values = [float(v[-1] if isinstance(v, tuple) else v) for v in found]
    return sum(values)


async def test_counters_move_after_a_conversation(client: Client, twilio: FakeTwilio) -> None:
    before = await (await client.get("/metrics")).text()
    appointment = _appointment(301)
    await client.app[STORE].appointments.upsert(appointment)
    await client.app[CONVERSATIONS].start("c-metrics", "confirmation", [appointment])
    assert (await twilio.receive(appointment.phone, "sim")).answer == 200
    await _settle(client)
    response = await client.get("/metrics")
    assert response.status == 200
    after = await response.text()
    stored = 'outcome="stored"'
    assert (
        _value(after, "digitaly_inbound_messages_total", stored)
        == _value(before, "digitaly_inbound_messages_total", stored) + 1
    )
    confirmed = 'flow="confirmation",state="confirmed"'
    assert _value(after, "digitaly_conversation_transitions_total", confirmed) >= 1 + _value(
        before, "digitaly_conversation_transitions_total", confirmed
    )
    route = 'method="POST",route="/webhooks/twilio/messages",status="200"'
    assert _value(after, "digitaly_http_requests_total", route) >= 1
    # Gauges computed at scrape time from the stores.
    assert 'digitaly_outbox_backlog{state="pending"}' in after
    assert "digitaly_queue_depth" in after
    assert "+55" not in after  # no phone number in any label
