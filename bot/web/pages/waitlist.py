"""The console's waitlist page: the offers of freed times and how each ended.

Its own page (``/console/lista-de-espera``), beside the rescheduling sections:
staff see who was offered which time, and whether it is open, accepted, taken,
withdrawn or expired. Names only, never phones or message text.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.core.model import OfferState, Opening
from bot.web.keys import STORE
from bot.web.pages.auth import staff_only
from bot.web.pages.console import base_context

__all__ = ["OFFER_WORDS", "routes"]

routes = web.RouteTableDef()

OFFER_WORDS = {
    OfferState.OPEN: "Aguardando resposta",
    OfferState.ACCEPTED: "Aceita",
    OfferState.TAKEN: "Outra pessoa ficou com o horário",
    OfferState.WITHDRAWN: "Retirada (a consulta voltou para a agenda)",
    OfferState.EXPIRED: "Fechada sem resposta",
}


@routes.get("/console/lista-de-espera")
@staff_only
@aiohttp_jinja2.template("waitlist.html")
async def waitlist(request: web.Request) -> dict[str, Any]:
    store = request.app[STORE]
    rows = []
    openings: dict[str, Opening | None] = {}  # one batch's offers share their opening: read it once
    for offer in await store.waitlist.recent_offers(200):
        if offer.opening_id not in openings:
            openings[offer.opening_id] = await store.waitlist.get_opening(offer.opening_id)
        opening = openings[offer.opening_id]
        patient = await store.appointments.get(offer.entry_id)
        rows.append(
            {
                "offer": offer,
                "state": OFFER_WORDS[offer.state],
                "freed": opening.starts_at if opening else None,
                "doctor": opening.doctor if opening else "",
                "patient": patient.patient_name if patient else "—",
                "current": patient.starts_at if patient else None,
            }
        )
    counts = {words: sum(1 for r in rows if r["state"] == words) for words in OFFER_WORDS.values()}
    return await base_context(request, "lista-de-espera") | {"rows": rows, "counts": counts}
