"""The webhook baseline: a bare aiohttp handler making the webhook's MongoDB round trips, nothing else.

``python -m bench.bare --port P --mongodb-url URL --db NAME --reads 4 --writes 5``
serves the webhook's path; each POST reads the form, then makes ``reads``
``find_one`` and ``writes`` ``update_one`` round trips, one after another, on a
1,000-document collection (keyed by the sender's number) and answers the same
empty TwiML. No signature check, no encryption, no engine, no Redis: what the
storage alone allows.

``--bulk N`` (N >= 2): N of the ``writes`` go out together as one client-level
``bulkWrite`` of N updates (MongoDB 8.0's command, one round trip), the way a
turn sends its transaction's writes on such a server; the others stay one
``update_one`` each. Without it, every write is its own round trip.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.operations import UpdateOne

from bot.adapters.mongo import create_mongo_client

__all__: list[str] = []

PATH = "/webhooks/twilio/messages"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
DOCS = 1000
COLLECTION = web.AppKey("collection", AsyncCollection[dict[str, Any]])


def _order(reads: int, writes: int, bulk: int) -> list[str]:
    """The round trips of one POST: the reads, the single writes, then the bulk write if any."""
    if bulk == 1 or bulk > writes:
        raise SystemExit(f"--bulk {bulk}: between 2 and --writes ({writes}), or 0")
    single = writes - bulk
    # A turn's transaction: the bulk write, then its commit (the last single write).
    if bulk:
        return ["read"] * reads + ["write"] * (single - 1) + ["bulk"] + ["write"] * min(single, 1)
    return ["read"] * reads + ["write"] * writes


def create_app(
    mongodb_url: str, db: str, reads: int, writes: int, bulk: int = 0
) -> web.Application:
    app = web.Application()
    order = _order(reads, writes, bulk)

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
            elif kind == "bulk":
                client: AsyncMongoClient[dict[str, Any]] = collection.database.client
                ns = collection.full_name  # one document each, as a turn's writes are
                keys = [(key + n) % DOCS for n in range(bulk)]
                await client.bulk_write(
                    [UpdateOne({"_id": k}, {"$inc": {"n": 1}}, namespace=ns) for k in keys]
                )
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
    parser.add_argument("--bulk", type=int, default=0, help="writes sent as one bulkWrite")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = create_app(args.mongodb_url, args.db, args.reads, args.writes, args.bulk)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
