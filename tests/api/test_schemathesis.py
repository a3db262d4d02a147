"""Schemathesis against /openapi.json, on a real TCP port, with and without a token.

Every generated request (positive and negative data) must get an answer the
document describes: no 5xx, no undocumented status code, body and headers as
documented. Derandomized, so the suite is repeatable; the case count is printed.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from redis.asyncio import Redis
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from bot.adapters.memory import MemoryQueue
from bot.services.tokens import TokenService
from bot.settings import Settings
from bot.web import create_app
from bot.web.keys import CLOCK, QUEUE, STORE
from tests.api.conftest import ALL_SCOPES, api_settings
from tests.web.conftest import served

EXAMPLES_PER_MODE = 150  # over all operations together, per generation mode


def _mutated_an_item(case: schemathesis.Case) -> bool:
    """A negative case whose invalid part is inside one appointment (or slot) of a batch.

    By contract such an item is answered per item (200, ``rejected`` with its
    reasons, nothing written for it) rather than failing the whole batch, so
    Schemathesis's "invalid data must get a 4xx" check does not apply to it; the
    stricter check below does.
    """
    meta = case.meta
    if meta is None or case.operation.path not in ("/api/v1/appointments", "/api/v1/slots"):
        return False
    if all(info.mode is not GenerationMode.NEGATIVE for info in meta.components.values()):
        return False
    data = meta.phase.data
    pointers = [getattr(data, "location", None) or ""]
    pointers += [mutation.schema_pointer for mutation in getattr(data, "mutations", ())]
    return any("/properties/items/items" in pointer for pointer in pointers)


def _assert_item_rejected(response: requests.Response) -> None:
    if response.status_code == 200:
        summary = response.json()["summary"]
        assert summary["rejected"] >= 1, f"an invalid item was accepted: {summary}"
    else:
        assert 400 <= response.status_code < 500, response.status_code


def _fuzz(base_url: str, headers: dict[str, str]) -> Counter[str]:
    """Run the cases (in a thread: the server runs on the test's event loop)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    seen: Counter[str] = Counter()
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        negative = mode is GenerationMode.NEGATIVE

        @given(case=schema.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            seen[f"{case.method} {case.operation.path} -> {response.status_code}"] += 1
            # A negative case that drops the required Authorization header is made valid
            # again by the token this run adds: it is no longer negative data.
            dropped_auth = "Authorization" in headers and "Authorization" not in (
                case.headers or {}
            )
            if dropped_auth and negative:  # noqa: B023 -- run() is called in this pass
                case.validate_response(
                    response, headers=headers, excluded_checks=[negative_data_rejection]
                )
            elif _mutated_an_item(case):
                case.validate_response(
                    response, headers=headers, excluded_checks=[negative_data_rejection]
                )
                _assert_item_rejected(response)
            else:
                case.validate_response(response, headers=headers)

        run()
    # Some checks re-send requests on connections of their own; close what they left
    # here rather than in whichever later test the collector happens to run.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return seen


@pytest.mark.timeout(240)
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
async def test_the_api_keeps_to_its_document(
    settings: Settings, redis: Redis, with_token: bool
) -> None:
    relaxed = api_settings(settings, requests_per_minute=100_000, burst=10_000)
    app = create_app(relaxed, overrides={QUEUE: MemoryQueue()})
    server = await served(app)
    try:
        headers: dict[str, str] = {}
        if with_token:
            tokens = TokenService(app[STORE].tokens, app[CLOCK])
            _, secret = await tokens.create("schemathesis", ALL_SCOPES)
            headers = {"Authorization": f"Bearer {secret}"}
        base_url = str(server.make_url("")).rstrip("/")
        seen = await asyncio.to_thread(_fuzz, base_url, headers)
    finally:
        await server.close()
    total = sum(seen.values())
    print(f"\nschemathesis ({'token' if with_token else 'no token'}): {total} cases")
    for line, count in sorted(seen.items()):
        print(f"  {count:4d}  {line}")
    statuses = {line.rsplit(" ", 1)[1] for line in seen}
    assert not any(status.startswith("5") for status in statuses)
    if not with_token:
        assert statuses == {"401"}
