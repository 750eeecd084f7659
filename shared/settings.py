"""Settings from the environment, with defaults that match the local stack (deploy/local)."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.state_cache import STATES_KEPT

#: the operator key of a development machine: accepted only while the service listens on
#: loopback, so a service reachable from elsewhere never runs with a secret written in the code
DEVELOPMENT_OPERATOR_KEY = "operator-dev-key"
#: the key of request fingerprints on a development machine: refused beyond loopback, as above
DEVELOPMENT_FINGERPRINT_KEY = "fingerprint-dev-key-not-for-production"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _same_secret(given: str, development: str) -> bool:
    """Equal once whitespace is gone, or as base64 (whose decoder skips what is not base64):
    a trailing newline from ``echo`` or a file must not pass the development key as another."""
    compact = "".join(given.split())
    if compact == development:
        return True
    try:
        return base64.b64decode(compact) == base64.b64decode(development)
    except (binascii.Error, ValueError):
        return False


def refuse_development_secret(host: str, variable: str, value: SecretStr, development: str) -> None:
    """Refuse a secret that is written in the code when the service listens beyond loopback."""
    if _same_secret(value.get_secret_value(), development) and not is_loopback(host):
        raise ValueError(
            f"{variable} is the development value, but the service listens on {host}: set "
            f"{variable} to a secret of your own (README, Configuration) or listen on 127.0.0.1"
        )


#: an operator key beyond loopback: long, and not a repetition (bits estimated from its length
#: and distinct characters; ``openssl rand -hex 24`` gives about 190)
MIN_OPERATOR_KEY_LENGTH, MIN_OPERATOR_KEY_BITS = 24, 100


def refuse_weak_key(host: str, variable: str, value: SecretStr) -> None:
    """Refuse a short or repetitive key when the service listens beyond loopback."""
    key = value.get_secret_value()
    bits = len(key) * math.log2(len(set(key))) if key else 0.0
    if is_loopback(host) or (len(key) >= MIN_OPERATOR_KEY_LENGTH and bits >= MIN_OPERATOR_KEY_BITS):
        return
    raise ValueError(
        f"{variable} is too weak for a service that listens on {host}: give at least "
        f"{MIN_OPERATOR_KEY_LENGTH} random characters, e.g. $(openssl rand -hex 24)"
    )


#: aid's and housing's setting of the origins whose pages may call them from a browser
FieldAppOrigins = Annotated[
    list[str],
    Field(
        default_factory=lambda: ["http://127.0.0.1:8001", "http://localhost:8001"],
        description="Origins whose pages may call this service from a browser (JSON list): the "
        "field app, which intake serves at /app.",
    ),
]


class ServiceSettings(BaseSettings):
    """What every service reads. A service subclass sets its env prefix (``INTAKE_`` ...) for its
    own fields; the shared endpoints below keep their plain names."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    operator_api_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_OPERATOR_KEY),
        validation_alias="OPERATOR_API_KEY",
        description="Key of the coordination centre's operators (X-API-Key header).",
    )
    kafka_partitions: int = Field(
        default=3, validation_alias="KAFKA_PARTITIONS", description="Partitions of new topics."
    )
    kafka_replication_factor: int = Field(
        default=1,
        ge=1,
        validation_alias="KAFKA_REPLICATION_FACTOR",
        description="Replicas of new topics: 1 on the local stack, 3 on a cluster (a service that "
        "starts before the cluster's topic operator must not create a topic with one replica).",
    )
    kafka_topic_namespace: str = Field(
        default="",
        validation_alias="KAFKA_TOPIC_NAMESPACE",
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Prefix of every topic and consumer group (tests, demos); empty in production.",
    )
    rate_limit_per_second: float = Field(
        # far above what a welcome point's tablets send, and above the in-process OpenAPI fuzz
        # of one partner key (about 70 requests a second here); a runaway retry loop is not
        default=100.0,
        gt=0,
        validation_alias="RATE_LIMIT_PER_SECOND",
        description="Requests per second each API key may keep sending, per service instance "
        "(a registration costs one per person it carries; the operator key is not limited; "
        "see shared/ratelimit.py).",
    )
    rate_limit_burst: int = Field(
        default=500,
        ge=1,
        validation_alias="RATE_LIMIT_BURST",
        description="Requests an API key may send at once before the per-second rate applies.",
    )
    rate_limit_failed_auth_per_second: float = Field(
        default=0.5,
        gt=0,
        validation_alias="RATE_LIMIT_FAILED_AUTH_PER_SECOND",
        description="Failed authentications (401) per second one client address may keep "
        "making; past them, keys this instance has not seen authenticate are refused with 429.",
    )
    rate_limit_failed_auth_burst: int = Field(
        default=20,
        ge=1,
        validation_alias="RATE_LIMIT_FAILED_AUTH_BURST",
        description="Failed authentications one client address may make at once.",
    )
    trace_database_statements: bool = Field(
        default=False,
        validation_alias="TRACE_DATABASE_STATEMENTS",
        description="A span per SQL statement, for chasing a slow query: it costs about a third "
        "of a service's CPU (benchmarks/README.md), so it is off unless asked for.",
    )
    consumer_batch_max_events: int = Field(
        default=100,
        ge=1,
        validation_alias="CONSUMER_BATCH_MAX_EVENTS",
        description="Events a consumer takes per poll and handles in one transaction (1: one "
        "transaction and one offset commit per event, as before batching; for comparison).",
    )
    states_kept: int = Field(
        default=STATES_KEPT,
        ge=1,
        validation_alias="STATES_KEPT",
        description="Streams whose folded state the service keeps in memory between commands "
        "(shared/state_cache.py), least recently used out: enough for every person, arrival "
        "and household of the town, or each command on one evicted reads its whole stream "
        "again. A few hundred bytes each (aid: 71 MiB more for a 100,000-person week).",
    )
    fingerprint_key: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_FINGERPRINT_KEY),
        min_length=16,
        description="The service's secret (``<SERVICE>_FINGERPRINT_KEY``, 16 characters or "
        "more, e.g. ``openssl rand -hex 32``) that keys the fingerprints of requests kept with "
        "their Idempotency-Keys: without it a fingerprint cannot be tested against guesses.",
    )
    database_url: str
    http_host: str = "127.0.0.1"
    http_port: int
    db_pool_max: int = 10

    @field_validator("operator_api_key", mode="after")
    @classmethod
    def _without_surrounding_whitespace(cls, value: SecretStr) -> SecretStr:
        # a key read from a file keeps its newline, which no X-API-Key header can carry
        return SecretStr(value.get_secret_value().strip())

    @model_validator(mode="after")
    def _no_development_secret_beyond_loopback(self) -> ServiceSettings:
        refuse_development_secret(
            self.http_host, "OPERATOR_API_KEY", self.operator_api_key, DEVELOPMENT_OPERATOR_KEY
        )
        prefix = str(self.model_config.get("env_prefix", ""))
        refuse_development_secret(
            self.http_host, f"{prefix}FINGERPRINT_KEY", self.fingerprint_key,
            DEVELOPMENT_FINGERPRINT_KEY,
        )  # fmt: skip
        refuse_weak_key(self.http_host, "OPERATOR_API_KEY", self.operator_api_key)
        return self
