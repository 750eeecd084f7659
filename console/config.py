"""What the console knows about the services, configured like the services themselves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import asyncpg
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.aid import main as aid_main
from services.aid.projections import READ_MODEL_TABLES as AID_TABLES
from services.aid.settings import AidSettings
from services.housing import main as housing_main
from services.housing.projections import READ_MODEL_TABLES as HOUSING_TABLES
from services.housing.settings import HousingSettings
from services.intake import main as intake_main
from services.intake.projections import READ_MODEL_TABLES as INTAKE_TABLES
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from shared.database import create_pool
from shared.eventstore import EventStore
from shared.settings import ServiceSettings
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

T = TypeVar("T")


class ConsoleSettings(BaseSettings):
    """The console's own settings; each service's database comes from that service's settings."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    kafka_topic_namespace: str = Field(
        default="", validation_alias="KAFKA_TOPIC_NAMESPACE", pattern=r"^[A-Za-z0-9_-]*$"
    )
    trace_ui_url: str = Field(
        default="http://127.0.0.1:9411/zipkin/traces/",
        validation_alias="TRACE_UI_URL",
        description="A trace id appended to this gives the trace's page in the trace UI.",
    )

    def trace_link(self, trace_id: str) -> str:
        base = self.trace_ui_url if self.trace_ui_url.endswith("/") else f"{self.trace_ui_url}/"
        return f"{base}{trace_id}"


@dataclass(frozen=True)
class Service:
    name: str
    #: the contract topics it consumes, in the order its runtime subscribes (main.py)
    consumes: tuple[str, ...]
    publishes: str
    tables: tuple[str, ...]
    migrations: Path

    def settings(self) -> ServiceSettings:
        if self.name == "intake":
            return IntakeSettings()
        if self.name == "housing":
            return HousingSettings()
        return AidSettings()

    def event_store(self) -> EventStore:
        if self.name == "intake":
            settings = IntakeSettings()
            return intake_main.event_store(Vault(settings.master_keyring()))
        if self.name == "housing":
            return housing_main.event_store()
        return aid_main.event_store()


SERVICES: dict[str, Service] = {
    # what each consumes comes from its main.py, the list its runtime subscribes to
    "intake": Service(
        "intake", intake_main.CONSUMES, INTAKE_EVENTS, INTAKE_TABLES, intake_main.MIGRATIONS
    ),
    "housing": Service(
        "housing", housing_main.CONSUMES, HOUSING_EVENTS, HOUSING_TABLES, housing_main.MIGRATIONS
    ),
    "aid": Service("aid", aid_main.CONSUMES, AID_EVENTS, AID_TABLES, aid_main.MIGRATIONS),
}


async def with_pool(service: Service, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """``work`` on a small pool of the service's database, closed after."""
    pool = await create_pool(service.settings().database_url, 2)
    try:
        return await work(pool)
    finally:
        await pool.close()
