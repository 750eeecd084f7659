from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

#: for development only: a real deployment sets INTAKE_MASTER_KEY (32 random bytes, base64)
DEVELOPMENT_MASTER_KEY = "ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LTMyYiE="


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/intake"
    http_port: int = 8001
    master_key: SecretStr = SecretStr(DEVELOPMENT_MASTER_KEY)
