"""Where a process's CPU goes, from py-spy's sampled stacks, in microseconds per unit of work.

:func:`record` attaches py-spy (a dev dependency; it reads another process's
memory, so it needs ptrace rights: root, or ``kernel.yama.ptrace_scope=0``) to
a running process for a fixed time and returns its collapsed stacks. py-spy
leaves out samples of a thread waiting in a system call (``--idle`` off), so
what it counts is time on the CPU. ``--nonblocking``: the process is never
paused to be read, so the profile costs the process under test nothing.

:func:`summary` turns the stacks into two tables: by component (each sample
charged to the innermost frame that belongs to one of :data:`COMPONENTS`, so
the MongoDB driver's BSON work counts as the driver's, a JSON dump inside a
log call as logging's, and a socket write, the kernel's loopback work included,
as the writer's), and by function (each of our functions with every
sample it was on the stack for, once per sample).
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["COMPONENTS", "Profile", "record", "summary"]

RATE_HZ = 250
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")

# (component, path fragments), tried in this order on each frame from the innermost out.
# Generic standard-library helpers (json, re, base64, hmac, datetime ...) match none, so
# they count for whatever called them.
COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("signature check (twilio RequestValidator)", ("twilio/request_validator",)),
    (
        "sealing (AES-GCM, blind index)",
        ("bot/adapters/crypto", "bot/adapters/mongo/sealing", "cryptography/"),
    ),
    ("logging (JSON lines)", ("logging/", "bot/logs.py")),
    (
        "engine + reply model (bot/core)",
        ("bot/core/", "transitions/", "sklearn/", "numpy/", "scipy/"),
    ),
    ("task hand-off (taskiq)", ("taskiq",)),
    ("Redis client (locks, hand-off)", ("redis/",)),
    ("MongoDB driver (pymongo, bson)", ("pymongo/", "bson/")),
    ("codec / pydantic (to_doc, from_doc)", ("bot/adapters/codec", "pydantic")),
    ("metrics (prometheus_client)", ("prometheus_client/", "bot/metrics", "bot/web/observability")),
    ("HTTP server + form parsing (aiohttp)", ("aiohttp/", "multidict/", "yarl/")),
    # Not bot/cli: the process's entry point is under every stack, the loop's own turns too.
    (
        "our glue (services, adapters, web)",
        ("bot/services/", "bot/adapters/", "bot/web/", "workers/"),
    ),
)
# Charged only when no frame of a component above is on the stack: a socket write counts
# for whoever wrote (the driver, Redis, the HTTP answer), the loop's own turns for the loop.
EVENT_LOOP = ("event loop (asyncio)", ("asyncio/", "selectors", "socket.py", "ssl.py"))


def _frames(stack: str) -> list[tuple[str, str]]:
    frames = []
    for part in stack.split(";"):
        match = _FRAME.match(part)
        frames.append((match["func"], match["file"]) if match else (part, ""))
    return frames


def component_of(frames: list[tuple[str, str]]) -> str:
    """The component the innermost classified frame belongs to."""
    for _, file in reversed(frames):
        for name, fragments in COMPONENTS:
            if any(fragment in file for fragment in fragments):
                return name
    name, fragments = EVENT_LOOP
    if any(fragment in file for _, file in frames for fragment in fragments):
        return name
    return "other (interpreter, stdlib)"


def _woken(frames: list[tuple[str, str]]) -> bool:
    """A sample of the loop still in ``epoll_wait``: the thread is runnable (woken by a
    socket, waiting for a core on a busy machine), not working; py-spy leaves out only
    the samples of a sleeping thread. Left out of the shares, which scale the CPU."""
    func, file = frames[-1]
    return func.endswith(".select") and file.endswith("selectors.py")


def _ours(file: str) -> str | None:
    """``bot/...`` or ``workers/...`` path of one of our files (py-spy names them relative
    to the working directory), else None."""
    if "site-packages" in file:
        return None
    for root in ("bot/", "workers/"):
        if file.startswith(root):
            return file
        if f"/{root}" in file:
            return root + file.split(f"/{root}", 1)[1]
    return None


class Profile:
    """Collapsed stacks (one ``frame;frame;... count`` a line) and the sampling rate."""

    def __init__(self, collapsed: str, rate_hz: int = RATE_HZ) -> None:
        self.rate_hz = rate_hz
        self.stacks: Counter[str] = Counter()
        for line in collapsed.splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                self.stacks[stack] += int(count)

    @property
    def samples(self) -> int:
        return sum(self.stacks.values())

    def seconds(self, samples: int) -> float:
        return samples / self.rate_hz


@contextlib.contextmanager
def record(
    pid: int, out: Path, rate_hz: int = RATE_HZ, *, gil: bool = True
) -> Iterator[list[Profile]]:
    """Sample ``pid`` while the block runs; the list holds the :class:`Profile` after it.

    ``gil``: only samples of a thread holding the GIL, i.e. running Python. Without it, a
    thread in a system call that released the GIL counts too when it is runnable: on a
    busy machine, a loopback socket write that wakes the server at the other end is
    often preempted inside the call, and those waits then outweighed the work (in one
    run 78 % of the samples were not CPU by /proc, a third of them in socket writes).
    """
    command = [
        str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pid),
        "--rate", str(rate_hz), "--format", "raw", "--nonblocking", "--output", str(out),
        *(["--gil"] if gil else []),
    ]  # fmt: skip
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    result: list[Profile] = []
    try:
        yield result
    finally:
        spy.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        _, err = spy.communicate(timeout=60)
    if not out.exists():
        raise RuntimeError(f"py-spy wrote no profile: {err.decode(errors='replace')[-500:]}")
    result.append(Profile(out.read_text(), rate_hz))


def summary(profile: Profile, units: int, cpu_us: float, top: int = 25) -> dict[str, Any]:
    """Each component's and function's share of the samples, in µs of ``cpu_us`` (the CPU
    per unit of work from /proc, the ground truth).

    Shares, not sampled times: py-spy counts a thread that is ready to run but waiting
    for a core as active, so on a busy machine the sampled time per unit exceeds the CPU
    time; the shares are unaffected as long as every part waits alike.
    """
    components: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    waking = 0
    for stack, count in profile.stacks.items():
        frames = _frames(stack)
        if _woken(frames):
            waking += count
            continue
        components[component_of(frames)] += count
        seen = set()
        for func, file in frames:
            if (path := _ours(file)) is not None:
                seen.add(f"{path.removesuffix('.py').replace('/', '.')}.{func}")
        for name in seen:
            functions[name] += count
    total = max(profile.samples - waking, 1)
    return {
        "samples": profile.samples,
        "woken_samples": waking,
        "sampled_us_per_unit": round(profile.seconds(profile.samples) * 1e6 / max(units, 1)),
        "cpu_us_per_unit": round(cpu_us),
        "components": [
            {"component": name, "us": round(cpu_us * n / total), "share": round(n / total, 3)}
            for name, n in components.most_common()
        ],
        "functions": [
            {"function": name, "us": round(cpu_us * n / total), "share": round(n / total, 3)}
            for name, n in functions.most_common(top)
            if not name.startswith(("bot.cli.", "bot.__main__"))  # under every sample
        ],
    }


def print_summary(title: str, table: dict[str, Any], file: Any = None) -> None:
    out = file or sys.stderr
    print(
        f"\n{title}: {table['cpu_us_per_unit']} µs CPU per reply (/proc), "
        f"{table['samples']} samples ({table['woken_samples']} woken in epoll_wait, left out)",
        file=out,
    )
    for row in table["components"]:
        print(f"  {row['us']:>7} µs  {row['share']:6.1%}  {row['component']}", file=out)
    if table["functions"]:
        print("  our functions, inclusive:", file=out)
        for row in table["functions"]:
            print(f"  {row['us']:>7} µs  {row['share']:6.1%}  {row['function']}", file=out)
