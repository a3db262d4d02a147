"""The load generator: signed inbound WhatsApp messages at a fixed offered rate, in its own process.

``python -m bench.load URL --rate 100 --seconds 5 --patients 2000 --prefix s3``
posts ``rate * seconds`` messages, round-robin over the patients, each signed
exactly as Twilio signs it, at most ``--concurrency`` in flight. Latency counts
from the moment a message was *due*, not when it left, so a slow server cannot
hide its queue by slowing the generator down. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import time

import aiohttp

from bench.seeding import phone
from tests.fakes.twilio_inbound import webhook_form
from tests.twilio_signing import signature

__all__ = ["PATH", "percentiles", "step_range", "step_sid"]

PATH = "/webhooks/twilio/messages"


def _tag_hex(tag: str) -> str:
    return hashlib.sha256(tag.encode()).hexdigest()[:8]


def step_sid(tag: str, n: int) -> str:
    """Message ``n`` of step ``tag``: Twilio's shape (``SM`` + 32 hex, the webhook refuses
    anything else), and every sid of one step in one ``_id`` range (:func:`step_range`)."""
    return f"SM{_tag_hex(tag)}{n:024x}"


def step_range(tag: str) -> dict[str, str]:
    """The ``_id`` filter matching every sid :func:`step_sid` makes for ``tag``."""
    prefix = f"SM{_tag_hex(tag)}"
    return {"$gte": prefix, "$lt": prefix + "g"}  # "g" sorts after every hex digit


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p99 and max of ``values`` (seconds), in milliseconds."""
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    return {"p50": at(0.50), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1)}


async def _run(args: argparse.Namespace) -> dict[str, object]:
    total = int(args.rate * args.seconds)
    forms = []
    for i in range(total):
        form = webhook_form(step_sid(args.prefix, i), phone(i % args.patients), args.body)
        headers = {"X-Twilio-Signature": signature(PATH, form, args.token, args.public)}
        forms.append((form, headers))
    latencies: list[float] = []
    errors = 0
    slots = asyncio.Semaphore(args.concurrency)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(args.url, connector=connector) as session:

        async def post(due: float, form: dict[str, str], headers: dict[str, str]) -> None:
            nonlocal errors
            try:
                async with session.post(PATH, data=form, headers=headers) as answer:
                    await answer.read()
                    ok = answer.status == 200
            except aiohttp.ClientError:
                ok = False
            finally:
                slots.release()
            if ok:
                latencies.append(time.monotonic() - due)
            else:
                errors += 1

        began = time.monotonic()
        tasks = []
        for i, (form, headers) in enumerate(forms):
            due = began + i / args.rate
            if (ahead := due - time.monotonic()) > 0:
                await asyncio.sleep(ahead)
            await slots.acquire()
            tasks.append(asyncio.create_task(post(due, form, headers)))
        await asyncio.gather(*tasks)
        ended = time.monotonic()
    return {
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "seconds": round(ended - began, 3),
        "achieved": round(len(latencies) / (ended - began), 1),
        **percentiles(latencies),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--prefix", required=True, help="makes the MessageSids unique per run")
    parser.add_argument("--body", default="2")
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--token", required=True, help="the auth token to sign with")
    parser.add_argument("--public", required=True, help="PUBLIC_BASE_URL the server checks against")
    print(json.dumps(asyncio.run(_run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
