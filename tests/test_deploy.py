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


def test_grafana_dashboard_uses_only_metrics_we_export() -> None:
    import json
    import re

    from bot import metrics

    exported = {
        collector._name  # type: ignore[attr-defined]
        for collector in (getattr(metrics, name) for name in metrics.__all__ if name.isupper())
    }
    dashboard = json.loads((ROOT / "deploy/grafana/digitaly.json").read_text())
    used = {
        re.sub(r"_(bucket|total)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"digitaly_[a-z_]+", target["expr"])
    }
    assert used <= {name.removesuffix("_total") for name in exported}, used
    assert len(dashboard["panels"]) >= 6
