"""Does a new JSON Schema of a topic break a consumer of the old one?

The schemas are those pydantic emits for a topic's discriminated union: a ``oneOf`` of
``$ref``s into ``$defs`` with a ``discriminator`` mapping each event type to its definition.

A topic's messages are kept and replayed from the beginning, so a change must hold both ways:
an old reader must understand every new message, and a new reader must understand every old
message. The only tolerance is the tolerant reader's: a reader ignores a field or an event
type it does not know. Hence (docs/subscribers.md, "How a topic evolves"):

breaking
    an event type removed; a field removed; a new required field on an existing event; an
    optional field made required; any change to the values a known field accepts (its type,
    format, pattern, length or range bounds, enum values added *or* removed, its const, its
    default, nullability, items);
additive
    a new optional field (with a default) on an event or a nested object; a new event type;
    a description or title changed.

With ``strict_readers=True`` the tolerance is withdrawn too (readers whose models forbid
unknown fields and whose union rejects unknown types): then a new field or a new event type
is breaking as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["breaking_changes"]

Schema = Mapping[str, Any]

#: keywords that document and never change what a message may hold
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "$comment", "deprecated", "readOnly", "writeOnly"}
)
#: keywords holding sub-schemas, compared structurally rather than as values
_STRUCTURAL = frozenset(
    {"properties", "required", "items", "prefixItems", "anyOf", "oneOf", "allOf"}
    | {"discriminator", "enum", "$ref", "$defs", "additionalProperties"}
)


def breaking_changes(
    old_schema: Schema, new_schema: Schema, *, strict_readers: bool = False
) -> list[str]:
    """The changes from ``old_schema`` to ``new_schema`` that would break a consumer.

    Each is one line naming where (``EventType.field.nested``) and what. Empty: compatible.
    """
    return _Comparison(old_schema, new_schema, strict_readers).run()


class _Comparison:
    def __init__(self, old_root: Schema, new_root: Schema, strict_readers: bool) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.strict = strict_readers
        self.problems: list[str] = []

    def run(self) -> list[str]:
        old_events = _event_types(self.old_root)
        new_events = _event_types(self.new_root)
        if old_events is None or new_events is None:
            self.compare(self.old_root, self.new_root, "(message)", frozenset())
            return self.problems
        for name, old_ref in old_events.items():
            if name not in new_events:
                self.problems.append(f"{name}: event type removed")
                continue
            self.compare({"$ref": old_ref}, {"$ref": new_events[name]}, name, frozenset())
        if self.strict:
            for name in sorted(new_events.keys() - old_events.keys()):
                self.problems.append(f"{name}: new event type (strict readers reject it)")
        return self.problems

    def compare(
        self, old: Schema, new: Schema, where: str, seen: frozenset[tuple[str, str]]
    ) -> None:
        old_ref, new_ref = old.get("$ref"), new.get("$ref")
        if old_ref is not None or new_ref is not None:
            pair = (str(old_ref), str(new_ref))
            if pair in seen:  # a recursive definition: already being compared on this path
                return
            seen = seen | {pair}
            old = _resolve(self.old_root, old)
            new = _resolve(self.new_root, new)
        self._compare_values(old, new, where)
        self._compare_object(old, new, where, seen)
        self._compare_items(old, new, where, seen)
        self._compare_unions(old, new, where, seen)

    def _compare_values(self, old: Schema, new: Schema, where: str) -> None:
        """The keywords that restrict a value: any change alters the set of valid messages."""
        keys = (old.keys() | new.keys()) - _ANNOTATIONS - _STRUCTURAL
        for key in sorted(keys):
            if old.get(key, _MISSING) != new.get(key, _MISSING):
                self.problems.append(
                    f"{where}: {key} changed from {_show(old, key)} to {_show(new, key)}"
                )
        if "enum" in old or "enum" in new:
            if "enum" not in old or "enum" not in new:
                self.problems.append(
                    f"{where}: enum changed from {_show(old, 'enum')} to {_show(new, 'enum')}"
                )
            else:
                removed = [value for value in old["enum"] if value not in new["enum"]]
                added = [value for value in new["enum"] if value not in old["enum"]]
                if removed:
                    self.problems.append(f"{where}: enum value(s) removed: {_json(removed)}")
                if added:
                    self.problems.append(
                        f"{where}: enum value(s) added (a reader that does not know them "
                        f"rejects the message): {_json(added)}"
                    )
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.compare(old_extra, new_extra, f"{where}.*", frozenset())
        elif old_extra != new_extra:
            self.problems.append(
                f"{where}: additionalProperties changed from {_show(old, 'additionalProperties')}"
                f" to {_show(new, 'additionalProperties')}"
            )

    def _compare_object(
        self, old: Schema, new: Schema, where: str, seen: frozenset[tuple[str, str]]
    ) -> None:
        old_fields: Mapping[str, Schema] = old.get("properties", {})
        new_fields: Mapping[str, Schema] = new.get("properties", {})
        old_required = set(old.get("required", ()))
        new_required = set(new.get("required", ()))
        for name, old_field in old_fields.items():
            if name not in new_fields:
                self.problems.append(f"{where}.{name}: field removed")
                continue
            if name in new_required and name not in old_required:
                self.problems.append(f"{where}.{name}: optional field made required")
            self.compare(old_field, new_fields[name], f"{where}.{name}", seen)
        for name in sorted(new_fields.keys() - old_fields.keys()):
            if name in new_required:
                self.problems.append(f"{where}.{name}: new required field")
            elif self.strict:
                self.problems.append(f"{where}.{name}: new field (strict readers reject it)")

    def _compare_items(
        self, old: Schema, new: Schema, where: str, seen: frozenset[tuple[str, str]]
    ) -> None:
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{where}[]", seen)
        elif old.get("items") != new.get("items"):
            self.problems.append(
                f"{where}: items changed from {_show(old, 'items')} to {_show(new, 'items')}"
            )
        old_tuple, new_tuple = old.get("prefixItems", []), new.get("prefixItems", [])
        if len(old_tuple) != len(new_tuple):
            self.problems.append(
                f"{where}: tuple length changed from {len(old_tuple)} to {len(new_tuple)}"
            )
        for index, (old_item, new_item) in enumerate(zip(old_tuple, new_tuple, strict=False)):
            self.compare(old_item, new_item, f"{where}[{index}]", seen)

    def _compare_unions(
        self, old: Schema, new: Schema, where: str, seen: frozenset[tuple[str, str]]
    ) -> None:
        for keyword in ("anyOf", "oneOf", "allOf"):
            old_branches: list[Schema] = old.get(keyword, [])
            new_branches: list[Schema] = new.get(keyword, [])
            old_mapping = _mapping(old) if keyword == "oneOf" else None
            new_mapping = _mapping(new) if keyword == "oneOf" else None
            if old_mapping is not None and new_mapping is not None:  # a nested tagged union
                for tag, ref in old_mapping.items():
                    if tag not in new_mapping:
                        self.problems.append(f"{where}: union member {tag!r} removed")
                    else:
                        self.compare({"$ref": ref}, {"$ref": new_mapping[tag]}, where, seen)
                continue
            if len(old_branches) != len(new_branches):
                self.problems.append(
                    f"{where}: {keyword} changed from {len(old_branches)} to "
                    f"{len(new_branches)} alternative(s): {_json(old_branches)} -> "
                    f"{_json(new_branches)}"
                )
                continue
            # pydantic emits the alternatives of a union in declaration order
            for index, (old_branch, new_branch) in enumerate(
                zip(old_branches, new_branches, strict=True)
            ):
                branch = where if len(old_branches) == 1 else f"{where}<{keyword}[{index}]>"
                self.compare(old_branch, new_branch, branch, seen)


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _event_types(root: Schema) -> dict[str, str] | None:
    """Event type -> ``$ref`` of its definition, for a topic's tagged union at the top."""
    mapping = _mapping(root)
    if mapping is not None:
        return mapping
    branches = root.get("oneOf")
    if isinstance(branches, list) and all("$ref" in branch for branch in branches):
        return {str(branch["$ref"]).rsplit("/", 1)[-1]: str(branch["$ref"]) for branch in branches}
    return None


def _mapping(schema: Schema) -> dict[str, str] | None:
    discriminator = schema.get("discriminator")
    if isinstance(discriminator, dict) and isinstance(discriminator.get("mapping"), dict):
        return {str(tag): str(ref) for tag, ref in discriminator["mapping"].items()}
    return None


def _resolve(root: Schema, schema: Schema) -> Schema:
    """Follow ``$ref`` (local ``#/...`` pointers only), merging sibling keywords over it."""
    while "$ref" in schema:
        ref = str(schema["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**target, **siblings}
    return schema


def _show(schema: Schema, key: str) -> str:
    return _json(schema[key]) if key in schema else "(absent)"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
