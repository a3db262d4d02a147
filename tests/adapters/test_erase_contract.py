"""LGPD erasure of conversations, against MongoStore and its in-memory twin.

A turn that read a conversation before it was erased must not write the patient's
data back when it saves: the erasure is a version of its own. What the reports count
(messages sent, when and how each question was answered) stays, with nothing that
names the patient.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.errors import ConflictError
from bot.core.model import ConversationStatus
from bot.core.ports import Store
from tests.builders import NOW, PHONE, conversation

SUBJECT = "erased:0123456789abcdef01234567"
AT = NOW + timedelta(minutes=5)


async def test_a_turn_read_before_the_erasure_cannot_save_over_it(store: Store) -> None:
    data = {"vars": {"nome": "Conceição"}, "decisions": [{"intent": "confirm"}]}
    first = conversation(data=data, timeout_at=NOW + timedelta(hours=2))
    other = conversation(id="c2", phone="+5511900000002", data=data)
    assert await store.conversations.create(first)
    assert await store.conversations.create(other)
    read = await store.conversations.get("c1")  # a turn loads it ...
    assert read is not None

    assert await store.conversations.erase((PHONE, "+551187654321"), SUBJECT, AT) == 1

    step = replace(read, state="confirmed", version=read.version + 1, data={**data, "asks": 1})
    with pytest.raises(ConflictError):  # ... and saves after the erasure: refused
        await store.conversations.save(step, read)
    with pytest.raises(ConflictError):  # without ``before`` (the whole document) as well
        await store.conversations.save(step)
    erased = await store.conversations.get("c1")
    assert erased is not None
    assert (erased.phone, erased.data, erased.version) == (
        SUBJECT,
        {"erased": True, "sent": {}, "decisions": [{"intent": "confirm"}]},
        1,
    )
    assert (erased.status, erased.timeout_at, erased.updated_at) == (
        ConversationStatus.DONE,
        None,
        AT,
    )
    assert await store.conversations.active_for_phone((PHONE,)) is None
    assert await store.conversations.get("c2") == other  # another patient's is untouched

    # The conflict path re-reads: a step from the erased version is taken.
    retried = replace(erased, state="later", version=erased.version + 1)
    await store.conversations.save(retried, erased)
    assert await store.conversations.get("c1") == retried


async def test_the_erasure_keeps_the_counts_and_drops_what_names_the_patient(
    store: Store,
) -> None:
    answered = (NOW + timedelta(minutes=3)).isoformat()
    data = {
        "vars": {"nome": "Conceição", "medico": "Dra. Ana"},
        "sent": {"reminder": 1, "reply": 2},
        "asks": 1,
        "decisions": [
            {
                "at": answered,
                "state": "confirm_cancel",
                "intent": "no",
                "rule": "button",
                "reason": "tapped Manter consulta",
            }
        ],
        "last_reply_at": answered,
        "answers": {"survey": "5"},
        "stopped": "Conceição pediu por telefone",
        "outcome_by_staff": "confirm",
    }
    assert await store.conversations.create(conversation(data=data))

    assert await store.conversations.erase((PHONE,), SUBJECT, AT) == 1

    erased = await store.conversations.get("c1")
    assert erased is not None
    assert erased.data == {
        "erased": True,
        "sent": {"reminder": 1, "reply": 2},
        "decisions": [
            {"at": answered, "state": "confirm_cancel", "intent": "no", "rule": "button"}
        ],
    }
    assert "Conceição" not in repr(erased)
