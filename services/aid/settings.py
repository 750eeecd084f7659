from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AidSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AID_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/aid"
    http_port: int = 8003
