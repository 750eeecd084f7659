from __future__ import annotations

from pydantic import SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, refuse_development_secret

#: for development only: a real deployment sets INTAKE_MASTER_KEY (32 random bytes, base64)
DEVELOPMENT_MASTER_KEY = "ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LTMyYiE="


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/intake"
    http_port: int = 8001
    master_key: SecretStr = SecretStr(DEVELOPMENT_MASTER_KEY)
    #: where the field app (served at /app) finds housing and aid; their CORS admits this origin
    fieldapp_housing_url: str = "http://127.0.0.1:8002"
    fieldapp_aid_url: str = "http://127.0.0.1:8003"

    @model_validator(mode="after")
    def _no_development_master_key_beyond_loopback(self) -> IntakeSettings:
        refuse_development_secret(
            self.http_host, "INTAKE_MASTER_KEY", self.master_key, DEVELOPMENT_MASTER_KEY
        )
        return self
