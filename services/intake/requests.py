"""What a partner posts to register arrivals, one or a batch. These models hold personal data:
they stay inside intake. What is posted about a person already registered is in
``services.intake.case_requests``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError

from services.intake.case_requests import (
    ConsentChange,
    CorrectableField,
    Correction,
    Departure,
    Erasure,
    MergeRequest,
    NewPartner,
    PersonSearch,
    ScopeName,
)
from services.intake.domain.arrival import latest_arrival_date
from services.intake.request_fields import (
    EARLIEST_ARRIVAL,
    MAX_VALUE_DEPTH,
    CountryCode,
    LanguageCode,
    PartnerId,
    Reason,
    Text,
)
from shared.http import RequestBody, examples
from shared.schemas.intake import NeedCode, Relation, Sex

# the requests about a registered person and the shared fields moved to their own modules;
# the names stay importable from here for the routes and use cases that import them
__all__ = [
    "EARLIEST_ARRIVAL",
    "MAX_VALUE_DEPTH",
    "ArrivalAccepted",
    "ArrivalRequest",
    "BatchItem",
    "BatchRequest",
    "ConsentChange",
    "CorrectableField",
    "Correction",
    "CountryCode",
    "Departure",
    "Difficulty",
    "Document",
    "DocumentType",
    "Erasure",
    "GeneralPurpose",
    "LanguageCode",
    "MergeRequest",
    "NewPartner",
    "NewPerson",
    "PartnerId",
    "PersonSearch",
    "Reason",
    "ScopeName",
    "Text",
    "WashingtonGroupShortSet",
    "born_after_arrival",
]


class DocumentType(StrEnum):
    FOREIGN_PASSPORT = "foreign_passport"
    RUSSIAN_INTERNAL_PASSPORT = "russian_internal_passport"
    BIRTH_CERTIFICATE = "birth_certificate"
    MARRIAGE_CERTIFICATE = "marriage_certificate"
    OTHER = "other"
    NONE = "none"


class Document(RequestBody):
    type: DocumentType
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    issuing_country: CountryCode | None = Field(default=None, examples=["RU"])
    expiry: date | None = None


class Difficulty(StrEnum):
    """Answers of the Washington Group short set."""

    NO_DIFFICULTY = "no_difficulty"
    SOME_DIFFICULTY = "some_difficulty"
    A_LOT_OF_DIFFICULTY = "a_lot_of_difficulty"
    CANNOT_DO_AT_ALL = "cannot_do_at_all"


class WashingtonGroupShortSet(RequestBody):
    """The six Washington Group questions on functioning (optional, each may be skipped)."""

    seeing: Difficulty | None = None
    hearing: Difficulty | None = None
    walking: Difficulty | None = None
    remembering: Difficulty | None = None
    self_care: Difficulty | None = None
    communicating: Difficulty | None = None

    def indicates_disability(self) -> bool:
        """The Group's recommended cut-off: 'a lot of difficulty' or worse in any domain."""
        severe = {Difficulty.A_LOT_OF_DIFFICULTY, Difficulty.CANNOT_DO_AT_ALL}
        return any(answer in severe for answer in self.model_dump().values())


class NewPerson(RequestBody):
    """One arriving person, as the partner met them."""

    given_name: Text = Field(examples=["Алексей"], description="As written, any script.")
    family_name: Text = Field(examples=["Смирнов"])
    patronymic: Text | None = None
    birth_date: date | None = Field(default=None, examples=["1994-03-02"])
    age: int | None = Field(default=None, ge=0, le=120, description="When no birth date is known.")
    sex: Sex
    relation: Relation = Relation.SELF
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10, examples=[["ru"]])
    needs: list[NeedCode] = Field(default_factory=list, max_length=len(NeedCode))
    washington_group: WashingtonGroupShortSet | None = None
    documents: list[Document] = Field(default_factory=list, max_length=5)
    profession: Text | None = Field(default=None, examples=["backend developer"])
    skills: list[Text] = Field(default_factory=list, max_length=20)
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,20}$")] | None = None

    @model_validator(mode="after")
    def age_or_birth_date(self) -> Self:
        if self.birth_date is None and self.age is None:
            raise ValueError("give birth_date or, when it is unknown, age")
        if self.birth_date is not None and not date(1900, 1, 1) <= self.birth_date <= date.today():
            raise ValueError("birth_date must lie between 1900-01-01 and today")
        return self

    def need_codes(self) -> tuple[NeedCode, ...]:
        needs = list(self.needs)
        if self.washington_group and self.washington_group.indicates_disability():
            needs.append(NeedCode.DISABILITY)
        return tuple(dict.fromkeys(needs))


