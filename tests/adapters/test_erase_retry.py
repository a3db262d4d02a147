"""An LGPD erasure that fails partway is run again: it finishes, erases each thing once,
leaves nothing of the patient, keeps what the reports count, and is accountable.

Against the real MongoDB-wire server. The failure is the one a dropped connection
gives: pymongo raises ``AutoReconnect`` for one command of one collection; the
command either never reached the server or was applied and its answer lost.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect

from bot.adapters.mongo import MongoStore
from bot.adapters.mongo.privacy import ERASED_NAME, erase_patient, export_patient, phone_hash
from bot.core.model import Conversation, InboundMessage, OutboxState, erased_data
from tests.builders import NOW, PHONE, SENDER, appointment, conversation, outbox_entry, patient

KEY = "test-privacy-key"
SUBJECT = phone_hash(KEY, PHONE)
FIRST, AGAIN = NOW + timedelta(minutes=5), NOW + timedelta(minutes=9)
OTHER = patient(7)
DATA: dict[str, Any] = {
    "vars": {"first_name": "Conceição", "doctor": "Dra. Cláudia Guimarães"},
    "sent": {"reminder": 1, "reply": 2},
    "asks": 0,
    "decisions": [
        {
            "at": NOW.isoformat(),
            "state": "awaiting_reply",
            "intent": "confirm",
            "rule": "model",
            "reason": "model: confirm 0.97 (Conceição disse sim)",
        }
    ],
}


class _Dropped:
    """The test's database, where ``method`` of ``collection`` fails once, on its
    ``nth`` call (0: the first), as pymongo fails when the connection drops: before the
    command reached the server, or (``applied``) after the server applied it."""

    def __init__(
        self, db: AsyncDatabase[Any], collection: str, method: str, nth: int, applied: bool
    ) -> None:
        self.db, self.collection, self.method = db, collection, method
        self.calls, self.nth, self.applied = 0, nth, applied

    def __getitem__(self, name: str) -> Any:
        real = self.db[name]
        return _DroppedCollection(real, self) if name == self.collection else real


class _DroppedCollection:
    def __init__(self, real: Any, plan: _Dropped) -> None:
        self._real, self._plan = real, plan

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name != self._plan.method:
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            plan = self._plan
            plan.calls += 1
            if plan.calls - 1 != plan.nth:
                return await attribute(*args, **kwargs)
            if plan.applied:
                await attribute(*args, **kwargs)
            raise AutoReconnect("connection closed (the test dropped it)")

        return call


async def _seed(store: MongoStore) -> dict[str, Conversation]:
    second = appointment(id="a2", external_id="LEG-2", starts_at=NOW + timedelta(days=2))
    for one in (appointment(), second, OTHER):
        await store.appointments.upsert(one)
    conversations = [
        conversation(data=DATA),
        conversation(id="c2", appointment_ids=("a2",), data=DATA, version=3),
        conversation(id="c7", phone=OTHER.phone, appointment_ids=(OTHER.id,), data=DATA),
    ]
    for one in conversations:
        assert await store.conversations.create(one)
    for one in conversations:
        assert await store.outbox.add(
            outbox_entry(f"{one.id}:reminder", conversation_id=one.id, phone=one.phone)
        )
    for n, phone in enumerate((PHONE, PHONE, OTHER.phone)):
        message = InboundMessage(
            sid=f"SM{n}", phone=phone, body="vou sim, Conceição aqui", received_at=NOW, to=SENDER
        )
        assert await store.inbound.add(message)
    assert await store.suppressions.add(PHONE, "SAIR", NOW)
    await store.db["simulator_messages"].insert_one(
        {"_id": "SIM1", "to": f"whatsapp:{PHONE}", "text": "Olá, Conceição", "created_at": NOW}
    )
    found = {c.id: await store.conversations.get(c.id) for c in conversations}
    return {k: v for k, v in found.items() if v is not None}


# Where the connection drops: each step, and between the patient's two conversations.
DROPS = [
    ("appointments", "update_many", 0),
    ("outbox", "update_many", 0),  # cancelling the waiting messages
    ("outbox", "update_many", 1),  # anonymising them
    ("conversations", "update_one", 1),
    ("inbound", "delete_many", 0),
    ("suppressions", "update_many", 0),
]


@pytest.mark.parametrize(("collection", "method", "nth"), DROPS)
@pytest.mark.parametrize("applied", [False, True], ids=["not applied", "applied, answer lost"])
async def test_an_erasure_run_again_after_a_drop_finishes_it_once(
    mongo_store: MongoStore, collection: str, method: str, nth: int, applied: bool
) -> None:
    store = mongo_store
    before = await _seed(store)
    dropped = _Dropped(store.db, collection, method, nth, applied)

    with pytest.raises(AutoReconnect):
        await erase_patient(dropped, store.sealer, PHONE, at=FIRST, key=KEY)  # type: ignore[arg-type]
    again = await erase_patient(store.db, store.sealer, PHONE, at=AGAIN, key=KEY)

    # Nothing left under the number: the product's own export finds no document.
    # Only the opt-out is kept (the patient's choice not to be contacted), as the number's
    # blind index alone: no sealed copy of the number.
    left = await export_patient(store.db, store.sealer, PHONE, at=AGAIN, key=KEY)
    assert {name for name, docs in left.items() if docs} == {"suppressions"}
    assert [sorted(doc) for doc in left["suppressions"]] == [["_id", "at", "erased_at", "reason"]]
    for conversation_id in ("c1", "c2"):
        erased = await store.conversations.get(conversation_id)
        assert erased is not None
        start = before[conversation_id]
        # Erased once: one version after the patient's own, the data as documented.
        assert (erased.phone, erased.version, erased.data) == (
            SUBJECT,
            start.version + 1,
            erased_data(start.data),
        )
        assert erased.data["decisions"] == [
            {"at": NOW.isoformat(), "state": "awaiting_reply", "intent": "confirm", "rule": "model"}
        ]
        assert erased.data["sent"] == {"reminder": 1, "reply": 2}
    for appointment_id in ("a1", "a2"):
        kept = await store.appointments.get(appointment_id)
        assert kept is not None
        assert (kept.phone, kept.patient_name) == (SUBJECT, ERASED_NAME)
    assert await store.inbound.unprocessed_for(PHONE) == []
    assert await store.suppressions.is_suppressed(PHONE)
    # Nothing of the patient's waits to be sent; the other patient's still does.
    for entry in await store.outbox.for_conversations(["c1", "c2", "c7"]):
        expected = OutboxState.PENDING if entry.conversation_id == "c7" else OutboxState.FAILED
        assert entry.state is expected
    # The other patient is untouched.
    assert await store.conversations.get("c7") == before["c7"]
    assert await store.appointments.get(OTHER.id) == OTHER
    assert [m.sid for m in await store.inbound.unprocessed_for(OTHER.phone)] == ["SM2"]

    audit = await store.db["privacy_audit"].find({"action": "erase"}).sort("at", 1).to_list()
    assert [(a["subject"], a["finished"]) for a in audit] == [(SUBJECT, False), (SUBJECT, True)]
    assert audit[1]["documents"] == again
    # Anonymised: every document now under the keyed hash; deleted: what each run deleted.
    assert {k: again[k] for k in ("appointments", "outbox", "conversations", "suppressions")} == {
        "appointments": 2,
        "outbox": 2,
        "conversations": 2,
        "suppressions": 1,
    }
    if not applied:  # a deletion whose answer was lost is counted by neither run
        deleted = Counter(audit[0]["documents"]) + Counter(again)
        assert {k: deleted[k] for k in ("inbound", "simulator_messages")} == {
            "inbound": 2,
            "simulator_messages": 1,
        }
