"""A patient's rights under the LGPD: everything we hold on a number, and its erasure.

This module knows which collections and fields carry personal data. Erasure
keeps what the aggregate reports need (appointment times, statuses, doctors,
delivery outcomes, messages sent, when and how each question was answered) and
removes or replaces everything that identifies the patient; each export and
erasure is recorded in ``privacy_audit`` with a keyed hash of the number, never
the number itself.

An opt-out outlives the erasure, on purpose: a patient who opted out stays opted out:
the suppression keeps the number's blind index (a keyed hash, which cannot give the
number back) and loses its sealed copy, so a clinic that imports the patient again
(the robot pushes every appointment) never has them messaged; the patient's own
choice not to be contacted, and the clinic's legitimate interest in honouring it
(LGPD art. 7 IX, art. 10). And the messages still waiting to be sent are cancelled
(``failed``, with the reason), so none goes out after the erasure.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from bot.adapters.mongo.conversations import MongoConversations
from bot.adapters.mongo.sealing import Sealer
from bot.core.model import OutboxState
from bot.core.outbox import ERASED
from bot.core.phones import ERASED_PREFIX, variants

__all__ = ["apply_retention", "erase_patient", "export_patient", "holds_number", "phone_hash"]

Doc = dict[str, Any]
ERASED_NAME = "[apagado]"

# collection -> the field holding the patient's number
_BY_PHONE = {
    "appointments": "phone",
    "conversations": "phone",
    "inbound": "phone",
    "outbox": "phone",
    "simulator_messages": "to",
    "suppressions": "_id",
}


def phone_hash(key: str, phone: str) -> str:
    """A keyed hash: joins records of one number without keeping the number."""
    return ERASED_PREFIX + hmac.new(key.encode(), phone.encode(), hashlib.sha256).hexdigest()[:24]


def _query(collection: str, phones: tuple[str, ...], sealer: Sealer) -> Doc:
    field = _BY_PHONE[collection]
    if collection == "simulator_messages":  # the demo channel keeps its own plain copy
        wanted = [*phones, *(f"whatsapp:{p}" for p in phones)]
    else:  # stored as blind indexes
        wanted = sealer.phones(list(phones))
    return {field: {"$in": wanted}}


async def holds_number(db: AsyncDatabase[Doc], sealer: Sealer, phone: str, *, key: str) -> bool:
    """Whether anything is held on this number, in clear or under its keyed hash (what an
    erasure that stopped partway, or already ran, left): False for a number never seen."""
    phones, subject = variants(phone), phone_hash(key, phone)
    for collection, field in _BY_PHONE.items():
        wanted = {"$or": [_query(collection, phones, sealer), {field: subject}]}
        if await db[collection].find_one(wanted, projection={"_id": 1}) is not None:
            return True
    return False


async def export_patient(
    db: AsyncDatabase[Doc], sealer: Sealer, phone: str, *, at: datetime, key: str
) -> Doc:
    """Every document holding this number, decrypted, per collection (plus cancellations)."""
    phones = variants(phone)
    found: Doc = {}
    for collection in _BY_PHONE:
        docs = await db[collection].find(_query(collection, phones, sealer)).to_list()
        found[collection] = [sealer.decode(collection, doc) for doc in docs]
    appointment_ids = [a["_id"] for a in found["appointments"]]
    found["cancellations"] = (
        await db["cancellations"].find({"appointment_id": {"$in": appointment_ids}}).to_list()
    )
    await db["privacy_audit"].insert_one(
        {
            "at": at,
            "action": "export",
            "subject": phone_hash(key, phone),
            "documents": _count(found),
        }
    )
    return found


async def erase_patient(
    db: AsyncDatabase[Doc], sealer: Sealer, phone: str, *, at: datetime, key: str
) -> dict[str, int]:
    """Remove or anonymise this number everywhere; return the documents each step counts.

    Safe to run again after a failure partway (a dropped connection): every step finds
    only what is left of the number, and a document is erased once. The audit record is
    written first and completed step by step, so a run that failed says what it did
    (``finished: False``). An anonymising step counts every document held under
    the keyed hash (those of an earlier, failed run too); a deleting step, what it deleted.
    """
    phones, subject = variants(phone), phone_hash(key, phone)
    audit = db["privacy_audit"]
    entry = await audit.insert_one(
        {"at": at, "action": "erase", "subject": subject, "documents": {}, "finished": False}
    )
    done: dict[str, int] = {}

    async def record(collection: str, count: int) -> None:
        done[collection] = count
        await audit.update_one(
            {"_id": entry.inserted_id}, {"$set": {f"documents.{collection}": count}}
        )

    anonymise: dict[str, Doc] = {
        "appointments": {
            "$set": {"patient_name": ERASED_NAME, "phone": subject},
            "$unset": {"phone_enc": ""},
        },
        "outbox": {
            "$set": {"phone": subject, "text": "", "variables": {}},
            "$unset": {"phone_enc": ""},
        },
    }
    # Before the outbox is anonymised: nothing waiting goes out after the erasure (the
    # sender refuses an erased number as well, for an entry a worker held meanwhile).
    waiting = {"$or": [_query("outbox", phones, sealer), {"phone": subject}]}
    cancelled = await db["outbox"].update_many(
        {**waiting, "state": OutboxState.PENDING.value},
        {"$set": {"state": OutboxState.FAILED.value, "failure": ERASED.reason}},
    )
    await record("outbox_cancelled", cancelled.modified_count)
    for collection, change in anonymise.items():
        await db[collection].update_many(_query(collection, phones, sealer), change)
        await record(collection, await db[collection].count_documents({"phone": subject}))
    # Through the repository: the erasure is a version of each conversation (a turn in
    # flight re-reads it instead of saving the patient's data back over it).
    conversations = MongoConversations(db["conversations"], None)
    conversations.sealer = sealer
    await conversations.erase(phones, subject, at)
    await record("conversations", await db["conversations"].count_documents({"phone": subject}))
    for collection in ("inbound", "simulator_messages"):
        deleted = await db[collection].delete_many(_query(collection, phones, sealer))
        await record(collection, deleted.deleted_count)
    # The opt-out stays, as its blind index alone (see the module docstring).
    opted_out = _query("suppressions", phones, sealer)
    await db["suppressions"].update_many(
        opted_out, {"$unset": {"phone_enc": ""}, "$set": {"erased_at": at}}
    )
    await record("suppressions", await db["suppressions"].count_documents(opted_out))
    await audit.update_one({"_id": entry.inserted_id}, {"$set": {"finished": True}})
    return done


def _count(found: Doc) -> dict[str, int]:
    return {name: len(docs) for name, docs in found.items()}


async def apply_retention(db: AsyncDatabase[Doc], now: datetime, keep: timedelta) -> dict[str, int]:
    """Blank message bodies older than ``keep`` (the outcome records stay for the reports)."""
    cutoff = now - keep
    inbound = await db["inbound"].update_many(
        {"received_at": {"$lt": cutoff}, "body": {"$ne": ""}}, {"$set": {"body": ""}}
    )
    outbox = await db["outbox"].update_many(
        {"created_at": {"$lt": cutoff}, "text": {"$ne": ""}},
        {"$set": {"text": "", "variables": {}}},
    )
    simulator = await db["simulator_messages"].delete_many({"created_at": {"$lt": cutoff}})
    return {
        "inbound": inbound.modified_count,
        "outbox": outbox.modified_count,
        "simulator_messages": simulator.deleted_count,
    }
