"""docker-compose.yml cannot run here (no Docker engine); check that it is complete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.aid.settings import AidSettings
from services.housing.settings import HousingSettings
from services.intake.settings import IntakeSettings
from tests.stack import REPO

SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "housing": HousingSettings,
    "aid": AidSettings,
}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def environment_names(settings: type[BaseSettings]) -> set[str]:
    """The variable each field of a service's settings is read from."""
    prefix = settings.model_config.get("env_prefix", "")
    return {
        str(info.validation_alias) if info.validation_alias else f"{prefix}{name}".upper()
        for name, info in settings.model_fields.items()
    }


def test_compose_has_the_broker_the_database_the_trace_ui_and_the_three_services(
    compose: dict[str, Any],
) -> None:
    assert set(compose["services"]) == {
        "kafka",
        "postgres",
        "jaeger",
        "intake",
        "housing",
        "aid",
        "prometheus",
        "grafana",
    }
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4")
    assert compose["services"]["postgres"]["image"].startswith("postgres:")
    assert compose["services"]["jaeger"]["image"].startswith("jaegertracing/")


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
def test_the_trace_ui_is_a_maintained_jaeger_2_fed_over_otlp(
    compose: dict[str, Any], service: str
) -> None:
    jaeger = compose["services"]["jaeger"]
    image, _, version = jaeger["image"].partition(":")
    # jaegertracing/all-in-one is the 1.x line, at its end of life; 2.x is jaegertracing/jaeger
    assert image == "jaegertracing/jaeger"
    assert int(version.split(".")[0]) >= 2
    assert jaeger["environment"]["JAEGER_LISTEN_HOST"] == "0.0.0.0"
    assert "127.0.0.1:16686:16686" in jaeger["ports"]
    environment = compose["services"][service]["environment"]
    assert environment["OTEL_TRACES_EXPORTER"].startswith("otlp")
    assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318"


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
def test_each_service_is_built_from_the_one_dockerfile_and_waits_for_healthy_backends(
    compose: dict[str, Any], service: str
) -> None:
    definition = compose["services"][service]
    assert definition["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert (REPO / definition["build"]["dockerfile"]).is_file()
    assert definition["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert definition["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "readyz" in " ".join(definition["healthcheck"]["test"])


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
def test_each_service_gets_every_variable_it_reads_and_publishes_its_port(
    compose: dict[str, Any], service: str
) -> None:
    environment = compose["services"][service]["environment"]
    missing = environment_names(SETTINGS[service]) - set(environment)
    assert missing == set()
    assert environment["SERVICE"] == service
    port = environment[f"{service.upper()}_HTTP_PORT"]
    assert f"127.0.0.1:{port}:{port}" in compose["services"][service]["ports"]
    assert environment["KAFKA_BOOTSTRAP_SERVERS"].startswith("kafka:")
    assert f"@postgres:5432/{service}" in environment[f"{service.upper()}_DATABASE_URL"]


def test_backends_have_healthchecks_and_bind_to_loopback(compose: dict[str, Any]) -> None:
    for backend in ("kafka", "postgres"):
        assert compose["services"][backend]["healthcheck"]["test"]
    for definition in compose["services"].values():
        assert all(str(port).startswith("127.0.0.1:") for port in definition.get("ports", []))


def test_the_init_script_creates_one_database_per_service() -> None:
    script = (REPO / "deploy" / "docker" / "postgres-init.sql").read_text()
    for service in SETTINGS:
        assert f"CREATE DATABASE {service};" in script


def mounted(definition: dict[str, Any], target: str) -> Path:
    """The file or folder of the checkout that a compose service mounts at ``target``."""
    for volume in definition.get("volumes", []):
        source, inside, *_ = str(volume).split(":")
        if inside == target:
            return REPO / source
    raise AssertionError(f"nothing is mounted at {target}")


def test_prometheus_scrapes_the_metrics_of_the_three_services(compose: dict[str, Any]) -> None:
    definition = compose["services"]["prometheus"]
    assert definition["image"].startswith("prom/prometheus:")
    config = yaml.safe_load(mounted(definition, "/etc/prometheus/prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        if job.get("metrics_path", "/metrics") == "/metrics"
        for group in job["static_configs"]
        for target in group["targets"]
    }
    for service in SETTINGS:
        port = compose["services"][service]["environment"][f"{service.upper()}_HTTP_PORT"]
        assert f"{service}:{port}" in targets


def test_grafana_is_provisioned_with_the_datasource_and_the_dashboard(
    compose: dict[str, Any],
) -> None:
    definition = compose["services"]["grafana"]
    assert definition["image"].startswith("grafana/grafana")
    provisioning = mounted(definition, "/etc/grafana/provisioning")
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    (source,) = datasources["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://prometheus:9090"
    providers = yaml.safe_load((provisioning / "dashboards" / "resettle.yml").read_text())
    folder = providers["providers"][0]["options"]["path"]
    dashboards = mounted(definition, folder)
    dashboard = json.loads((dashboards / "resettle.json").read_text())
    queries = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    )
    for series in (
        "kafka_consumer_lag",
        "projection_lag_events",
        "outbox_backlog_events",
        "consumer_dead_lettered_total",
        "http_request_duration_seconds_bucket",
        "housing_placements",
        "housing_waitlist_length",
        "housing_holds",
        "housing_free_places",
        "aid_stock_low",
        "intake_arrivals_registered",
    ):
        assert series in queries, series
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == source["uid"]
