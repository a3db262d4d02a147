"""The tests' fake Twilio (:mod:`tests.fakes.twilio`) as a process of its own, for the fan-out.

``python -m bench.twilio_fake --port P --account AC... --token T``; ``GET
/_bench/log`` returns every create request it received as ``[monotonic time,
HTTP status, outbox key]``, ``GET /_bench/created`` how many distinct outbox
keys it created. Like every route of the fake, they need the account's Basic
credentials (the fake is as strict as Twilio).
"""

from __future__ import annotations

import argparse

from aiohttp import web

from tests.fakes.templates import flow_templates
from tests.fakes.twilio import FakeTwilio

__all__: list[str] = []


def create_app(account: str, token: str) -> web.Application:
    fake = FakeTwilio(account_sid=account, auth_token=token)
    for template in flow_templates():  # the reminders' templates, approved (else 21655)
        fake.add_template(template)
    app = fake.app()

    async def log(request: web.Request) -> web.Response:
        return web.json_response([[r["at"], r["status"], r["key"]] for r in fake.requests])

    async def created(request: web.Request) -> web.Response:
        # Polled while sending: cheap, so polling never stalls the timestamps it measures.
        keys = {r["key"] for r in fake.requests if r["status"] == 201}
        return web.json_response(len(keys))

    app.router.add_get("/_bench/log", log)
    app.router.add_get("/_bench/created", created)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account", required=True, help="the account sid the workers send as")
    parser.add_argument("--token", required=True, help="its auth token")
    args = parser.parse_args()
    web.run_app(
        create_app(args.account, args.token),
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
