"""The committed JSON Schemas of the topics (``contracts/*.schema.json``), and one message
checked against them: CloudEvents headers first, then the body against its event type.

A tolerant reader: an event type the contract does not know (a newer publisher) is skipped and
counted, never an error. A known type must match the committed schema exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import jsonschema_rs
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise SystemExit(
        "examples.statistics validates with jsonschema-rs: `uv pip install jsonschema-rs`"
    ) from missing

TOPICS = ("intake.events.v2", "housing.events.v2", "aid.events.v2")
DEFAULT_CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
REQUIRED_HEADERS = ("ce_id", "ce_type", "ce_source", "ce_specversion")


class Malformed(ValueError):
    """The message breaks the contract (headers or body); park it, do not apply it."""


@dataclass(frozen=True)
class Message:
    """One valid event: its CloudEvents id and type, and its body."""

    topic: str
    ce_id: str
    event_type: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Unknown:
    """A well-formed message of an event type this contract does not know."""

    topic: str
    ce_id: str
    event_type: str


class TopicContract:
    """One topic's schema, with a validator per event type (the union's ``oneOf`` branches)."""

    def __init__(self, topic: str, schema: Mapping[str, Any]) -> None:
        self.topic = topic
        definitions = schema["$defs"]
        self.validators: dict[str, jsonschema_rs.Validator] = {}
        for event_type, ref in schema["discriminator"]["mapping"].items():
            branch = {"$schema": schema["$schema"], "$defs": definitions, "$ref": ref}
            self.validators[event_type] = jsonschema_rs.validator_for(branch, validate_formats=True)

    @classmethod
    def load(cls, topic: str, directory: Path = DEFAULT_CONTRACTS) -> TopicContract:
        schema = json.loads((directory / f"{topic}.schema.json").read_text(encoding="utf-8"))
        return cls(topic, schema)

    def read(
        self, headers: Sequence[tuple[str, bytes | None]], value: bytes | None
    ) -> Message | Unknown:
        """The message as a checked event; raises Malformed naming what is wrong."""
        found = {key: (raw or b"").decode("utf-8", "replace") for key, raw in headers}
        absent = [name for name in REQUIRED_HEADERS if not found.get(name)]
        if absent:
            raise Malformed(f"missing CloudEvents header(s): {', '.join(absent)}")
        try:
            body = json.loads(value or b"")
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise Malformed(f"the value is not JSON: {error}") from error
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise Malformed("the value is not an event object with a 'type'")
        event_type: str = body["type"]
        if found["ce_type"] != f"{event_type}.v{body.get('schema_version')}":
            raise Malformed(f"ce_type {found['ce_type']!r} does not match the body's type")
        validator = self.validators.get(event_type)
        if validator is None:
            return Unknown(self.topic, found["ce_id"], event_type)
        errors = [
            f"{'/'.join(map(str, error.instance_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(body)
        ]
        if errors:
            raise Malformed(f"{event_type} breaks {self.topic}'s contract: {'; '.join(errors)}")
        return Message(self.topic, found["ce_id"], event_type, body)


def load_contracts(directory: Path = DEFAULT_CONTRACTS) -> dict[str, TopicContract]:
    return {topic: TopicContract.load(topic, directory) for topic in TOPICS}
