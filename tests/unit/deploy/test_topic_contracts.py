"""The committed JSON Schemas are the contracts of the v1 topics (contracts/, docs/subscribers.md).

A schema change without `make contracts` fails here; so does a change that would break a
consumer of the committed contract; and the compatibility checker is shown to catch each kind
of breaking change, and to let additive ones through.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from contracts.compat import breaking_changes
from contracts.generate import contract_path, main, render, topic_schema
from shared.schemas.intake import CROSSING_POINT_CODE
from shared.schemas.registry import TOPIC_ADAPTERS
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS

TOPICS = sorted(TOPIC_ADAPTERS)


def committed(topic: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(contract_path(topic).read_text(encoding="utf-8"))
    return loaded


def intake() -> dict[str, Any]:
    """A copy of the committed contract of intake.events.v1, to mutate."""
    return copy.deepcopy(committed(INTAKE_EVENTS))


def event(schema: dict[str, Any], name: str) -> dict[str, Any]:
    definition: dict[str, Any] = schema["$defs"][name]
    return definition


# (a) and (b): the committed files are what the code generates, and nothing breaks them


def test_every_topic_has_a_committed_contract() -> None:
    assert sorted([INTAKE_EVENTS, HOUSING_EVENTS, AID_EVENTS]) == TOPICS
    for topic in TOPICS:
        assert contract_path(topic).is_file(), f"{topic}: run `make contracts`"


@pytest.mark.parametrize("topic", TOPICS)
def test_the_committed_schema_is_the_generated_one(topic: str) -> None:
    assert contract_path(topic).read_text(encoding="utf-8") == render(topic_schema(topic)), (
        f"{topic}: the events changed but contracts/ was not regenerated: run `make contracts`"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_the_code_does_not_break_the_committed_contract(topic: str) -> None:
    assert breaking_changes(committed(topic), topic_schema(topic)) == []


@pytest.mark.parametrize("topic", TOPICS)
def test_what_producers_write_is_what_consumers_accept(topic: str) -> None:
    adapter = TOPIC_ADAPTERS[topic]
    assert adapter.json_schema(mode="serialization") == adapter.json_schema(mode="validation")


@pytest.mark.parametrize("topic", TOPICS)
def test_the_contract_lists_every_event_type_of_the_topic(topic: str) -> None:
    schema = committed(topic)
    mapping = schema["discriminator"]["mapping"]
    assert schema["discriminator"]["propertyName"] == "type"
    assert len(mapping) == len(schema["oneOf"]) > 0
    for name, ref in mapping.items():
        assert ref == f"#/$defs/{name}"
        assert event(schema, name)["properties"]["type"]["const"] == name


def test_the_check_mode_passes_on_the_committed_files() -> None:
    assert main(["--check"]) == 0


# (c): each kind of breaking change is reported


def test_an_unchanged_contract_has_no_breaking_change() -> None:
    assert breaking_changes(intake(), intake()) == []


def test_a_removed_event_type_is_breaking() -> None:
    new = intake()
    del new["discriminator"]["mapping"]["ConsentWithdrawn"]
    new["oneOf"].remove({"$ref": "#/$defs/ConsentWithdrawn"})
    del new["$defs"]["ConsentWithdrawn"]
    assert breaking_changes(intake(), new) == ["ConsentWithdrawn: event type removed"]


def test_a_removed_field_is_breaking() -> None:
    new = intake()
    arrival = event(new, "ArrivalRegistered")
    del arrival["properties"]["crossing_point"]
    arrival["required"].remove("crossing_point")
    assert breaking_changes(intake(), new) == ["ArrivalRegistered.crossing_point: field removed"]


def test_a_removed_field_of_a_nested_object_is_breaking() -> None:
    new = intake()
    member = event(new, "ArrivingMember")
    del member["properties"]["languages"]
    assert breaking_changes(intake(), new) == [
        "ArrivalRegistered.members[].languages: field removed",
        "ConsentGiven.member<anyOf[0]>.languages: field removed",
        "MergeUndone.member.languages: field removed",
    ]


def test_a_retyped_field_is_breaking() -> None:
    new = intake()
    event(new, "ArrivalRegistered")["properties"]["keep_together"]["type"] = "string"
    assert breaking_changes(intake(), new) == [
        'ArrivalRegistered.keep_together: type changed from "boolean" to "string"'
    ]


def test_a_narrowed_field_is_breaking() -> None:
    new = intake()
    event(new, "ArrivalRegistered")["properties"]["crossing_point"]["maxLength"] = 20
    assert breaking_changes(intake(), new) == [
        "ArrivalRegistered.crossing_point: maxLength changed from 80 to 20"
    ]


def test_a_field_no_longer_nullable_is_breaking() -> None:
    new = intake()
    field = event(new, "ConsentGiven")["properties"]["partner_id"]
    del field["anyOf"]
    field["type"] = "string"
    problems = breaking_changes(intake(), new)
    assert problems, "dropping null from a field's type must be reported"
    assert all(problem.startswith("ConsentGiven.partner_id: ") for problem in problems)


def test_a_removed_enum_value_is_breaking_wherever_the_enum_is_used() -> None:
    new = intake()
    event(new, "AgeBand")["enum"].remove("65+")
    problems = breaking_changes(intake(), new)
    assert 'ArrivalRegistered.members[].age_band: enum value(s) removed: ["65+"]' in problems
    assert 'PersonFactsCorrected.age_band: enum value(s) removed: ["65+"]' in problems


def test_an_added_enum_value_is_breaking() -> None:
    new = intake()
    event(new, "AgeBand")["enum"].append("100+")
    problems = breaking_changes(intake(), new)
    assert any(
        problem.startswith("PersonFactsCorrected.age_band: enum value(s) added")
        and '"100+"' in problem
        for problem in problems
    )


def test_a_changed_const_is_breaking() -> None:
    new = intake()
    event(new, "PersonDeparted")["properties"]["schema_version"]["const"] = 2
    assert "PersonDeparted.schema_version: const changed from 1 to 2" in breaking_changes(
        intake(), new
    )


def test_an_optional_field_made_required_is_breaking() -> None:
    new = intake()
    given = event(new, "ConsentGiven")
    assert "partner_id" not in given["required"]
    given["required"].append("partner_id")
    assert breaking_changes(intake(), new) == [
        "ConsentGiven.partner_id: optional field made required"
    ]


def test_a_new_required_field_on_an_existing_event_is_breaking() -> None:
    new = intake()
    departed = event(new, "PersonDeparted")
    departed["properties"]["destination"] = {"type": "string"}
    departed["required"].append("destination")
    assert breaking_changes(intake(), new) == ["PersonDeparted.destination: new required field"]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_field_removed_from_any_event_is_caught(topic: str) -> None:
    old = committed(topic)
    for name in old["discriminator"]["mapping"]:
        for field in event(old, name)["properties"]:
            new = copy.deepcopy(old)
            definition = event(new, name)
            del definition["properties"][field]
            if field in definition.get("required", []):
                definition["required"].remove(field)
            assert f"{name}.{field}: field removed" in breaking_changes(old, new)


# (d): additive changes pass


def test_a_new_optional_field_is_additive() -> None:
    new = intake()
    departed = event(new, "PersonDeparted")
    departed["properties"]["destination_country"] = {
        "anyOf": [{"type": "string", "pattern": "^[A-Z]{2}$"}, {"type": "null"}],
        "default": None,
    }
    event(new, "ArrivingMember")["properties"]["pets"] = {"type": "integer", "default": 0}
    assert breaking_changes(intake(), new) == []


def test_a_new_event_type_is_additive() -> None:
    new = intake()
    new["$defs"]["PersonReturned"] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"type": {"const": "PersonReturned", "type": "string"}},
        "required": ["type"],
    }
    new["oneOf"].append({"$ref": "#/$defs/PersonReturned"})
    new["discriminator"]["mapping"]["PersonReturned"] = "#/$defs/PersonReturned"
    assert breaking_changes(intake(), new) == []


def test_a_new_description_is_not_a_change() -> None:
    new = intake()
    event(new, "ArrivalRegistered")["properties"]["partner_id"]["description"] = "Who sent it."
    assert breaking_changes(intake(), new) == []


def test_strict_readers_count_new_fields_and_event_types_as_breaking() -> None:
    new = intake()
    event(new, "PersonDeparted")["properties"]["note_code"] = {"type": "string", "default": ""}
    new["$defs"]["PersonReturned"] = {"type": "object", "properties": {}}
    new["oneOf"].append({"$ref": "#/$defs/PersonReturned"})
    new["discriminator"]["mapping"]["PersonReturned"] = "#/$defs/PersonReturned"
    assert breaking_changes(intake(), new) == []
    assert breaking_changes(intake(), new, strict_readers=True) == [
        "PersonDeparted.note_code: new field (strict readers reject it)",
        "PersonReturned: new event type (strict readers reject it)",
    ]


# (d) only codes, ids, numbers and dates from closed sets on a topic: a string field with no
# closed form could carry anything a person typed, and so a name

#: the string fields the v1 topics' first schemas left open. Closing one in place (a pattern,
#: an enum) would break a reader replaying the topic from its start (contracts/compat.py), so
#: each waits for its topic's .v2; until then, what each carries and where it is closed. A new
#: field is never added here: it gets a closed form (crossing_point_code shows how).
OPEN_IN_V1: dict[str, str] = {
    "*.actor": "who caused it, made by the services: operator, partner:<partner id>, system",
    f"{INTAKE_EVENTS} ArrivalRegistered.crossing_point": "equals crossing_point_code (the "
    "event refuses otherwise), a code of intake's managed list",
    f"{INTAKE_EVENTS} ArrivalRegistered.partner_id": "a partner id (^[a-z0-9][a-z0-9-]{1,62}$)",
    f"{INTAKE_EVENTS} ConsentGiven.partner_id": "a partner id",
    f"{INTAKE_EVENTS} ConsentWithdrawn.partner_id": "a partner id",
    f"{INTAKE_EVENTS} ArrivingMember.languages[]": "ISO 639-1 codes (^[a-z]{2}$ at the request)",
    f"{INTAKE_EVENTS} PersonFactsCorrected.languages[]": "ISO 639-1 codes",
    f"{HOUSING_EVENTS} HostOfferMade.partner_id": "a partner id",
    f"{HOUSING_EVENTS} ShelterOpened.contact_partner_id": "a partner id",
    f"{HOUSING_EVENTS} HostOfferMade.district": "an operator's district name: open (report)",
    f"{HOUSING_EVENTS} ShelterOpened.district": "an operator's district name: open (report)",
    f"{HOUSING_EVENTS} ShelterOpened.name": "a shelter's name, typed by an operator: open",
    f"{HOUSING_EVENTS} Unit.name": "a room's name, typed by an operator: open (report)",
    f"{HOUSING_EVENTS} Unit.languages[]": "ISO 639-1 codes",
    f"{HOUSING_EVENTS} PersonWaitlisted.reason": "sentences housing writes, never a partner's",
    f"{AID_EVENTS} DonationReceived.unit": "the item's unit (portion, kit, ...), from aid's items",
    f"{AID_EVENTS} OfferPublished.city": "an offer's destination city, typed by a partner: open",
    **{
        f"{AID_EVENTS} {name}.stock_id": "<site code>:<item code>, made by aid"
        for name in ("DonationReceived", "StockIssued", "StockTransferredIn",
                     "StockTransferredOut", "StockWrittenOff")
    },
}  # fmt: skip


def _closed(schema: dict[str, Any]) -> bool:
    """An enum, a const, a format (uuid, date, date-time), or an anchored pattern that admits
    neither any character (``.`` outside a class) nor a negated class or class escape."""
    if "enum" in schema or "const" in schema or "format" in schema:
        return True
    pattern = str(schema.get("pattern", ""))
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    in_class = escaped = False
    for index, char in enumerate(pattern):
        if escaped:
            if char in "SDW":  # \S and the like: any character of any script but a few
                return False
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            if pattern[index + 1 : index + 2] == "^":
                return False
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            return False
    return True


def open_strings(schema: dict[str, Any]) -> list[str]:
    """``Event.field`` of every string property in a topic's schema with no closed form."""
    found: list[str] = []

    def visit(node: Any, where: str) -> None:
        if not isinstance(node, dict) or "$ref" in node:
            return  # a reference is visited where it is defined, in $defs
        if node.get("type") == "string" and not _closed(node):
            found.append(where)
        for name, field in node.get("properties", {}).items():
            visit(field, f"{where}.{name}")
        for keyword in ("anyOf", "oneOf", "allOf"):
            for branch in node.get(keyword, []):
                visit(branch, where)
        visit(node.get("items"), f"{where}[]")
        visit(node.get("additionalProperties"), f"{where}.*")

    for name, definition in schema.get("$defs", {}).items():
        visit(definition, name)
    return sorted(set(found))


