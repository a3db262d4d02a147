"""The waitlist in one dict (one ``items``, so the memory store's transaction can roll it back)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from bot.adapters.memory.unique import insert_new
from bot.core.model import CandidateQuery
from bot.core.ports import (
    OfferState,
    Opening,
    OpeningState,
    WaitlistEntry,
    WaitlistOffer,
)

__all__ = ["MemoryWaitlist"]

_Item = WaitlistEntry | Opening | WaitlistOffer
T = TypeVar("T", WaitlistEntry, Opening, WaitlistOffer)
_NEVER = datetime.min.replace(tzinfo=UTC)


class MemoryWaitlist:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], _Item] = {}

    def _all(self, kind: type[T]) -> list[T]:
        return [item for item in self.items.values() if isinstance(item, kind)]

    def _get(self, kind: type[T], key: str) -> T | None:
        item = self.items.get((kind.__name__, key))
        return item if isinstance(item, kind) else None

    def _put(self, item: _Item) -> None:
        self.items[(type(item).__name__, item.id)] = item

    def _add(self, item: _Item) -> bool:
        """Insert only, as the unique ``_id`` does in Mongo: False when it is there already."""
        return insert_new(self.items, (type(item).__name__, item.id), item)

    async def join(self, entry: WaitlistEntry) -> bool:
        current = self._get(WaitlistEntry, entry.id)
        if current is not None and current.active:
            return False
        last = current.last_offered_at if current else None
        self._put(replace(entry, active=True, last_offered_at=last))
        return True

    async def entry(self, appointment_id: str) -> WaitlistEntry | None:
        return self._get(WaitlistEntry, appointment_id)

    async def move_entry(self, appointment_id: str, starts_at: datetime) -> bool:
        current = self._get(WaitlistEntry, appointment_id)
        if current is None:
            return False
        self._put(replace(current, starts_at=starts_at))
        return True

    async def leave(self, appointment_id: str) -> bool:
        current = self._get(WaitlistEntry, appointment_id)
        if current is None or not current.active:
            return False
        self._put(replace(current, active=False))
        return True

    async def candidates(self, query: CandidateQuery, limit: int) -> list[WaitlistEntry]:
        found = [
            e
            for e in self._all(WaitlistEntry)
            if e.active
            and (e.unit, e.specialty) == (query.unit, query.specialty)
            and e.starts_at > query.earlier_than
            and (query.doctor is None or e.doctor == query.doctor)
            and e.id not in query.exclude
        ]

        def order(e: WaitlistEntry) -> tuple[bool, datetime, datetime, str]:
            last = e.last_offered_at
            return (last is not None, last or e.joined_at, e.joined_at, e.id)

        return sorted(found, key=order)[:limit]

    async def mark_offered(self, entry_id: str, at: datetime) -> None:
        current = self._get(WaitlistEntry, entry_id)
        if current is not None:
            self._put(replace(current, last_offered_at=at))

    async def add_opening(self, opening: Opening) -> bool:
        return self._add(opening)

    async def get_opening(self, opening_id: str) -> Opening | None:
        return self._get(Opening, opening_id)

    async def openings(self, state: OpeningState, limit: int) -> list[Opening]:
        found = [o for o in self._all(Opening) if o.state is state]
        return sorted(found, key=lambda o: (o.cancelled_at, o.id))[:limit]

    async def replace_opening(self, opening: Opening, *, state: OpeningState, batches: int) -> bool:
        current = self._get(Opening, opening.id)
        if current is None or current.state is not state or current.batches != batches:
            return False
        self._put(opening)
        return True

    async def filled_between(self, start: datetime, end: datetime) -> list[Opening]:
        return sorted(
            (
                o
                for o in self._all(Opening)
                if o.state is OpeningState.FILLED
                and o.settled_at is not None
                and start <= o.settled_at < end
            ),
            key=lambda o: (o.settled_at or _NEVER, o.id),
        )

    async def add_offer(self, offer: WaitlistOffer) -> bool:
        return self._add(offer)

    async def get_offer(self, offer_id: str) -> WaitlistOffer | None:
        return self._get(WaitlistOffer, offer_id)

    async def offers_for(self, opening_id: str) -> list[WaitlistOffer]:
        found = [o for o in self._all(WaitlistOffer) if o.opening_id == opening_id]
        return sorted(found, key=lambda o: (o.offered_at, o.id))

    async def settle_offer(self, offer_id: str, state: OfferState, at: datetime) -> bool:
        current = self._get(WaitlistOffer, offer_id)
        if current is None or current.state is not OfferState.OPEN:
            return False
        self._put(replace(current, state=state, settled_at=at))
        return True

    async def open_offers_since(self, before: datetime, limit: int) -> list[WaitlistOffer]:
        found = [
            o
            for o in self._all(WaitlistOffer)
            if o.state is OfferState.OPEN and o.offered_at <= before
        ]
        return sorted(found, key=lambda o: (o.offered_at, o.id))[:limit]

    async def recent_offers(self, limit: int) -> list[WaitlistOffer]:
        found = sorted(self._all(WaitlistOffer), key=lambda o: (o.offered_at, o.id), reverse=True)
        return found[:limit]
