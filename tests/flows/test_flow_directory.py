"""Live reloading of flow files: good edits go live, bad edits are refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bot.adapters.flow_files import FlowDirectory
from bot.core.errors import FlowError, NotFoundError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    for name in ("confirmation.yaml", "satisfaction.yaml"):
        shutil.copy(ROOT / "flows" / name, tmp_path / name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    stat = path.stat()  # a new mtime even on coarse-grained filesystems
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_loads_every_flow(directory: Path) -> None:
    flows = FlowDirectory(directory)
    report = flows.reload()
    assert sorted(name for name, _ in report.loaded) == ["confirmation", "satisfaction"]
    assert flows.problems == {}
    assert flows.reload().loaded == []  # nothing changed: nothing re-checked


def test_a_good_edit_becomes_current_and_old_versions_stay(directory: Path) -> None:
    flows = FlowDirectory(directory)
    flows.reload()
    old = flows.current("confirmation")
    edit(directory / "confirmation.yaml", "Até lá!", "Até breve!")
    assert [name for name, _ in flows.reload().loaded] == ["confirmation"]
    new = flows.current("confirmation")
    assert new.version != old.version
    assert flows.load_version("confirmation", old.version) is old


def test_a_broken_edit_is_refused_and_the_previous_version_serves(directory: Path) -> None:
    flows = FlowDirectory(directory)
    flows.reload()
    good = flows.current("confirmation")
    path = directory / "confirmation.yaml"
    edit(path, "      cancel: confirm_cancel\n", "      cancel: nowhere\n")
    report = flows.reload()
    assert report.loaded == []
    problems = report.refused[str(path)]
    line = path.read_text(encoding="utf-8").splitlines().index("      cancel: nowhere") + 1
    assert (
        problems[0]
        == f'{path}:{line}: o estado "nowhere" não existe em states: confira o nome (erro de digitação?)'
    )
    assert len(problems) == 6  # the six states that listen for "cancel"
    assert flows.problems == {str(path): problems}
    assert flows.current("confirmation") is good
    edit(path, "      cancel: nowhere\n", "      cancel: confirm_cancel\n")  # reverted
    flows.reload()
    assert flows.problems == {}
    assert flows.current("confirmation") is good


def test_the_flow_name_must_match_the_file(directory: Path) -> None:
    (directory / "satisfaction.yaml").rename(directory / "survey.yaml")
    flows = FlowDirectory(directory)
    report = flows.reload()
    assert (
        "precisa ser igual ao nome do arquivo" in report.refused[str(directory / "survey.yaml")][0]
    )


def test_stored_versions_can_be_registered(directory: Path) -> None:
    stored = (directory / "confirmation.yaml").read_text(encoding="utf-8")
    edit(directory / "confirmation.yaml", "Até lá!", "Até breve!")
    flows = FlowDirectory(directory)
    flows.reload()
    current = flows.current("confirmation")
    old = flows.register_source(stored, "db:confirmation")
    assert flows.load_version("confirmation", old.version) is old
    assert flows.current("confirmation") is current  # registering never changes the newest
    with pytest.raises(FlowError):
        flows.register_source("flow: x\n")
    with pytest.raises(NotFoundError):
        flows.load_version("confirmation", "0" * 12)
    with pytest.raises(NotFoundError):
        flows.current("nope")
