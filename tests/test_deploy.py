"""The deployment files say what the README promises (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_runs_a_replica_set_and_every_role() -> None:
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"mongo", "redis", "web", "worker", "scheduler"}
    assert "--replSet" in services["mongo"]["command"]
    assert "rs.initiate" in " ".join(services["mongo"]["healthcheck"]["test"])
    for role in ("web", "worker", "scheduler"):
        assert services[role]["command"] == [role]
        assert "replicaSet=rs0" in services[role]["environment"]["MONGODB_URL"]


def test_dockerfile_is_multistage_non_root_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2
    assert "\nUSER digitaly" in text
    assert "HEALTHCHECK" in text
    assert 'ENTRYPOINT ["digitaly"]' in text
