"""Storing the waitlist: entries (who waits), openings (freed times), offers (who was asked)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.model import (
    CandidateQuery,
    OfferState,
    Opening,
    OpeningState,
    WaitlistEntry,
    WaitlistOffer,
)

__all__ = ["WaitlistRepository"]


class WaitlistRepository(Protocol):
    # --- entries ----------------------------------------------------------------------
    async def join(self, entry: WaitlistEntry) -> bool:
        """Add the entry (or make a left one active again); False when it was active already."""
        ...

    async def entry(self, appointment_id: str) -> WaitlistEntry | None: ...
    async def move_entry(self, appointment_id: str, starts_at: datetime) -> bool:
        """The appointment moved: only times earlier than the new one are offered from now on."""
        ...

    async def leave(self, appointment_id: str) -> bool: ...
    async def candidates(self, query: CandidateQuery, limit: int) -> list[WaitlistEntry]:
        """Active entries that fit ``query``: never offered first, then least lately."""
        ...

    async def mark_offered(self, entry_id: str, at: datetime) -> None: ...

    # --- openings ---------------------------------------------------------------------
    async def add_opening(self, opening: Opening) -> bool:
        """Record a freed time once per cancelled appointment; False if recorded already."""
        ...

    async def get_opening(self, opening_id: str) -> Opening | None: ...
    async def openings(self, state: OpeningState, limit: int) -> list[Opening]:
        """Openings in ``state``, oldest cancellation first."""
        ...

    async def replace_opening(self, opening: Opening, *, state: OpeningState, batches: int) -> bool:
        """Write ``opening`` if the stored one is still in ``state`` with ``batches`` batches sent.

        One conditional write: of two schedulers, one opens it, sends its batch or settles it.
        """
        ...

    async def filled_between(self, start: datetime, end: datetime) -> list[Opening]:
        """Openings filled with ``settled_at`` in [start, end) (the daily report)."""
        ...

    # --- offers -----------------------------------------------------------------------
    async def add_offer(self, offer: WaitlistOffer) -> bool:
        """Record an offer once per opening and entry; False if it was made already."""
        ...

    async def get_offer(self, offer_id: str) -> WaitlistOffer | None: ...
    async def offers_for(self, opening_id: str) -> list[WaitlistOffer]: ...
    async def settle_offer(self, offer_id: str, state: OfferState, at: datetime) -> bool:
        """Settle an open offer; False when it was settled already (the first settlement wins)."""
        ...

    async def open_offers_since(self, before: datetime, limit: int) -> list[WaitlistOffer]:
        """Open offers made at ``before`` or earlier (the expiry sweep), oldest first."""
        ...

    async def recent_offers(self, limit: int) -> list[WaitlistOffer]:
        """The newest offers first (the staff console)."""
        ...
