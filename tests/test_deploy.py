"""The deployment files say what the README promises (no Docker engine runs here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy/prometheus"
ROLES = ("web", "worker", "scheduler")


def _compose() -> dict[str, dict[str, dict[str, object]]]:
    compose: dict[str, dict[str, dict[str, object]]] = yaml.safe_load(
        (ROOT / "deploy/docker-compose.yml").read_text()
    )
    return compose


def test_compose_runs_a_replica_set_and_every_role() -> None:
    compose = yaml.safe_load((ROOT / "deploy/docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"mongo", "redis", *ROLES, "prometheus", "grafana"}
    assert "--replSet" in services["mongo"]["command"]
    assert "rs.initiate" in " ".join(services["mongo"]["healthcheck"]["test"])
    for role in ("web", "worker", "scheduler"):
        assert services[role]["command"] == [role]
        assert "replicaSet=rs0" in services[role]["environment"]["MONGODB_URL"]


def test_dockerfile_is_multistage_non_root_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2
    assert "\nUSER digitaly" in text
    assert 'ENTRYPOINT ["digitaly"]' in text
    # One probe for every role: each answers /healthz on METRICS_PORT (web on PORT too).
    healthcheck = text[text.index("HEALTHCHECK") :].split("\n# ")[0]
    assert "METRICS_PORT" in healthcheck
    assert "/healthz" in healthcheck
    assert "METRICS_PORT=9100" in text
    assert "EXPOSE 8080 9100" in text


def test_compose_probes_each_role_on_its_metrics_port() -> None:
    services = _compose()["services"]
    for role in ROLES:
        service = services[role]
        assert service["environment"]["METRICS_PORT"] == "9100"  # type: ignore[index]
        probe = " ".join(service["healthcheck"]["test"])  # type: ignore[index]
        assert "127.0.0.1:9100/healthz" in probe, role
    assert services["web"]["ports"] == ["8080:8080"]


def test_prometheus_scrapes_every_role_and_loads_the_alert_rules() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: (sd["names"], sd["port"])
        for job in config["scrape_configs"]
        for sd in job["dns_sd_configs"]
    }
    assert targets == {f"digitaly-{role}": ([role], 9100) for role in ROLES}
    assert config["rule_files"] == ["alerts.yml"]
    mounts = _compose()["services"]["prometheus"]["volumes"]
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts  # type: ignore[operator]
    alerts = {
        rule["alert"]
        for group in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    # The alerts docs/operations.md lists, by name.
    assert alerts == {
        "DigitalyOutboxBacklog",
        "DigitalyDeadLetters",
        "DigitalyNotReady",
        "DigitalyDown",
        "DigitalyWebhookSignatureRejected",
        "DigitalySenderPaused",
    }
    guide = (ROOT / "docs/operations.md").read_text()
    assert all(alert in guide for alert in alerts)


def _promtool(*args: str) -> str:
    # Debian's prometheus package gives promtool; the Makefile installs it (as it does chromium).
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install prometheus (make test does it as root)"
    result = subprocess.run(
        [promtool, *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_promtool_accepts_the_config_and_the_rules() -> None:
    assert "SUCCESS: 6 rules found" in _promtool("check", "rules", "alerts.yml")
    assert "valid prometheus config" in _promtool("check", "config", "prometheus.yml")


def test_alert_rules_fire_when_they_should_and_not_before() -> None:
    # deploy/prometheus/alerts_test.yml: a series for each alert, and when it must (not) fire.
    assert "SUCCESS" in _promtool("test", "rules", "alerts_test.yml")


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    grafana = ROOT / "deploy/grafana/provisioning"
    [source] = yaml.safe_load((grafana / "datasources/prometheus.yml").read_text())["datasources"]
    assert source["url"] == "http://prometheus:9090"
    [provider] = yaml.safe_load((grafana / "dashboards/digitaly.yml").read_text())["providers"]
    mounts = _compose()["services"]["grafana"]["volumes"]
    dashboard = f"./grafana/digitaly.json:{provider['options']['path']}/digitaly.json:ro"
    assert dashboard in mounts  # type: ignore[operator]
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in mounts  # type: ignore[operator]


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
