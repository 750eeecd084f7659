from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.housing.arrival_run import Holds
from shared.schemas.base import PartnerId
from shared.settings import FieldAppOrigins, ServiceSettings


class HousingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="HOUSING_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5433/housing"
    http_port: int = 8002
    arrival_hold_hours: float = Field(
        default=24.0, gt=0, description="How long a place waits for someone on their way."
    )
    waitlist_hold_hours: float = Field(
        default=6.0, gt=0, description="How long a freed place waits for the next in line."
    )
    staff_api_keys: dict[PartnerId, SecretStr] = Field(
        default_factory=dict,
        description="Shelter staff keys, JSON {partner_id: key}: staff of the partner that runs "
        "a shelter (its contact_partner_id) may check people in and out there. The ids are "
        "partner ids (they name the staff on the events), so another form is refused at start.",
    )
    cors_origins: FieldAppOrigins
    hold_check_seconds: float = Field(
        default=30.0, gt=0, description="How often expired holds are looked for."
    )

    def holds(self) -> Holds:
        return Holds(
            arrival=timedelta(hours=self.arrival_hold_hours),
            waitlist=timedelta(hours=self.waitlist_hold_hours),
        )
