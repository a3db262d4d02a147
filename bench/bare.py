"""The webhook baseline: a bare aiohttp handler making the webhook's MongoDB round trips, nothing else.

``python -m bench.bare --port P --mongodb-url URL --db NAME --reads 4 --writes 5``
serves the webhook's path; each POST reads the form, then makes ``reads``
``find_one`` and ``writes`` ``update_one`` round trips, one after another, on a
1,000-document collection (keyed by the sender's number) and answers the same
empty TwiML. No signature check, no encryption, no engine, no Redis: what the
storage alone allows.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pymongo.asynchronous.collection import AsyncCollection

from bot.adapters.mongo import create_mongo_client

__all__: list[str] = []

PATH = "/webhooks/twilio/messages"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DOCS = 1000
COLLECTION = web.AppKey("collection", AsyncCollection[dict[str, Any]])


def create_app(mongodb_url: str, db: str, reads: int, writes: int) -> web.Application:
    app = web.Application()
    order = ["read"] * reads + ["write"] * writes

    async def client_ctx(app: web.Application) -> AsyncIterator[None]:
        client = create_mongo_client(mongodb_url)
        collection = client[db]["bare"]
        await collection.delete_many({})
        await collection.insert_many([{"_id": n, "n": 0} for n in range(DOCS)])
        app[COLLECTION] = collection
        yield
        await client.close()

    async def inbound(request: web.Request) -> web.Response:
        form = await request.post()
        key = hash(form.get("From")) % DOCS
        collection = request.app[COLLECTION]
        for kind in order:
            if kind == "read":
                await collection.find_one({"_id": key})
            else:
                await collection.update_one({"_id": key}, {"$inc": {"n": 1}})
        return web.Response(text=EMPTY_TWIML, content_type="application/xml")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.cleanup_ctx.append(client_ctx)
    app.router.add_post(PATH, inbound)
    app.router.add_get("/readyz", ready)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongodb-url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--reads", type=int, required=True)
    parser.add_argument("--writes", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = create_app(args.mongodb_url, args.db, args.reads, args.writes)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
