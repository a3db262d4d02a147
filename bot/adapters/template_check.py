"""The start's template check in a child process, so a serving process never imports
twilio-python's REST client.

A web process checks its flows' templates against Twilio's Content API once, at start
(:func:`bot.adapters.twilio_content.check_flow_templates`). The client it needs,
``twilio.rest`` with ``requests`` and ``urllib3`` under it, is 124 modules and 4.5 MB
that would then stay resident for good, though nothing else the process does reads
them (it checks signatures with ``twilio.request_validator`` alone; the workers send).
So the check runs in ``python -m bot.adapters.template_check``: the account and the
flows folder as JSON on its standard input, the problems as JSON on its standard
output, then it exits and its memory goes with it. The check is a warning, never a
refusal, so a child that fails is reported as the check itself failing would be.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings

__all__ = ["check_in_child"]

# Twilio's answers take at most 15 s each (the client's timeout); a dozen templates,
# a loaded machine's interpreter start: past this the check is given up, not the start.
_DEADLINE_SECONDS = 300.0
_COMMAND = (sys.executable, "-m", "bot.adapters.template_check")


def _failed(reason: str) -> list[str]:
    return [f"não foi possível consultar os modelos na Twilio: {reason}"]


async def check_in_child(settings: Settings) -> list[str]:
    """``check_flow_templates`` over ``settings``' flows and Twilio account, in a child."""
    assert settings.twilio_account_sid
    assert settings.twilio_auth_token
    request = {
        "account_sid": settings.twilio_account_sid,
        "auth_token": settings.twilio_auth_token.get_secret_value(),
        "api_base_url": settings.twilio_api_base_url,
        "flows_dir": str(settings.flows_dir),
    }
    try:
        child = await asyncio.create_subprocess_exec(
            *_COMMAND, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
    except OSError as exc:
        return _failed(type(exc).__name__)
    try:
        async with asyncio.timeout(_DEADLINE_SECONDS):
            out, _ = await child.communicate(json.dumps(request).encode())
    except TimeoutError:
        return _failed("TimeoutError")
    finally:
        if child.returncode is None:  # cancelled (the app stops) or past the deadline
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
    try:
        answer = json.loads(out)
    except ValueError:
        return _failed(f"o processo da conferência terminou com o código {child.returncode}")
    if "error" in answer:
        return _failed(str(answer["error"]))
    return [str(problem) for problem in answer["problems"]]


async def _check(request: dict[str, Any]) -> dict[str, Any]:
    from bot.adapters.twilio_content import TwilioTemplates, check_flow_templates

    templates = TwilioTemplates(
        request["account_sid"], request["auth_token"], request["api_base_url"]
    )
    try:
        return {"problems": await check_flow_templates(Path(request["flows_dir"]), templates)}
    except Exception as exc:  # any failure is the check's, reported by its kind only
        return {"error": type(exc).__name__}
    finally:
        await templates.aclose()


def _serve() -> None:
    answers = sys.stdout
    sys.stdout = sys.stderr  # a library's stray print must not corrupt the answer
    answer = asyncio.run(_check(json.load(sys.stdin)))
    answers.write(json.dumps(answer))
    answers.flush()


if __name__ == "__main__":
    _serve()