def unlisted_open_strings(topic: str, schema: dict[str, Any]) -> list[str]:
    return [
        f"{topic} {where}"
        for where in open_strings(schema)
        if f"{topic} {where}" not in OPEN_IN_V1
        and f"*.{where.rsplit('.', 1)[-1]}" not in OPEN_IN_V1
    ]


@pytest.mark.parametrize("topic", TOPICS)
def test_every_string_on_a_topic_is_a_code_an_id_or_a_date_from_a_closed_set(topic: str) -> None:
    assert unlisted_open_strings(topic, topic_schema(topic)) == []


def test_the_list_of_fields_left_open_in_v1_names_only_fields_that_are_still_open() -> None:
    still_open = {
        f"{topic} {where}" for topic in TOPICS for where in open_strings(topic_schema(topic))
    }
    assert {entry for entry in OPEN_IN_V1 if not entry.startswith("*.")} <= still_open


def test_a_free_text_field_on_a_topic_is_caught() -> None:
    new = intake()
    event(new, "ArrivalRegistered")["properties"]["crossing_point_code"]["anyOf"][0].pop("pattern")
    event(new, "ArrivalRegistered")["properties"]["notes"] = {"type": "string", "maxLength": 500}

    assert unlisted_open_strings(INTAKE_EVENTS, new) == [
        f"{INTAKE_EVENTS} ArrivalRegistered.crossing_point_code",
        f"{INTAKE_EVENTS} ArrivalRegistered.notes",
    ]


@pytest.mark.parametrize(
    "pattern", ["^.*$", "^[a-z].+$", "[a-z]+", "^[^<>]+$", "^\\S+$", "^[a-z]+"]
)
def test_a_pattern_that_admits_any_text_is_not_a_closed_form(pattern: str) -> None:
    assert not _closed({"type": "string", "pattern": pattern})


def test_a_crossing_point_is_published_as_a_code_of_the_managed_list() -> None:
    code = event(topic_schema(INTAKE_EVENTS), "ArrivalRegistered")["properties"][
        "crossing_point_code"
    ]
    assert {"type": "string", "pattern": CROSSING_POINT_CODE} in code["anyOf"]
