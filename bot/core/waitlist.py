"""What a waitlist offer's conversation starts with: the one freed time, as a pick would hold it.

The offer reuses the rescheduling pick: ``offer`` lists the time (``take_offer`` picks
it, ``hold_slot`` holds it), ``new_date_time`` and ``new_doctor`` name it in messages.
"""

from __future__ import annotations

from bot.core.model import ConversationData
from bot.core.render import format_date
from bot.core.slot_choice import SlotChoice, to_data

__all__ = ["offer_data"]


def offer_data(choice: SlotChoice) -> ConversationData:
    """The conversation data of an offer of ``choice`` (its time in the unit's timezone)."""
    moment = choice.starts_at
    return {
        "offer": to_data([choice]),
        "vars": {
            "new_date_time": f"{format_date(moment)}, às {moment:%H:%M}",
            "new_doctor": choice.doctor,
        },
    }
