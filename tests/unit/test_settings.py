"""Secrets come from the environment: the development values written in the code are refused as
soon as a service listens beyond loopback."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.aid.settings import AidSettings
from services.housing.settings import HousingSettings
from services.intake.settings import IntakeSettings
from shared.settings import ServiceSettings

REAL_MASTER_KEY = "c2VjcmV0LW1hc3Rlci1rZXktb2YtMzItYnl0ZXMhISE="


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_the_development_keys_are_accepted_on_loopback(host: str) -> None:
    settings = IntakeSettings(http_host=host)
    assert settings.operator_api_key.get_secret_value() == "operator-dev-key"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "intake.internal"])
def test_the_development_operator_key_is_refused_beyond_loopback(host: str) -> None:
    with pytest.raises(ValidationError) as refused:
        HousingSettings(http_host=host)
    message = str(refused.value)
    assert "OPERATOR_API_KEY is the development value" in message
    assert host in message
    assert "operator-dev-key" not in message  # the refusal never repeats a secret


@pytest.mark.parametrize("settings", [IntakeSettings, HousingSettings, AidSettings])
def test_the_development_fingerprint_key_is_refused_beyond_loopback(
    settings: type[ServiceSettings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", "a-key-of-our-own")
    prefix = settings.model_config.get("env_prefix", "")
    with pytest.raises(ValidationError, match=f"{prefix}FINGERPRINT_KEY is the development value"):
        settings(http_host="0.0.0.0")


def test_the_development_master_key_is_refused_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", "a-key-of-our-own")
    monkeypatch.setenv("INTAKE_FINGERPRINT_KEY", "a-fingerprint-key-of-our-own")
    with pytest.raises(ValidationError, match="INTAKE_MASTER_KEY is the development value"):
        IntakeSettings(http_host="0.0.0.0")


def test_own_secrets_listen_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", "a-key-of-our-own")
    monkeypatch.setenv("INTAKE_MASTER_KEY", REAL_MASTER_KEY)
    monkeypatch.setenv("INTAKE_FINGERPRINT_KEY", "a-fingerprint-key-of-our-own")
    settings = IntakeSettings(http_host="0.0.0.0")
    assert settings.master_key.get_secret_value() == REAL_MASTER_KEY
