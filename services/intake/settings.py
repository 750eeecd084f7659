from __future__ import annotations

import base64
import binascii

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.intake.vault import MasterKeys
from shared.settings import ServiceSettings, is_loopback

#: for development only: a real deployment sets INTAKE_MASTER_KEY (32 random bytes, base64)
DEVELOPMENT_MASTER_KEY = "ZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXIta2V5LTMyYiE="


class IntakeSettings(ServiceSettings):
    # an empty variable is an unset one: docker-compose passes every master key variable, set
    # or not
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", env_ignore_empty=True)

    database_url: str = "postgresql://postgres@127.0.0.1:5433/intake"
    http_port: int = 8001
    master_key: SecretStr | None = Field(
        default=None,
        description="The master key of before versions (32 random bytes, base64): version 1.",
    )
    master_keys: dict[int, SecretStr] = Field(
        default_factory=dict,
        description='Master keys by version, JSON {"2": "base64 of 32 bytes"}: the current one '
        "and older ones still being rewrapped away from (README, Rotating the master key).",
    )
    master_key_version: int | None = Field(
        default=None,
        ge=1,
        description="The version that wraps new person keys (default: the highest configured).",
    )
    #: where the field app (served at /app) finds housing and aid; their CORS admits this origin
    fieldapp_housing_url: str = "http://127.0.0.1:8002"
    fieldapp_aid_url: str = "http://127.0.0.1:8003"

    @model_validator(mode="after")
    def _master_keys_are_usable(self) -> IntakeSettings:
        keyring = self.master_keyring()  # refuses a key that is not 32 bytes of base64
        development = base64.b64decode(DEVELOPMENT_MASTER_KEY)
        # compared as bytes: a trailing newline or other base64 padding makes the same key
        if development in keyring.keys.values() and not is_loopback(self.http_host):
            raise ValueError(
                f"INTAKE_MASTER_KEY is the development value, but the service listens on "
                f"{self.http_host}: set INTAKE_MASTER_KEY (or INTAKE_MASTER_KEYS) to a secret "
                f"of your own (README, Configuration) or listen on 127.0.0.1"
            )
        return self

    def master_keyring(self) -> MasterKeys:
        """The configured master keys by version; INTAKE_MASTER_KEY is version 1, and with no
        key configured at all, the development key is."""
        encoded = {version: key.get_secret_value() for version, key in self.master_keys.items()}
        if self.master_key is not None:
            legacy = self.master_key.get_secret_value()
            if encoded.setdefault(1, legacy) != legacy:
                raise ValueError(
                    "INTAKE_MASTER_KEY is version 1, and INTAKE_MASTER_KEYS names another key "
                    "as version 1: keep one of them"
                )
        if not encoded:
            encoded = {1: DEVELOPMENT_MASTER_KEY}
        keys = {version: _decoded(version, value) for version, value in encoded.items()}
        current = self.master_key_version or max(keys)
        if current not in keys:
            raise ValueError(
                f"INTAKE_MASTER_KEY_VERSION is {current}, but INTAKE_MASTER_KEYS holds only "
                f"versions {sorted(keys)}: add the key of version {current}"
            )
        return MasterKeys(keys, current)


def _decoded(version: int, value: str) -> bytes:
    # whitespace anywhere (a newline from echo or a file) and surplus padding are not the key:
    # decoded as base64 decoders do, so the development key cannot pass as another one
    try:
        key = base64.b64decode("".join(value.split()))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValueError(
            f"master key version {version} is not 32 bytes in base64: make one with "
            f"`openssl rand -base64 32`"
        )
    return key
