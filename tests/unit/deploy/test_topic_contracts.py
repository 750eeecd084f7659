"""The committed JSON Schemas are the contracts of the topics (contracts/, docs/subscribers.md).

A schema change without `make contracts` fails here; so does a change that would break a
consumer of the committed contract; and the compatibility checker is shown to catch each kind
of breaking change, and to let additive ones through. Every string a topic carries is a code,
an id or a date from a closed set. The retired v1 topics' contracts stay committed, frozen.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from contracts.compat import breaking_changes
from contracts.generate import committed_schema, contract_path, main, render, topic_schema
from shared.schemas.intake import CROSSING_POINT_CODE, PersonErased
from shared.schemas.registry import TOPIC_ADAPTERS
from shared.topics import AID_EVENTS, HOUSING_EVENTS, INTAKE_EVENTS, RETIRED_TOPICS

TOPICS = sorted(TOPIC_ADAPTERS)


def committed(topic: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(contract_path(topic).read_text(encoding="utf-8"))
    return loaded


def intake() -> dict[str, Any]:
    """A copy of the committed contract of intake.events.v2, to mutate."""
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
    event(new, "ArrivalRegistered")["properties"]["members"]["maxItems"] = 20
    assert breaking_changes(intake(), new) == [
        "ArrivalRegistered.members: maxItems changed from 50 to 20"
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
    event(new, "PersonDeparted")["properties"]["schema_version"]["const"] = 3
    assert "PersonDeparted.schema_version: const changed from 2 to 3" in breaking_changes(
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


# (e) only codes, ids, numbers and dates from closed sets on a topic: a string field with no
# closed form could carry anything a person typed, and so a name. There is no list of fields
# left open: the v1 topics had some, and were replaced by v2 (docs/subscribers.md, Changelog).


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


@pytest.mark.parametrize("topic", TOPICS)
def test_every_string_on_a_topic_is_a_code_an_id_or_a_date_from_a_closed_set(topic: str) -> None:
    assert open_strings(topic_schema(topic)) == []


def test_a_free_text_field_on_a_topic_is_caught() -> None:
    new = intake()
    event(new, "ArrivalRegistered")["properties"]["crossing_point"].pop("pattern")
    event(new, "ArrivalRegistered")["properties"]["notes"] = {"type": "string", "maxLength": 500}
    event(new, "ArrivingMember")["properties"]["languages"]["items"].pop("pattern")

    assert open_strings(new) == [
        "ArrivalRegistered.crossing_point",
        "ArrivalRegistered.notes",
        "ArrivingMember.languages[]",
    ]


@pytest.mark.parametrize(
    "pattern", ["^.*$", "^[a-z].+$", "[a-z]+", "^[^<>]+$", "^\\S+$", "^[a-z]+"]
)
def test_a_pattern_that_admits_any_text_is_not_a_closed_form(pattern: str) -> None:
    assert not _closed({"type": "string", "pattern": pattern})


def test_a_crossing_point_is_published_as_a_code_of_the_managed_list() -> None:
    field = event(topic_schema(INTAKE_EVENTS), "ArrivalRegistered")["properties"]["crossing_point"]
    assert (field["type"], field["pattern"]) == ("string", CROSSING_POINT_CODE)


# (f) the v1 topics are retired, their contracts kept as they were


@pytest.mark.parametrize("retired", RETIRED_TOPICS)
def test_a_retired_topic_keeps_its_contract_and_is_no_longer_published(retired: str) -> None:
    assert contract_path(retired).is_file()
    assert retired not in TOPIC_ADAPTERS
    successor = retired.removesuffix(".v1") + ".v2"
    assert successor in TOPIC_ADAPTERS
    # v2 exists because no v1 reader could take it: a field's values were closed (or dropped)
    old, new = committed_schema(retired), committed_schema(successor)
    assert old is not None and new is not None
    assert breaking_changes(old, new) != []
    assert open_strings(old) != [] and open_strings(new) == []


@pytest.mark.parametrize(
    "actor",
    ["operator", "service:intake", "service:housing", "service:aid", "partner:wp-test",
     f"partner:wp-test/device:{uuid4()}", "site:mosque-central"],
)  # fmt: skip
def test_every_form_of_actor_the_services_write_is_accepted(actor: str) -> None:
    assert PersonErased(actor=actor, occurred_at=datetime.now(UTC), person_id=uuid4())


@pytest.mark.parametrize(
    "actor", ["Operator", "partner:Welcome Point", "partner:wp/device:phone of Aigerim", "someone"]
)
def test_an_actor_of_any_other_form_is_refused(actor: str) -> None:
    with pytest.raises(ValidationError, match="actor"):
        PersonErased(actor=actor, occurred_at=datetime.now(UTC), person_id=uuid4())
