"""Live processes seen through Linux's /proc, for tests that check what a process started."""

from __future__ import annotations

from pathlib import Path

FITTER = b"bot.adapters.model_fitting"  # the command line of a child fitting reply models


def fitting_children(parent: int) -> list[int]:
    """``parent``'s live (not zombie) children fitting reply models."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent and state != "Z" and FITTER in command:
            found.append(int(entry.name))
    return found
