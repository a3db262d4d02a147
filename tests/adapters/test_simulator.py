"""The simulator channel: what it "sends" is stored and can be found again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.messenger import create_messenger
from bot.adapters.mongo import MongoStore
from bot.adapters.simulator import SimulatorMessenger
from bot.core.ports import OutboundMessage, SendOutcome
from bot.settings import Settings


async def test_simulator_stores_and_finds_messages(
    settings: Settings, mongo_store: MongoStore
) -> None:
    messenger = create_messenger(settings, mongo_store.db)  # no Twilio credentials in tests
    assert isinstance(messenger, SimulatorMessenger)
    before = datetime.now(UTC) - timedelta(seconds=1)
    message = OutboundMessage(
        key="c1:reminder",
        to="+5511987654321",
        sender="whatsapp:+5511930000001",
        text="Olá, Conceição",
        buttons=(("confirm", "Confirmar"),),
    )
    result = await messenger.send(message)
    assert result.outcome is SendOutcome.ACCEPTED
    assert result.provider_sid is not None
    assert result.provider_sid.startswith("SIM")
    [found] = await messenger.find_sent(message.to, message.sender, before)
    assert (found.sid, found.body) == (result.provider_sid, "Olá, Conceição")
    assert await messenger.find_sent("+5521999990000", message.sender, before) == []
    doc = await mongo_store.db["simulator_messages"].find_one({"_id": result.provider_sid})
    assert doc is not None
    assert (doc["key"], doc["buttons"]) == ("c1:reminder", [["confirm", "Confirmar"]])
    await messenger.aclose()
