"""The benchmarks import: a helper moved or renamed in the tests must not break `make bench`.

`make bench` is not part of `make test` (it takes minutes and needs a quiet
machine), so a test helper it reuses could be removed without any test noticing
(it happened once: `inbound_form` folded into `webhook_form`). Importing each
suite is cheap and runs nothing: the suites start servers only in `run()`.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import bench

SUITES = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name != "__main__")


def test_every_bench_module_is_found() -> None:
    assert {"webhook", "load", "fanout", "understanding", "slots"} <= set(SUITES)


@pytest.mark.parametrize("name", SUITES)
def test_a_bench_module_imports(name: str) -> None:
    importlib.import_module(f"bench.{name}")
