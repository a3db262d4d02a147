"""``digitaly templates check`` against the strict fake Twilio's Content API."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.flow_check import line_of
from tests.fakes.twilio import AUTH_TOKEN, FakeTwilio

ROOT = Path(__file__).resolve().parents[1]


async def _check(url: str, tmp_path: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
    env.update(
        {
            "DIGITALY_CONFIG": str(ROOT / "config.yaml"),
            "DATA_DIR": str(tmp_path / "var"),
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": url,
            "PUBLIC_BASE_URL": "https://digitaly.test",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "templates", "check",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 150)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.timeout(180)  # a `digitaly` process on a loaded machine
async def test_every_flow_template_matches(
    fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    code, out, err = await _check(url, tmp_path)
    assert (code, err) == (0, "")
    assert "conferem" in out
    # It asked the Content API once for each template and for its approval.
    paths = {
        f"/v1/Content/{sid}{tail}" for sid in fake.templates for tail in ("", "/ApprovalRequests")
    }
    assert fake.content_reads == dict.fromkeys(paths, 1)


@pytest.mark.timeout(180)
async def test_each_mismatch_is_reported_at_its_line(
    fake_twilio: tuple[FakeTwilio, str], tmp_path: Path
) -> None:
    fake, url = fake_twilio
    reminder, reminder_2, question, cancelled, notice = (f"HX{n:032d}" for n in range(1, 6))
    fake.templates[reminder] = replace(fake.templates[reminder], status="rejected")
    del fake.templates[reminder_2]
    fake.templates[question] = replace(
        fake.templates[question], buttons=[("sim", "Sim"), ("cancel_no", "Manter consulta")]
    )
    fake.templates[notice] = replace(fake.templates[notice], variables={"1": "x", "2": "y"})
    code, _, err = await _check(url, tmp_path)
    assert code == 1
    lines = err.strip().splitlines()
    flow = "flows/confirmation.yaml"
    text = (ROOT / flow).read_text(encoding="utf-8")

    def at(message: str) -> int:
        return line_of(text, "messages", message, "template", "content_sid")

    assert lines[0] == (
        f'{flow}:{at("reminder")}: mensagem "reminder": modelo {reminder} não está aprovado para WhatsApp '
        "(situação: rejected)"
    )
    assert lines[1] == (
        f'{flow}:{at("reminder_2")}: mensagem "reminder_2": modelo {reminder_2} não existe na Twilio '
        "(confira o content_sid)"
    )
    assert lines[2] == (
        f'{flow}:{at("cancel_question")}: mensagem "cancel_question": modelo {question} tem os botões '
        "sim, cancel_no, mas o fluxo espera cancel_no, cancel_yes"
    )
    assert lines[3].startswith(f'{flow}:{at("clinic_cancelled")}: mensagem "clinic_cancelled"')
    assert "tem as variáveis 1, 2, mas o fluxo preenche 1, 2, 3, 4, 5" in lines[3]
    assert len(lines) == 4
    assert cancelled not in err
