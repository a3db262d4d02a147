"""Collections and indexes: their current definitions, applied by the migrations.

Uniqueness is what makes at-least-once delivery safe: every dedupe rule lives
here as a unique index, never as a read-then-write check.
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

__all__ = ["INDEXES"]


INDEXES: dict[str, list[IndexModel]] = {
    "appointments": [
        IndexModel([("external_id", ASCENDING)], unique=True, name="external_id_unique"),
        IndexModel([("phone", ASCENDING), ("starts_at", ASCENDING)], name="phone_starts_at"),
        IndexModel([("starts_at", ASCENDING)], name="starts_at"),
        # Only appointments still waiting for their reminder carry the field: the
        # due scan reads those, not the whole collection.
        IndexModel([("reminder_due_at", ASCENDING)], name="reminder_due", sparse=True),
    ],
    "conversations": [
        IndexModel([("phone", ASCENDING), ("status", ASCENDING)], name="phone_status"),
        IndexModel([("timeout_at", ASCENDING)], name="timeout_at", sparse=True),
        IndexModel([("appointment_ids", ASCENDING)], name="appointment_ids"),
    ],
    "inbound": [
        # _id is the MessageSid: a replayed webhook is a duplicate key.
        IndexModel([("processed_at", ASCENDING), ("received_at", ASCENDING)], name="unprocessed"),
        IndexModel([("phone", ASCENDING), ("received_at", ASCENDING)], name="phone_received"),
    ],
    "status_events": [
        # _id is "sid:status": a repeated callback is a duplicate key.
        IndexModel([("sid", ASCENDING)], name="sid"),
    ],
    "cancellations": [
        IndexModel([("appointment_id", ASCENDING)], unique=True, name="appointment_unique"),
        IndexModel([("seq", ASCENDING)], unique=True, name="seq_unique"),
        # The robot's read: unacknowledged ones after its cursor; and staff's failed list.
        IndexModel([("result", ASCENDING), ("seq", ASCENDING)], name="result_seq"),
    ],
    "slots": [
        IndexModel([("external_id", ASCENDING)], unique=True, name="external_id_unique"),
        # Offering: same unit and specialty (and doctor, first), open, nearest first.
        IndexModel(
            [
                ("unit", ASCENDING),
                ("specialty", ASCENDING),
                ("state", ASCENDING),
                ("starts_at", ASCENDING),
                ("external_id", ASCENDING),
            ],
            name="offer",
        ),
        IndexModel(
            [
                ("unit", ASCENDING),
                ("specialty", ASCENDING),
                ("doctor", ASCENDING),
                ("state", ASCENDING),
                ("starts_at", ASCENDING),
                ("external_id", ASCENDING),
            ],
            name="offer_doctor",
        ),
        # A full push of a unit's day withdraws what it no longer lists.
        IndexModel(
            [("unit", ASCENDING), ("day", ASCENDING), ("state", ASCENDING)], name="unit_day"
        ),
    ],
    "reschedules": [
        IndexModel([("seq", ASCENDING)], unique=True, name="seq_unique"),
        # The robot's read (held, after its cursor) and the expiry sweep (held, hold ended).
        IndexModel([("state", ASCENDING), ("seq", ASCENDING)], name="state_seq"),
        IndexModel([("state", ASCENDING), ("hold_until", ASCENDING)], name="state_hold_until"),
        # The daily report: the moves away from a day's appointments.
        IndexModel([("appointment_id", ASCENDING)], name="appointment_id"),
    ],
    # _id is the appointment's id: one entry per appointment (bot.adapters.mongo.waitlist).
    "waitlist": [
        # Who fits a freed time: never offered first, then least lately offered.
        IndexModel(
            [
                ("unit", ASCENDING),
                ("specialty", ASCENDING),
                ("active", ASCENDING),
                ("last_offered_at", ASCENDING),
                ("joined_at", ASCENDING),
            ],
            name="candidates",
        ),
    ],
    # _id is the cancelled appointment's id: one opening per cancellation.
    "waitlist_openings": [
        IndexModel([("state", ASCENDING), ("cancelled_at", ASCENDING)], name="state_cancelled"),
        IndexModel([("state", ASCENDING), ("settled_at", ASCENDING)], name="state_settled"),
    ],
    # _id is "opening.entry": an opening is offered to a patient once.
    "waitlist_offers": [
        IndexModel([("opening_id", ASCENDING)], name="opening_id"),
        IndexModel([("state", ASCENDING), ("offered_at", ASCENDING)], name="state_offered"),
        IndexModel([("offered_at", DESCENDING)], name="offered_at"),
    ],
    "api_tokens": [
        # _id is the token's name; every request looks its token up by hash.
        IndexModel([("token_hash", ASCENDING)], unique=True, name="token_hash_unique"),
    ],
    "idempotency_keys": [
        # _id is (token, route, Idempotency-Key): the first request to insert it runs.
        IndexModel([("created_at", ASCENDING)], name="expire_24h", expireAfterSeconds=86_400),
    ],
    "operations": [
        IndexModel([("created_at", ASCENDING)], name="expire_7d", expireAfterSeconds=604_800),
    ],
    "outbox": [
        # _id is the effect's key: the same effect recorded twice is stored once.
        IndexModel([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="state_due"),
        IndexModel([("provider_sid", ASCENDING)], name="provider_sid", sparse=True),
        IndexModel([("state", ASCENDING), ("created_at", ASCENDING)], name="state_created"),
        IndexModel([("conversation_id", ASCENDING)], name="conversation_id"),
        # A recovered button tap's candidates: one patient's recent messages.
        IndexModel([("phone", ASCENDING), ("created_at", ASCENDING)], name="phone_created"),
    ],
    "suppressions": [
        # _id is the E.164 number: one document per opted-out number.
        IndexModel([("at", ASCENDING)], name="at"),
    ],
    # _id is the sender (whatsapp:+55...): one pause per sender, extended with $max.
    "sender_pauses": [IndexModel([("until", ASCENDING)], name="until")],
    "dead_letters": [
        # _id is the outbox key: an entry is dead-lettered once.
        IndexModel([("at", DESCENDING)], name="at"),
    ],
    # Daily reports (bot.adapters.mongo.report_archive): _id is "date.unit.kind", so a schedule stores one run.
    "report_runs": [
        IndexModel([("date", ASCENDING), ("unit", ASCENDING)], name="date_unit"),
        IndexModel([("state", ASCENDING), ("requested_at", ASCENDING)], name="state_requested"),
    ],
    # _id is "report id:recipients hash": one email per report and recipient list.
    "email_deliveries": [
        IndexModel([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="state_due"),
    ],
    "simulator_messages": [
        IndexModel([("to", ASCENDING), ("created_at", ASCENDING)], name="to_created"),
        IndexModel([("key", ASCENDING)], name="key"),
    ],
}