_EXAMPLE: JsonDict = {
    "arrival_date": "2022-09-24",
    "crossing_point": "syrym",
    "partner_reference": "WP-SYRYM-0042",
    "keep_together": True,
    "consents": ["housing", "aid", "anonymous_statistics"],
    "members": [
        {"given_name": "Алексей", "family_name": "Смирнов", "birth_date": "1994-03-02",
         "sex": "male", "languages": ["ru", "en"], "profession": "backend developer",
         "documents": [{"type": "foreign_passport", "number": "75 0000000",
                        "issuing_country": "RU"}]},
        {"given_name": "Мария", "family_name": "Смирнова", "age": 27, "sex": "female",
         "relation": "spouse", "documents": [{"type": "russian_internal_passport"}]},
    ],
}  # fmt: skip


GeneralPurpose = Literal["housing", "aid", "anonymous_statistics"]


def _usual_consents() -> list[GeneralPurpose]:
    return ["housing", "aid"]


def born_after_arrival(
    birth_date: date | None, arrival_date: date, loc: tuple[str | int, ...]
) -> list[InitErrorDetails]:
    """A birth date after the arrival date is a typing error: one issue at ``loc``, or none."""
    if birth_date is None or birth_date <= arrival_date:
        return []
    message = "birth_date {birth_date} is after the arrival date {arrival_date}; check both"
    context = {"birth_date": str(birth_date), "arrival_date": str(arrival_date)}
    return [
        InitErrorDetails(
            type=PydanticCustomError("birth_after_arrival", message, context),
            loc=loc,
            input=str(birth_date),
        )
    ]


class ArrivalRequest(RequestBody):
    """One person, or a group travelling together, registered in one call."""

    model_config = examples(_EXAMPLE)

    arrival_date: date
    crossing_point: Annotated[  # a code GET /v1/crossing-points lists
        str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=80)
    ]
    partner_reference: Text | None = Field(default=None, description="Your own case number.")
    keep_together: bool = True
    members: list[NewPerson] = Field(min_length=1, max_length=50)
    consents: list[GeneralPurpose] = Field(
        default_factory=_usual_consents,
        max_length=3,
        description="Purposes every member agreed to. Housing places, and aid serves, only "
        "people who agreed to its purpose; without it the answer's not_informed says so.",
    )
    share_with_partners: list[PartnerId] = Field(
        default_factory=list,
        max_length=10,
        description="Partners every member agreed to share with.",
    )

    @field_validator("arrival_date")
    @classmethod
    def plausible_arrival_date(cls, value: date) -> date:
        today = latest_arrival_date(datetime.now(UTC))
        if not EARLIEST_ARRIVAL <= value <= today:
            raise ValueError(
                f"arrival_date must lie between {EARLIEST_ARRIVAL} and today ({today}): "
                "send the day the person crossed"
            )
        return value

    @model_validator(mode="after")
    def born_before_arrival(self) -> Self:
        issues = [
            issue
            for index, member in enumerate(self.members)
            for issue in born_after_arrival(
                member.birth_date, self.arrival_date, ("members", index, "birth_date")
            )
        ]
        if issues:
            raise ValidationError.from_exception_data(type(self).__name__, issues)
        return self


class ArrivalAccepted(BaseModel):
    arrival_id: str
    person_ids: list[str]
    correlation_id: str
    possible_duplicates: list[dict[str, str]] = Field(default_factory=list)
    not_informed: list[dict[str, str]] = Field(
        default_factory=list,
        description="Per person, each service (housing, aid) that was not informed because "
        "the person has not agreed to its purpose, with what to do when they agree.",
    )


class BatchItem(RequestBody):
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    arrival: dict[str, Any] = Field(description="An arrival as POST /v1/arrivals takes it.")


class BatchRequest(RequestBody):
    """Arrivals collected offline, each with its own idempotency key."""

    model_config = examples({"items": [{"idempotency_key": "tablet-7-0001", "arrival": _EXAMPLE}]})

    items: list[BatchItem] = Field(min_length=1, max_length=1000)
