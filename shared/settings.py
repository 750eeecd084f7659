"""Settings from the environment, with defaults that match the local stack (deploy/local)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """What every service reads. A service subclass sets its env prefix (``INTAKE_`` ...) for its
    own fields; the shared endpoints below keep their plain names."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    operator_api_key: SecretStr = Field(
        default=SecretStr("operator-dev-key"),
        validation_alias="OPERATOR_API_KEY",
        description="Key of the coordination centre's operators (X-API-Key header).",
    )
    kafka_partitions: int = Field(
        default=3, validation_alias="KAFKA_PARTITIONS", description="Partitions of new topics."
    )
    kafka_topic_namespace: str = Field(
        default="",
        validation_alias="KAFKA_TOPIC_NAMESPACE",
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Prefix of every topic and consumer group (tests, demos); empty in production.",
    )
    database_url: str
    http_host: str = "127.0.0.1"
    http_port: int
    db_pool_max: int = 10
