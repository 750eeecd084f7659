"""What is posted about a person already registered (a consent, a correction, a departure, a
merge of duplicates, an erasure, a search) and to add a partner. These models hold personal
data: they stay inside intake. The arrival itself is in ``services.intake.requests``."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field, StringConstraints, field_validator

from services.intake.request_fields import MAX_VALUE_DEPTH, PartnerId, Reason, Text
from shared.http import RequestBody, examples
from shared.schemas.intake import ConsentPurpose, DepartureReason


class ConsentChange(RequestBody):
    model_config = examples(
        {
            "purpose": "sharing_with_partner",
            "partner_id": "host-network-oral",
            "given": True,
        }
    )

    purpose: ConsentPurpose
    partner_id: PartnerId | None = Field(default=None, description="For sharing_with_partner.")
    given: bool = Field(description="true gives the consent, false withdraws it.")


CorrectableField = Literal[
    "given_name", "family_name", "patronymic", "birth_date", "age", "sex", "languages", "needs",
    "washington_group", "documents", "profession", "skills", "contact_phone",
]  # fmt: skip


class Correction(RequestBody):
    model_config = examples(
        {"field": "family_name", "value": "Смирнова", "reason": "misread at the border"}
    )

    field: CorrectableField
    value: Any = Field(description="The new value, as in the registration body.")
    reason: Reason

    @field_validator("value", mode="before")
    @classmethod
    def shallow(cls, value: Any) -> Any:
        """A value nested deeper than any field of a person is refused before it costs a
        serialiser its recursion (a value 900 levels deep answered 500)."""
        level, layer = 0, [value]
        while layer:
            level += 1
            if level > MAX_VALUE_DEPTH:
                raise ValueError(f"the value nests more than {MAX_VALUE_DEPTH} levels deep")
            layer = [
                item
                for container in layer
                if isinstance(container, dict | list)
                for item in (container.values() if isinstance(container, dict) else container)
            ]
        return value


class Departure(RequestBody):
    model_config = examples({"reason": "moved_on_to_another_country"})

    reason: DepartureReason


class MergeRequest(RequestBody):
    model_config = examples(
        {
            "duplicate_person_id": "0b8e0b57-4c56-4bd1-9a55-3b1c2a3b1d10",
            "kept_person_id": "5d1c8f2e-94a4-4d7f-8d0a-1f8f0f2b7c11",
            "reason": "same passport, registered twice",
        }
    )

    duplicate_person_id: UUID
    kept_person_id: UUID
    reason: Reason


class Erasure(RequestBody):
    """An erasure. Its reason, if given, is not kept anywhere: free text about a person would
    outlive the erasure (record the reason in your own case file if you need it)."""

    model_config = examples({})

    reason: Reason | None = None


ScopeName = Literal["arrivals:write", "cases:read", "operator"]


def _partner_scopes() -> list[ScopeName]:
    return ["arrivals:write", "cases:read"]


class NewPartner(RequestBody):
    model_config = examples(
        {
            "partner_id": "welcome-point-syrym",
            "name": "Welcome point at Syrym",
            "scopes": ["arrivals:write", "cases:read"],
        }
    )

    partner_id: PartnerId
    name: Text
    scopes: list[ScopeName] = Field(default_factory=_partner_scopes, min_length=1)


class PersonSearch(RequestBody):
    model_config = examples({"name": "Смирнова Мария", "document": "75 0000000"})

    name: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        default=None, description="Words of a name, in any script; every word must match."
    )
    document: Annotated[str, StringConstraints(max_length=40)] | None = None
    limit: int = Field(default=50, ge=1, le=200)
