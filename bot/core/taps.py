"""Which button a reply listed without its payload was, when that can be known.

Twilio's Messages list (what reconciliation recovers) gives a button tap's
label as the body and drops ``ButtonPayload`` and ``OriginalRepliedMessageSid``.
The label is enough when exactly one of our recent messages to the patient
offers it, or when every message that offers it belongs to the same
conversation and means the same button (a reminder and its second reminder):
then the tap is that button, answering the newest such message. When two
conversations offer the label (two reminders with the same buttons), it could
answer either: it stays a typed reply, read by the number's newest conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.model import OutboxEntry

__all__ = ["Tap", "recovered_tap"]


@dataclass(frozen=True, slots=True)
class Tap:
    button_id: str  # what Twilio would have sent as ButtonPayload
    replied_to: str  # the provider sid of the message it answers


def recovered_tap(body: str, sent: Sequence[OutboxEntry]) -> Tap | None:
    """The button ``body`` is the label of, among the messages in ``sent``; None if not one."""
    label = _label(body)
    if not label:
        return None
    offers = [
        (entry, button_id)
        for entry in sent
        for button_id, text in entry.buttons
        if entry.provider_sid and _label(text) == label
    ]
    if len({(entry.conversation_id, button_id) for entry, button_id in offers}) != 1:
        return None
    entry, button_id = max(offers, key=lambda offer: offer[0].created_at)
    assert entry.provider_sid is not None
    return Tap(button_id, entry.provider_sid)


def _label(text: str) -> str:
    return " ".join(text.split()).casefold()
