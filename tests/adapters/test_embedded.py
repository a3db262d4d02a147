"""Embedded servers are shared by every process on one DATA_DIR; the last one out stops them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import redis

from bot.adapters.embedded import embedded_servers
from tests.checks import alive

JOIN = """
import sys, pathlib
from bot.adapters.embedded import embedded_servers
with embedded_servers(pathlib.Path(sys.argv[1])) as urls:
    print(urls.redis_url)
"""


def test_second_process_joins_and_last_one_stops(tmp_path: Path) -> None:
    with embedded_servers(tmp_path) as urls:
        client = redis.Redis.from_url(urls.redis_url)
        client.set("shared", "yes")
        pids = [s["pid"] for s in json.loads((tmp_path / "embedded.json").read_text())["servers"]]
        # Another digitaly process on the same DATA_DIR joins instead of starting twins,
        # and leaving does not stop the servers we still use.
        joined = subprocess.run(
            [sys.executable, "-c", JOIN, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
        assert joined.returncode == 0, joined.stderr
        assert joined.stdout.strip() == urls.redis_url
        assert client.get("shared") == b"yes"
        client.close()
    assert not any(alive(pid) for pid in pids)


def test_leftover_state_file_is_replaced(tmp_path: Path) -> None:
    # A previous owner was SIGKILLed: its file names servers that are gone.
    (tmp_path / "embedded.json").write_text(
        json.dumps({"servers": [{"name": "mongo", "pid": 999999, "port": 1}], "users": [999998]})
    )
    with embedded_servers(tmp_path) as urls:
        assert redis.Redis.from_url(urls.redis_url).ping()
