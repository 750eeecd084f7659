"""The cluster manifests (deploy/k8s/base) validate against real schemas and agree with the code.

Kubernetes' own kinds are checked against the official OpenAPI-derived JSON schemas bundled by
``kubernetes-validate`` (strict: an unknown field is an error, as ``kubectl apply`` with server
side field validation makes it). The operators' kinds (Strimzi, CloudNativePG, KEDA) are checked
against the openAPIV3Schema of their CRDs, vendored in deploy/k8s/schemas (see its README for
the releases), made strict the same way. Then the cross-references: every variable the settings
classes read is set in its service's Deployment, every topic has a KafkaTopic, the ScaledObjects
watch the consumer groups the services use, and no service but intake reaches intake's database.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from pydantic_settings import BaseSettings

from services.aid.settings import AidSettings
from services.housing.settings import HousingSettings
from services.intake.settings import IntakeSettings
from shared.schemas.registry import TOPIC_TYPES
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS, dead_letter_topic, physical
from tests.stack import REPO

K8S = REPO / "deploy" / "k8s"
BASE = K8S / "base"
SCHEMAS = K8S / "schemas"
#: the oldest Kubernetes the manifests are meant for (kubernetes-validate bundles its schema)
KUBERNETES_VERSION = "1.33"

#: (apiVersion, kind) of the operators' resources -> the vendored schema of their CRD
CRD_SCHEMAS = {
    ("kafka.strimzi.io/v1", "Kafka"): "kafka-kafka-v1.json",
    ("kafka.strimzi.io/v1", "KafkaNodePool"): "kafkanodepool-kafka-v1.json",
    ("kafka.strimzi.io/v1", "KafkaTopic"): "kafkatopic-kafka-v1.json",
    ("postgresql.cnpg.io/v1", "Cluster"): "cluster-postgresql-v1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject-keda-v1alpha1.json",
}

#: kinds whose CRD is not vendored: the fields the manifests use, from CloudNativePG's API
#: reference (ScheduledBackup v1), checked as strictly as the vendored ones
LOCAL_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "required": ["cluster", "schedule"],
                "properties": {
                    "cluster": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {"name": {"type": "string"}},
                    },
                    # six fields: seconds first (robfig/cron), unlike a CronJob's five
                    "schedule": {"type": "string", "pattern": r"^\S+( \S+){5}$"},
                    "method": {"enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
                    "target": {"enum": ["primary", "prefer-standby"]},
                    "backupOwnerReference": {"enum": ["none", "self", "cluster"]},
                    "immediate": {"type": "boolean"},
                    "suspend": {"type": "boolean"},
                    "online": {"type": "boolean"},
                },
            },
        },
    },
}

SETTINGS: dict[str, type[BaseSettings]] = {
    "intake": IntakeSettings,
    "housing": HousingSettings,
    "aid": AidSettings,
}
#: what each consuming service subscribes to (services/*/main.py)
CONSUMES = {"housing": {INTAKE_EVENTS}, "aid": {INTAKE_EVENTS, HOUSING_EVENTS}}
#: read outside the settings classes: the image's entry point and OpenTelemetry's SDK
OTHER_VARIABLES = {"SERVICE", "OTEL_SERVICE_NAME", "OTEL_TRACES_EXPORTER"}


# --- loading ---------------------------------------------------------------------------------


def load_documents() -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(BASE.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document is not None:
                documents.append((path.name, document))
    return documents


DOCUMENTS = load_documents()


def doc_id(entry: tuple[str, dict[str, Any]]) -> str:
    path, document = entry
    return f"{path}:{document['kind']}/{document['metadata']['name']}"


def of_kind(kind: str) -> Iterator[dict[str, Any]]:
    return (document for _, document in DOCUMENTS if document["kind"] == kind)


def named(kind: str, name: str) -> dict[str, Any]:
    (found,) = [document for document in of_kind(kind) if document["metadata"]["name"] == name]
    return found


# --- validation ------------------------------------------------------------------------------


def strict(schema: Any) -> Any:
    """Unknown fields become errors, except where the CRD keeps unknown fields on purpose
    (``x-kubernetes-preserve-unknown-fields``, or a map with ``additionalProperties``)."""
    if isinstance(schema, dict):
        schema = {key: strict(value) for key, value in schema.items()}
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


@cache
def crd_validator(file_name: str) -> Any:
    schema = json.loads((SCHEMAS / file_name).read_text())
    # a CRD's schema starts at the object; apiVersion, kind and metadata are the API server's
    return jsonschema_rs.Draft4Validator(strict(schema))


def problems(document: dict[str, Any]) -> list[str]:
    """Why a document is invalid (empty: it is valid)."""
    key = (document["apiVersion"], document["kind"])
    if key in CRD_SCHEMAS or key in LOCAL_SCHEMAS:
        validator = (
            crd_validator(CRD_SCHEMAS[key])
            if key in CRD_SCHEMAS
            else jsonschema_rs.Draft4Validator(strict(LOCAL_SCHEMAS[key]))
        )
        return [
            f"{'/'.join(map(str, error.instance_path))}: {error.message}"
            for error in validator.iter_errors(document)
        ]
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    return []


@pytest.mark.parametrize("entry", DOCUMENTS, ids=doc_id)
def test_every_manifest_validates_against_its_schema(entry: tuple[str, dict[str, Any]]) -> None:
    _, document = entry
    assert problems(document) == []


def test_the_manifests_hold_every_kind_the_deployment_needs() -> None:
    kinds = {document["kind"] for _, document in DOCUMENTS}
    assert {
        "Namespace", "Kafka", "KafkaNodePool", "KafkaTopic", "Cluster", "ConfigMap",
        "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy", "ScaledObject",
        "ScheduledBackup",
    } <= kinds  # fmt: skip


def test_the_kustomization_lists_every_manifest_file() -> None:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    files = {path.name for path in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_every_vendored_schema_names_its_source() -> None:
    readme = (SCHEMAS / "README.md").read_text()
    for file_name in CRD_SCHEMAS.values():
        assert file_name in readme
        assert (SCHEMAS / file_name).is_file()


# --- the validator rejects what is broken -----------------------------------------------------


def broken(kind: str, name: str, path: list[str | int], value: Any) -> dict[str, Any]:
    """A copy of a manifest with one field set (or added) at path."""
    document = copy.deepcopy(named(kind, name))
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("kind", "name", "path", "value"),
    [
        # a misspelt field of a core kind (strict validation)
        ("Deployment", "housing", ["spec", "template", "spec", "containers", 0, "imagePull"], "x"),
        # a wrong type of a core kind
        ("Service", "aid", ["spec", "ports", 0, "port"], "eighty"),
        # a wrong type in a Strimzi resource
        ("KafkaTopic", "intake-events-v2", ["spec", "partitions"], "twelve"),
        # a misspelt field in a Strimzi resource (strict CRD schema)
        ("KafkaTopic", "intake-events-v2", ["spec", "partitons"], 12),
        # a listener without its required tls flag
        ("Kafka", "resettle", ["spec", "kafka", "listeners", 0], {"name": "plain", "port": 9092,
                                                                  "type": "internal"}),
        # KEDA's trigger metadata are strings only
        ("ScaledObject", "housing", ["spec", "triggers", 0, "metadata", "lagThreshold"], 100),
        # a CloudNativePG cluster must say how many instances
        ("Cluster", "intake-db", ["spec", "instances"], "three"),
        # a retention CloudNativePG cannot read
        ("Cluster", "aid-db", ["spec", "backup", "retentionPolicy"], "a month"),
        # a nightly backup with a CronJob's five fields, not CloudNativePG's six
        ("ScheduledBackup", "housing-db-nightly", ["spec", "schedule"], "0 2 * * *"),
    ],
)  # fmt: skip
def test_the_validator_rejects_a_broken_manifest(
    kind: str, name: str, path: list[str | int], value: Any
) -> None:
    assert problems(named(kind, name)) == []  # the original is fine
    assert problems(broken(kind, name, path, value)) != []


# --- cross-references with the code -----------------------------------------------------------


def variables_read_by(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads: an alias as is, else prefix + name."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    return {
        field.validation_alias
        if isinstance(field.validation_alias, str)
        else f"{prefix}{name}".upper()
        for name, field in settings.model_fields.items()
    }


def container_of(deployment: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    (container,) = containers
    return container


def environment_of(deployment: dict[str, Any]) -> dict[str, Any]:
    """Variable -> its value (a ConfigMap's) or its secretKeyRef."""
    container = container_of(deployment)
    variables: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        config_map = named("ConfigMap", source["configMapRef"]["name"])
        variables.update(config_map["data"])
    for variable in container.get("env", []):
        variables[variable["name"]] = variable.get("value", variable.get("valueFrom"))
    return variables


@pytest.mark.parametrize("service", SETTINGS)
def test_every_variable_the_settings_read_is_set_in_the_deployment(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = environment_of(named("Deployment", service))
    missing = (variables_read_by(SETTINGS[service]) | OTHER_VARIABLES) - set(environment)
    assert not missing, f"{service}'s Deployment does not set {sorted(missing)}"
    assert environment["SERVICE"] == service
    # the values parse: the settings class, reading this environment, accepts the strings;
    # a Secret's value stands in as what the cluster would give (the development keys written
    # in the code are refused beyond loopback, so this also shows none of them is relied on)
    for name, value in environment.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
        elif name == "INTAKE_MASTER_KEY":
            monkeypatch.setenv(name, base64.b64encode(bytes(range(32))).decode())
        elif name == "INTAKE_MASTER_KEYS":
            monkeypatch.setenv(name, f'{{"2": "{base64.b64encode(bytes(32)).decode()}"}}')
        elif name == "INTAKE_MASTER_KEY_VERSION":
            monkeypatch.setenv(name, "2")
        elif name == "AID_SITE_API_KEYS":
            monkeypatch.setenv(name, '{"atameken-camp": "site-key-from-its-secret"}')
        elif name == "HOUSING_STAFF_API_KEYS":
            monkeypatch.setenv(name, '{"wp-camp": "staff-key-from-its-secret"}')
        else:
            monkeypatch.setenv(name, f"{name.lower()}-from-its-secret")
    settings = SETTINGS[service]()
    port = container_of(named("Deployment", service))["ports"][0]["containerPort"]
    assert settings.http_port == port  # type: ignore[attr-defined]
    assert settings.http_host == "0.0.0.0"  # type: ignore[attr-defined]


@pytest.mark.parametrize("service", SETTINGS)
def test_a_service_reads_only_its_own_database_and_secrets(service: str) -> None:
    environment = environment_of(named("Deployment", service))
    database = environment[f"{service.upper()}_DATABASE_URL"]
    # the Secret CloudNativePG generates for the service's own cluster
    assert database == {"secretKeyRef": {"name": f"{service}-db-app", "key": "uri"}}
    named("Cluster", f"{service}-db")
    references = {
        value["secretKeyRef"]["name"]
        for value in environment.values()
        if isinstance(value, dict) and "secretKeyRef" in value
    }
    other_databases = {f"{other}-db-app" for other in SETTINGS if other != service}
    assert not references & other_databases
    if service != "intake":
        assert "intake-vault" not in references  # the key that unseals personal data


def test_every_topic_the_services_use_has_a_kafka_topic() -> None:
    topics = {document["spec"]["topicName"]: document for document in of_kind("KafkaTopic")}
    used = set(TOPIC_TYPES) | {dead_letter_topic(service) for service in CONSUMES}
    assert set(topics) == used
    partitions = int(named("ConfigMap", "resettle-common")["data"]["KAFKA_PARTITIONS"])
    replicas = int(named("ConfigMap", "resettle-common")["data"]["KAFKA_REPLICATION_FACTOR"])
    for topic in topics.values():
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "resettle"
        assert topic["spec"]["partitions"] == partitions  # what a service would create
        assert topic["spec"]["replicas"] == replicas == 3
        assert topic["spec"]["config"]["min.insync.replicas"] == 2


@pytest.mark.parametrize("service", sorted(CONSUMES))
def test_the_scaled_object_watches_the_services_consumer_group(service: str) -> None:
    scaled = named("ScaledObject", service)
    namespace = named("ConfigMap", "resettle-common")["data"]["KAFKA_TOPIC_NAMESPACE"]
    bootstrap = named("ConfigMap", "resettle-common")["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    topics = {document["spec"]["topicName"]: document for document in of_kind("KafkaTopic")}
    assert (
        scaled["spec"]["scaleTargetRef"]["name"] == named("Deployment", service)["metadata"]["name"]
    )
    triggers = scaled["spec"]["triggers"]
    assert {trigger["type"] for trigger in triggers} == {"kafka"}
    assert {trigger["metadata"]["consumerGroup"] for trigger in triggers} == {
        physical(service, namespace)
    }
    watched = {trigger["metadata"]["topic"] for trigger in triggers}
    assert watched == {physical(topic, namespace) for topic in CONSUMES[service]}
    for trigger in triggers:
        host = bootstrap.split(":")[0]
        assert trigger["metadata"]["bootstrapServers"].startswith(f"{host}.")
        # a consumer past the partition count would sit idle
        assert (
            scaled["spec"]["maxReplicaCount"]
            <= topics[trigger["metadata"]["topic"]]["spec"]["partitions"]
        )
    # two at least, so that a lost pod's partitions move to a running one
    assert scaled["spec"]["minReplicaCount"] >= 2
    # KEDA owns the replica count: a count in the Deployment would fight it on every apply
    assert "replicas" not in named("Deployment", service)["spec"]


@pytest.mark.parametrize("service", SETTINGS)
def test_each_deployment_is_hardened_probed_and_covered(service: str) -> None:
    deployment = named("Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    container = container_of(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert "memory" in container["resources"]["limits"]
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert named("Service", service)["spec"]["selector"] == labels
    assert named("PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"] == labels
    assert named("NetworkPolicy", service)["spec"]["podSelector"]["matchLabels"] == labels
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert labels.items() <= template_labels.items()
    # Kafka's listener admits the services by these labels (networkPolicyPeers)
    (listener,) = named("Kafka", "resettle")["spec"]["kafka"]["listeners"]
    peers = [peer["podSelector"]["matchLabels"] for peer in listener["networkPolicyPeers"]]
    assert any(peer.items() <= template_labels.items() for peer in peers)


def test_only_intake_reaches_intakes_database() -> None:
    services = {
        name: named("Deployment", name)["spec"]["template"]["metadata"]["labels"]
        for name in SETTINGS
    }
    for owner in SETTINGS:
        cluster = f"{owner}-db"
        policy = next(
            p
            for p in of_kind("NetworkPolicy")
            if p["spec"]["podSelector"].get("matchLabels") == {"cnpg.io/cluster": cluster}
        )
        admitted = {
            name
            for rule in policy["spec"]["ingress"]
            for peer in rule.get("from", [{}])
            for name, labels in services.items()
            if "namespaceSelector" not in peer
            and peer.get("podSelector", {}).get("matchLabels", {}).items() <= labels.items()
        }
        assert admitted == {owner}, f"{cluster} admits {sorted(admitted)}"
        # and each service's egress names its own database only
        for name in SETTINGS:
            egress = named("NetworkPolicy", name)["spec"]["egress"]
            reaches = any(
                peer.get("podSelector", {}).get("matchLabels") == {"cnpg.io/cluster": cluster}
                for rule in egress
                for peer in rule.get("to", [])
            )
            assert reaches == (name == owner)


def test_schemas_folder_holds_only_json_schemas_and_their_readme() -> None:
    files = {path.name for path in SCHEMAS.iterdir()}
    assert files == {*CRD_SCHEMAS.values(), "README.md"}
    for file_name in CRD_SCHEMAS.values():
        schema = json.loads((SCHEMAS / file_name).read_text())
        assert schema["type"] == "object" and "spec" in schema["properties"]


def test_manifests_are_found() -> None:
    # a glob that matched nothing would make the parametrized tests vanish, not fail
    assert len(DOCUMENTS) >= 25
    assert all(isinstance(path, str) and Path(BASE / path).is_file() for path, _ in DOCUMENTS)


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_database_archives_to_an_object_store_with_retention_and_a_nightly_backup(
    service: str,
) -> None:
    backup = named("Cluster", f"{service}-db")["spec"]["backup"]
    store = backup["barmanObjectStore"]
    assert backup["retentionPolicy"].endswith("d") and int(backup["retentionPolicy"][:-1]) >= 7
    assert store["destinationPath"].endswith(f"/{service}-db")  # a folder of its own
    credentials = store["s3Credentials"]
    assert {credentials[key]["name"] for key in ("accessKeyId", "secretAccessKey")} == {
        "backup-object-store"
    }
    assert store["wal"]["encryption"] == store["data"]["encryption"] == "AES256"
    nightly = [
        backup
        for backup in of_kind("ScheduledBackup")
        if backup["spec"]["cluster"]["name"] == f"{service}-db"
    ]
    assert [b["spec"]["method"] for b in nightly] == ["barmanObjectStore"]


def test_the_services_send_their_spans_to_the_collector_which_forwards_them_over_otlp() -> None:
    collector = named("Deployment", "otel-collector")
    service = named("Service", "otel-collector")
    config = yaml.safe_load(named("ConfigMap", "otel-collector")["data"]["collector.yaml"])
    endpoint = named("ConfigMap", "resettle-common")["data"]["OTEL_EXPORTER_OTLP_ENDPOINT"]

    [port] = service["spec"]["ports"]
    assert endpoint == f"http://{service['metadata']['name']}:{port['port']}"
    pod = collector["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    [container] = pod["spec"]["containers"]
    assert container["image"].startswith("otel/opentelemetry-collector")
    mounted = {mount["mountPath"] for mount in container["volumeMounts"]}
    assert any(
        arg == f"--config={path}/collector.yaml" for arg in container["args"] for path in mounted
    )
    receiver = config["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    assert receiver.endswith(f":{port['port']}")
    traces = config["service"]["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"] and traces["exporters"] == ["otlp"]
    assert {"memory_limiter", "batch"} <= set(traces["processors"])
    # each service may reach it, and it admits them
    for name in SETTINGS:
        egress = named("NetworkPolicy", name)["spec"]["egress"]
        assert any(
            peer.get("podSelector", {}).get("matchLabels")
            == {"app.kubernetes.io/name": "otel-collector"}
            and {"port": port["port"], "protocol": "TCP"} in rule["ports"]
            for rule in egress
            for peer in rule.get("to", [])
        ), name
    ingress = named("NetworkPolicy", "otel-collector")["spec"]["ingress"]
    labels = named("Deployment", "intake")["spec"]["template"]["metadata"]["labels"]
    assert any(
        peer["podSelector"]["matchLabels"].items() <= labels.items()
        for rule in ingress
        for peer in rule.get("from", [])
    )
