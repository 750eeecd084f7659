"""Secrets come from the environment: the development values written in the code are refused as
soon as a service listens beyond loopback."""

from __future__ import annotations

import base64
import importlib

import pytest
from pydantic import ValidationError

from services.aid.settings import AidSettings
from services.housing.settings import HousingSettings
from services.intake.settings import DEVELOPMENT_MASTER_KEY, IntakeSettings
from services.intake.vault import MasterKeys
from shared.settings import ServiceSettings

REAL_MASTER_KEY = "c2VjcmV0LW1hc3Rlci1rZXktb2YtMzItYnl0ZXMhISE="
OTHER_MASTER_KEY = base64.b64encode(b"another-master-key-of-32-bytes!!").decode()
STRONG_OPERATOR_KEY = "9f2c4e71b05a83d6e2c17f94a0b8d35e6c1f2a7b"  # as openssl rand -hex 20 gives


@pytest.fixture(autouse=True)
def own_fingerprint_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every service's fingerprint key set to one of our own, so that each test meets only the
    refusal it is about; the fingerprint test takes them away again."""
    for prefix in ("INTAKE_", "HOUSING_", "AID_"):
        monkeypatch.setenv(f"{prefix}FINGERPRINT_KEY", "a-fingerprint-key-of-our-own")


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
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY)
    prefix = settings.model_config.get("env_prefix", "")
    monkeypatch.delenv(f"{prefix}FINGERPRINT_KEY")
    with pytest.raises(ValidationError, match=f"{prefix}FINGERPRINT_KEY is the development value"):
        settings(http_host="0.0.0.0")


def test_the_development_master_key_is_refused_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY)
    with pytest.raises(ValidationError, match="INTAKE_MASTER_KEY is the development value"):
        IntakeSettings(http_host="0.0.0.0")


def test_own_secrets_listen_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY)
    monkeypatch.setenv("INTAKE_MASTER_KEY", REAL_MASTER_KEY)
    settings = IntakeSettings(http_host="0.0.0.0")
    assert settings.master_keyring() == MasterKeys({1: base64.b64decode(REAL_MASTER_KEY)}, 1)


@pytest.mark.parametrize(
    "written",
    [
        DEVELOPMENT_MASTER_KEY + "\n",
        DEVELOPMENT_MASTER_KEY + "\r\n",
        " " + DEVELOPMENT_MASTER_KEY,
        DEVELOPMENT_MASTER_KEY[:20] + "\n" + DEVELOPMENT_MASTER_KEY[20:],
        DEVELOPMENT_MASTER_KEY + "=",
    ],
)
def test_the_development_master_key_with_whitespace_or_padding_is_still_refused(
    monkeypatch: pytest.MonkeyPatch, written: str
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY)
    monkeypatch.setenv("INTAKE_MASTER_KEY", written)
    with pytest.raises(ValidationError, match="INTAKE_MASTER_KEY is the development value"):
        IntakeSettings(http_host="0.0.0.0")


def test_the_development_master_key_is_refused_under_any_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY)
    monkeypatch.setenv("INTAKE_MASTER_KEYS", f'{{"2": "{DEVELOPMENT_MASTER_KEY}\\n"}}')
    with pytest.raises(ValidationError, match="INTAKE_MASTER_KEY is the development value"):
        IntakeSettings(http_host="0.0.0.0")


def test_the_old_master_key_is_version_1_next_to_the_versioned_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKE_MASTER_KEY", REAL_MASTER_KEY)
    monkeypatch.setenv("INTAKE_MASTER_KEYS", f'{{"2": "{OTHER_MASTER_KEY}"}}')

    keyring = IntakeSettings().master_keyring()

    assert sorted(keyring.keys) == [1, 2]
    assert keyring.current == 2  # the highest, unless INTAKE_MASTER_KEY_VERSION names another


def test_the_current_version_may_be_an_older_one_while_every_instance_learns_the_new(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "INTAKE_MASTER_KEYS", f'{{"1": "{REAL_MASTER_KEY}", "2": "{OTHER_MASTER_KEY}"}}'
    )
    monkeypatch.setenv("INTAKE_MASTER_KEY_VERSION", "1")
    assert IntakeSettings().master_keyring().current == 1


@pytest.mark.parametrize(
    ("variables", "complaint"),
    [
        ({"INTAKE_MASTER_KEYS": '{"2": "dG9vIHNob3J0"}'}, "version 2 is not 32 bytes"),
        ({"INTAKE_MASTER_KEYS": '{"2": "not base64 at all!"}'}, "version 2 is not 32 bytes"),
        ({"INTAKE_MASTER_KEY": REAL_MASTER_KEY, "INTAKE_MASTER_KEY_VERSION": "3"},
         "INTAKE_MASTER_KEY_VERSION is 3"),
        ({"INTAKE_MASTER_KEY": REAL_MASTER_KEY,
          "INTAKE_MASTER_KEYS": f'{{"1": "{OTHER_MASTER_KEY}"}}'}, "another key as version 1"),
    ],
)  # fmt: skip
def test_master_keys_that_cannot_work_are_refused_at_start_without_echoing_them(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], complaint: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=complaint) as refused:
        IntakeSettings()
    assert REAL_MASTER_KEY not in str(refused.value) and OTHER_MASTER_KEY not in str(refused.value)


def test_the_development_operator_key_with_a_newline_is_refused_and_a_key_is_stripped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", "operator-dev-key\n")
    with pytest.raises(ValidationError, match="OPERATOR_API_KEY is the development value"):
        HousingSettings(http_host="10.1.2.3")
    monkeypatch.setenv("OPERATOR_API_KEY", STRONG_OPERATOR_KEY + "\n")
    settings = HousingSettings(http_host="10.1.2.3")
    assert settings.operator_api_key.get_secret_value() == STRONG_OPERATOR_KEY


@pytest.mark.parametrize(
    "weak",
    [
        "operator",
        "changeme-please",
        "x" * 64,
        "passwordpasswordpassword",
        "abcabcabcabcabcabcabcabcabc",
    ],
)
def test_a_short_or_repetitive_operator_key_is_refused_beyond_loopback(
    monkeypatch: pytest.MonkeyPatch, weak: str
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", weak)
    with pytest.raises(ValidationError) as refused:
        HousingSettings(http_host="0.0.0.0")
    assert "OPERATOR_API_KEY is too weak" in str(refused.value)
    assert weak not in str(refused.value)  # the refusal never repeats a secret
    assert HousingSettings(http_host="127.0.0.1").operator_api_key.get_secret_value() == weak


@pytest.mark.parametrize(
    "strong",
    [
        STRONG_OPERATOR_KEY,
        "Zm9yLXRoZS1jb29yZGluYXRpb24tY2VudHJlLW9ubHk=",  # openssl rand -base64 32 looks so
        "rk_Q3dT0n8xw2VhZkJ1bXlLc0pYc2xYb3NrRjZ0",
    ],
)
def test_a_random_operator_key_listens_anywhere(
    monkeypatch: pytest.MonkeyPatch, strong: str
) -> None:
    monkeypatch.setenv("OPERATOR_API_KEY", strong)
    assert HousingSettings(http_host="0.0.0.0").operator_api_key.get_secret_value() == strong


def test_a_staff_key_for_an_id_that_is_not_a_partner_id_is_refused_at_start() -> None:
    # the id names the staff on housing's events (actor 'partner:<id>'), whose form is closed
    with pytest.raises(ValidationError, match="staff_api_keys"):
        HousingSettings(staff_api_keys={"Camp Staff": "k" * 32})
    assert list(HousingSettings(staff_api_keys={"camp-staff": "k" * 32}).staff_api_keys) == [
        "camp-staff"
    ]


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
def test_an_operator_sets_how_many_streams_a_service_keeps_folded_in_memory(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATES_KEPT", "2")
    main = importlib.import_module(f"services.{service}.main")
    states = main.create_app().state.store.states

    for stream in ("first", "second", "third"):
        states.put(stream, 1, {"folded": stream})

    assert states.get("first") is None  # the least recently used went: two are kept
    assert states.get("second") == (1, {"folded": "second"})
    assert states.get("third") == (1, {"folded": "third"})
