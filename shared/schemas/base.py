"""The base every domain event derives from."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

#: a partner organisation's id, as intake issues them (lowercase letters, digits, hyphens)
PARTNER_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"
PartnerId = Annotated[str, StringConstraints(pattern=PARTNER_ID)]
#: a language, ISO 639-1
LANGUAGE_CODE = r"^[a-z]{2}$"
LanguageCode = Annotated[str, StringConstraints(pattern=LANGUAGE_CODE)]
#: who caused an event: an operator, a service, a partner (through one of its volunteers'
#: devices, when one did) or an aid distribution site; every form the services write, no other
_DEVICE_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ACTOR = (
    r"^(operator|service:(intake|housing|aid)"
    r"|partner:[a-z0-9][a-z0-9-]{1,62}(/device:" + _DEVICE_ID + r")?"
    r"|site:[a-z0-9][a-z0-9-]{0,62})$"
)


class DomainEvent(BaseModel):
    """Something that happened in the domain, named in the past tense.

    Concrete events declare ``type`` as a ``Literal`` of their class name (the discriminator of
    their topic's union) and ``schema_version`` as a ``Literal`` of their version, so that a
    consumer rejects a version it does not know instead of misreading it. They derive from
    :class:`TopicEvent` or :class:`InternalEvent`, which declare both fields (in this order,
    right after the ones here) and fix the version.
    """

    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    #: the field that holds the id of the stream (aggregate) this event belongs to
    stream_field: ClassVar[str]

    actor: str = Field(
        description="Who caused the event: 'operator', 'service:<name>', 'partner:<id>' "
        "(with '/device:<id>' when a volunteer's device did), or 'site:<id>'.",
        pattern=ACTOR,
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


class _VersionedEvent(DomainEvent):
    # declared here only for its place among the fields (the contracts list the properties in
    # this order); each concrete event narrows it to a Literal of its class name
    type: str


class TopicEvent(_VersionedEvent):
    """An event published on the second version of its context's topic (``*.events.v2``)."""

    schema_version: Literal[2] = 2


class InternalEvent(_VersionedEvent):
    """An event kept in its service's own event store, never published on a topic."""

    schema_version: Literal[1] = 1


class PersonEvent(TopicEvent):
    """A published event in a person's stream."""

    stream_field = "person_id"
    person_id: UUID = Field(description="Pseudonymous id of the person (the stream).")
