"""The envelope of every message on a topic: CloudEvents 1.0 attributes in binary mode, as Kafka
headers, plus the causation chain. The body is the event itself (JSON); the key its stream id.

| header           | meaning                                                              |
|------------------|----------------------------------------------------------------------|
| `ce_specversion` | always `1.0`                                                         |
| `ce_id`          | the event's unique id: consumers deduplicate on it                   |
| `ce_type`        | `<EventType>.v<schema_version>`, e.g. `ArrivalRegistered.v1`         |
| `ce_source`      | the publishing service, e.g. `/services/intake`                      |
| `ce_subject`     | the stream (aggregate) id, also the Kafka key                        |
| `ce_time`        | when the event was recorded (RFC 3339, UTC)                          |
| `correlation_id` | the request that started the journey                                 |
| `causation_id`   | the event (or empty: the request) that caused this one               |
| `ce_correlationid`, `ce_causationid` | the same two, as CloudEvents extensions           |
| `traceparent`    | W3C trace context, so one trace covers the journey                   |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from uuid import UUID

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field

#: header of a journey id -> the same id as a CloudEvents extension attribute (binary mode)
EXTENSIONS = {"correlation_id": "ce_correlationid", "causation_id": "ce_causationid"}


class Envelope(BaseModel):
    """The attributes that travel beside an event, as Kafka headers."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = Field(alias="ce_specversion", description="CloudEvents 1.0.")
    id: UUID = Field(alias="ce_id", description="Unique id of the event; deduplicate on it.")
    type: str = Field(alias="ce_type", pattern=r"^[A-Za-z]+\.v[0-9]+$", description="EventType.vN")
    source: str = Field(alias="ce_source", min_length=1, description="Publishing service.")
    subject: str | None = Field(default=None, alias="ce_subject", description="Stream id.")
    time: AwareDatetime | None = Field(default=None, alias="ce_time", description="Recorded at.")
    correlation_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("correlation_id", "ce_correlationid"),
        serialization_alias="correlation_id",
        description="Journey's first request.",
    )
    causation_id: str | None = Field(
        default=None,
        validation_alias=AliasChoices("causation_id", "ce_causationid"),
        serialization_alias="causation_id",
        description="Event that caused this one.",
    )

    def headers(self) -> list[tuple[str, bytes]]:
        """The Kafka headers (empty attributes are left out): the ids of the journey twice,
        under their first names and as CloudEvents extensions (``ce_correlationid``), since
        an extension's name may hold only lower-case letters and digits."""
        attributes = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for name, extension in EXTENSIONS.items():
            if name in attributes:
                attributes[extension] = attributes[name]
        return [(name, str(value).encode()) for name, value in attributes.items() if value != ""]

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Envelope:
        return cls.model_validate(dict(headers))


def journey_headers(metadata: Mapping[str, str | None]) -> list[tuple[str, bytes]]:
    """The correlation and causation ids of an append's metadata as Kafka headers, under
    their first names and then as CloudEvents extensions, in the order ``headers`` gives."""
    ids = [(name, str(metadata[name]).encode()) for name in EXTENSIONS if metadata.get(name)]
    return [*ids, *((EXTENSIONS[name], value) for name, value in ids)]
