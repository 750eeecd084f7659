from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class AidSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AID_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/aid"
    http_port: int = 8003
    cors_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:8001", "http://localhost:8001"],
        description="Origins whose pages may call this service from a browser (JSON list): the "
        "field app, which intake serves at /app.",
    )
