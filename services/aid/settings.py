from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.schemas.aid import SITE_PATTERN
from shared.settings import FieldAppOrigins, ServiceSettings

SiteId = Annotated[str, Field(pattern=SITE_PATTERN)]


class AidSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AID_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/aid"
    http_port: int = 8003
    site_api_keys: dict[SiteId, SecretStr] = Field(
        default_factory=dict,
        description="Distribution sites' keys, JSON {site_id: key}: a site's key issues aid at "
        "that site (POST /v1/distributions) and reads entitlements, and nothing else; the "
        "operator key does everything.",
    )
    cors_origins: FieldAppOrigins
