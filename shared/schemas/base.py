"""The base every domain event derives from."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DomainEvent(BaseModel):
    """Something that happened in the domain, named in the past tense.

    Concrete events declare ``type`` as a ``Literal`` of their class name (the discriminator of
    their topic's union) and ``schema_version`` as a ``Literal`` of their version, so that a
    consumer rejects a version it does not know instead of misreading it.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    #: the field that holds the id of the stream (aggregate) this event belongs to
    stream_field: ClassVar[str]

    actor: str = Field(
        description="Who caused the event: 'partner:<id>', 'operator', or 'service:<name>'.",
        max_length=200,
    )
    occurred_at: AwareDatetime = Field(description="When it happened, with a time zone (UTC).")

    @property
    def stream_id(self) -> str:
        """The id of the stream this event is appended to, also its Kafka key."""
        return str(getattr(self, self.stream_field))

    @property
    def event_type(self) -> str:
        return str(self.__dict__["type"])  # a Literal on each concrete event

    @property
    def version_of_schema(self) -> int:
        return int(self.__dict__["schema_version"])
