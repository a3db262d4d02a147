"""Ctrl-C / SIGTERM while ``digitaly web`` is still starting: it stops then, not after.

The web process fits its flows' reply models at start (in a child process, seconds
of CPU, a minute on a loaded machine). A stop signalled during that fit must end
the fit and the process, not wait for the fit and then stop. The product's own
command, as a subprocess, on the test's MongoDB-wire and Redis-wire servers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.processes import fitting_children
from tests.test_run import DIGITALY, ROOT, _free_port


def _fitting_child(parent: int) -> int | None:
    return next(iter(fitting_children(parent)), None)


def _running(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.timeout(300)
def test_a_stop_while_the_web_fits_its_models_ends_the_fit_and_the_process(
    settings: Settings, tmp_path: Path
) -> None:
    assert settings.mongodb_url
    assert settings.redis_url
    env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
    env |= {
        "DATA_DIR": str(tmp_path / "var"),
        "DIGITALY_CONFIG": str(ROOT / "config.yaml"),
        "PORT": str(_free_port()),
        "MONGODB_URL": settings.mongodb_url,
        "MONGODB_DB": settings.mongodb_db,
        "REDIS_URL": settings.redis_url,
    }
    process = subprocess.Popen(
        [*DIGITALY, "web"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The condition itself, however slow the machine: the child fitting is running.
        child = None
        while child is None:
            assert process.poll() is None, process.communicate()
            child = _fitting_child(process.pid)
            time.sleep(0.05)

        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=240)  # only against a hang
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    assert "stopped during start-up" in err, err[-3000:]
    # Cut short, not waited for: the flow being fitted was never loaded, the web never
    # listened, and the child fitting it is gone with the process.
    assert "flow confirmation version" not in err, err[-3000:]
    assert "running at" not in out
    assert not _running(child)
