"""What a partner posts. These models hold personal data: they stay inside intake."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.schemas.intake import NeedCode, Relation, Sex

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,3}$")]


class DocumentType(StrEnum):
    FOREIGN_PASSPORT = "foreign_passport"
    RUSSIAN_INTERNAL_PASSPORT = "russian_internal_passport"
    BIRTH_CERTIFICATE = "birth_certificate"
    MARRIAGE_CERTIFICATE = "marriage_certificate"
    OTHER = "other"
    NONE = "none"


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: DocumentType
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    issuing_country: CountryCode | None = Field(default=None, examples=["RU"])
    expiry: date | None = None


class NewPerson(BaseModel):
    """One arriving person, as the partner met them."""

    model_config = ConfigDict(extra="forbid")

    given_name: Text = Field(examples=["Алексей"])
    family_name: Text = Field(examples=["Смирнов"])
    birth_date: date | None = Field(default=None, examples=["1994-03-02"])
    age: int | None = Field(default=None, ge=0, le=120, description="When no birth date is known.")
    sex: Sex
    relation: Relation = Relation.SELF
    languages: list[LanguageCode] = Field(default_factory=list, max_length=10, examples=[["ru"]])
    needs: list[NeedCode] = Field(default_factory=list, max_length=len(NeedCode))
    documents: list[Document] = Field(default_factory=list, max_length=5)
    contact_phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{5,20}$")] | None = None

    @model_validator(mode="after")
    def age_or_birth_date(self) -> Self:
        if self.birth_date is None and self.age is None:
            raise ValueError("give birth_date or, when it is unknown, age")
        if self.birth_date is not None and not date(1900, 1, 1) <= self.birth_date <= date.today():
            raise ValueError("birth_date must lie between 1900-01-01 and today")
        return self


class ArrivalRequest(BaseModel):
    """One person, or a group travelling together, registered in one call."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "arrival_date": "2022-09-24",
                    "crossing_point": "syrym",
                    "keep_together": True,
                    "members": [
                        {
                            "given_name": "Алексей",
                            "family_name": "Смирнов",
                            "birth_date": "1994-03-02",
                            "sex": "male",
                            "languages": ["ru"],
                            "documents": [
                                {
                                    "type": "foreign_passport",
                                    "number": "75 0000000",
                                    "issuing_country": "RU",
                                }
                            ],
                        },
                        {
                            "given_name": "Мария",
                            "family_name": "Смирнова",
                            "age": 27,
                            "sex": "female",
                            "relation": "spouse",
                        },
                    ],
                }
            ]
        },
    )

    arrival_date: date
    crossing_point: Text
    keep_together: bool = True
    members: list[NewPerson] = Field(min_length=1, max_length=50)


class ArrivalAccepted(BaseModel):
    arrival_id: str
    person_ids: list[str]
    correlation_id: str
