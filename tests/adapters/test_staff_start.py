"""Starting a process costs no password hash: the unknown-email dummy hash is made on first use."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_staff_adapter_hashes_nothing() -> None:
    probe = (
        "import bot.adapters.staff as staff; "
        "print(staff._dummy_hash.cache_info().currsize); "
        "staff._dummy_hash(); "
        "print(staff._dummy_hash.cache_info().currsize)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["0", "1"]
