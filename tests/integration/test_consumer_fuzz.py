"""Hostile messages on a consumer's input topic, on the real broker: random bytes, truncated
JSON, fields of the wrong type, unknown event types, future schema versions, missing or
undecodable headers, oversized bodies. Each one lands on the consumer's dead-letter topic with
a reason that names the problem; the valid events before and after them are applied exactly
once; and the consumer's committed offsets reach the end of every partition (nothing stalls).

Hypothesis generates most of the messages, derandomized and bounded, so that CI runs the same
cases every time; a few cases no generator would find in a bounded run are written by hand.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar, get_args
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.message_checks import MAX_MESSAGE_BYTES, REQUIRED_HEADERS
from shared.schemas.registry import TOPIC_ADAPTERS, TOPIC_TYPES
from tests.conftest import RunningServices, eventually
from tests.factories import arrival, person
from tests.integration.helpers import (
    entitlements_of,
    open_shelter,
    partitions_of,
    placement_of,
    read_topic,
)

pytestmark = pytest.mark.integration

T = TypeVar("T")

#: generated messages per category: enough to reach the odd corners of each, few enough that
#: the consumer's dead-lettering (one acknowledged produce each) stays within a CI minute
EXAMPLES_PER_CATEGORY = 25
#: what our test producer and the fuzzed topic accept, so that an oversized message really
#: reaches the consumer (the broker's default, message.max.bytes, is about 1 MiB)
LARGE_TOPIC_BYTES = 4 * 1024 * 1024
FUZZ_CASE = "fuzz_case"  # a header naming each hostile message, copied to its dead letter


@dataclass(frozen=True)
class HostileMessage:
    category: str
    body: bytes | None
    headers: dict[str, bytes]
    #: a fragment the dead letter's dlq_reason must contain
    reason: str


@dataclass(frozen=True)
class ConsumerUnderFuzz:
    service: str
    topic: str  # logical name of the input topic we write to


CONSUMERS = [
    ConsumerUnderFuzz("housing", "intake.events.v2"),
    ConsumerUnderFuzz("aid", "housing.events.v2"),
]


def generated(strategy: st.SearchStrategy[T], examples: int = EXAMPLES_PER_CATEGORY) -> list[T]:
    """Draw up to ``examples`` values from ``strategy``, the same ones on every run.

    Hypothesis is the generator here, not the test runner: the assertions need every message
    on the broker first, since the consumer handles them asynchronously."""
    drawn: list[T] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(value: T) -> None:
        drawn.append(value)

    draw()
    return drawn


def event_types_of(topic: str) -> dict[str, int]:
    """The event types a topic carries and the schema version each is at."""
    union = get_args(TOPIC_TYPES[topic])[0]  # Annotated[Union[...], discriminator]
    return {
        model.__name__: int(model.model_fields["schema_version"].default)
        for model in get_args(union)
    }


def valid_headers(event_type: str) -> dict[str, bytes]:
    return {
        "ce_specversion": b"1.0",
        "ce_id": str(uuid4()).encode(),
        "ce_type": event_type.encode(),
        "ce_source": b"/tests/fuzz",
        "content-type": b"application/json",
    }


def is_valid_event(topic: str, body: bytes) -> bool:
    try:
        TOPIC_ADAPTERS[topic].validate_json(body)
    except ValidationError:
        return False
    return True


def leaf_paths(data: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path to a value in a JSON document (objects and arrays are walked into)."""
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in leaf_paths(value, (*prefix, key))]
    if isinstance(data, list) and data:
        return [p for index, value in enumerate(data) for p in leaf_paths(value, (*prefix, index))]
    return [prefix]


def replaced(data: Any, path: tuple[str | int, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(data))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=5,
    )


def hostile_messages(topic: str, template: bytes, template_type: str) -> list[HostileMessage]:
    """Every category of the issue, generated, plus the hand-written ones."""
    known = event_types_of(topic)
    document = json.loads(template)
    paths = [path for path in leaf_paths(document) if path != ("type",)]
    schema_mismatch = f"does not match the schema of {topic}"
    messages: list[HostileMessage] = []

    for body in generated(st.binary(max_size=4096)):
        # the rare random bytes that are JSON still match no event
        messages.append(
            HostileMessage("random bytes", body, valid_headers(template_type), schema_mismatch)
        )

    for cut in generated(st.integers(min_value=0, max_value=len(template) - 1)):
        messages.append(
            HostileMessage(
                "truncated JSON", template[:cut], valid_headers(template_type), "Invalid JSON"
            )
        )

    @st.composite
    def wrong_type(draw: st.DrawFn) -> tuple[str, bytes]:
        """A body with one value of another JSON type, and the path the reason must name."""
        path = draw(st.sampled_from(paths))
        original = _at(document, path)
        value = draw(json_values().filter(lambda v: type(v) is not type(original)))
        body = json.dumps(replaced(document, path, value)).encode()
        # an optional field given a value of its own type is not hostile: leave those out
        assume(not is_valid_event(topic, body))
        return "/".join(str(step) for step in path), body

    for where, body in generated(wrong_type()):
        messages.append(HostileMessage("wrong types", body, valid_headers(template_type), where))

    name_strategy = st.from_regex(r"\A[A-Z][A-Za-z]{0,40}\Z").filter(lambda n: n not in known)
    for name, version in generated(st.tuples(name_strategy, st.integers(1, 9))):
        body = json.dumps({**document, "type": name}).encode()
        messages.append(
            HostileMessage(
                "unknown event types",
                body,
                valid_headers(f"{name}.v{version}"),
                "unknown event type",
            )
        )

    future = st.tuples(st.sampled_from(sorted(known)), st.integers(max(known.values()) + 1, 10**9))
    for name, version in generated(future):
        # the body agrees with its header: a producer that really writes version N
        body = json.dumps({**document, "type": name, "schema_version": version}).encode()
        messages.append(
            HostileMessage(
                "future schema versions",
                body,
                valid_headers(f"{name}.v{version}"),
                "unsupported schema version",
            )
        )

    absent_or_empty = st.dictionaries(
        st.sampled_from(REQUIRED_HEADERS), st.sampled_from(["absent", "empty"]), min_size=1
    )
    for damage in generated(absent_or_empty):
        headers = valid_headers(template_type)
        for header, how in damage.items():
            if how == "absent":
                del headers[header]
            else:
                headers[header] = b""
        messages.append(
            HostileMessage(
                "missing or bad headers", template, headers, "missing CloudEvents header"
            )
        )

    messages.extend(handwritten(topic, template, template_type, known))
    return messages


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def handwritten(
    topic: str, template: bytes, template_type: str, known: dict[str, int]
) -> list[HostileMessage]:
    other_topic = next(t for t in TOPIC_TYPES if t != topic)
    foreign_type = next(name for name in event_types_of(other_topic) if name not in known)
    ok = valid_headers
    return [
        # a tombstone (null value), as log compaction or a careless producer writes it
        HostileMessage("random bytes", None, ok(template_type), "Invalid JSON"),
        HostileMessage("random bytes", b"\xff\xfe\x00garbage", ok(template_type), "Invalid JSON"),
        HostileMessage("wrong types", b"[]", ok(template_type), "does not match the schema"),
        HostileMessage(
            "wrong types", b'"ArrivalRegistered"', ok(template_type), "does not match the schema"
        ),
        # a type the system knows, on a topic that does not carry it
        HostileMessage(
            "unknown event types",
            json.dumps({**json.loads(template), "type": foreign_type}).encode(),
            ok(f"{foreign_type}.v2"),
            "unknown event type",
        ),
        # a header that names a version the body does not have
        HostileMessage(
            "future schema versions",
            template,
            ok(template_type.replace(".v2", ".v3")),
            "unsupported schema version",
        ),
        # more digits than int() converts: the version check must not crash on it
        HostileMessage(
            "future schema versions",
            template,
            ok(template_type.replace(".v2", ".v" + "9" * 5000)),
            "unsupported schema version",
        ),
        HostileMessage("missing or bad headers", template, {}, "missing CloudEvents header"),
        HostileMessage(
            "missing or bad headers",
            template,
            {**ok(template_type), "ce_id": b"42"},
            "bad envelope: ce_id",
        ),
        HostileMessage(
            "missing or bad headers",
            template,
            {**ok(template_type), "ce_specversion": b"2.0"},
            "bad envelope: ce_specversion",
        ),
        # bytes no UTF-8 decoder accepts, in a header the framework decodes before us
        HostileMessage(
            "missing or bad headers",
            template,
            {**ok(template_type), "ce_source": b"\xc3\x28"},
            "not UTF-8",
        ),
        HostileMessage("oversized", b"x" * (MAX_MESSAGE_BYTES + 1), ok(template_type), "exceeds"),
        # at the limit, so it is parsed (and fails); its dead letter would not fit the
        # dead-letter topic with the body and the added headers
        HostileMessage("oversized", b"[" * MAX_MESSAGE_BYTES, ok(template_type), "Invalid JSON"),
        # small body, a header of 1 MiB: the dead letter cannot carry the original headers
        HostileMessage(
            "oversized",
            b"{}",
            {**ok(template_type), "padding": b"p" * 1024 * 1024},
            "does not match the schema",
        ),
    ]


async def allow_large_messages(bootstrap: str, topic: str) -> None:
    """Raise the topic's limit, as an operator might, so that an oversized message is
    really delivered to the consumer instead of being refused by the broker."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.alter_configs(
            [
                ConfigResource(
                    ConfigResourceType.TOPIC,
                    topic,
                    configs={"max.message.bytes": str(LARGE_TOPIC_BYTES)},
                )
            ]
        )
    finally:
        await admin.close()


async def produce_all(bootstrap: str, topic: str, messages: list[HostileMessage]) -> None:
    """Spread the messages over every partition, so that the valid event after them follows
    hostile ones on whichever partition its key lands."""
    partitions = await partitions_of(bootstrap, topic)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", max_request_size=LARGE_TOPIC_BYTES
    )
    await producer.start()
    try:
        for index, message in enumerate(messages):
            headers = [*message.headers.items(), (FUZZ_CASE, str(index).encode())]
            await producer.send_and_wait(
                topic,
                message.body,
                key=uuid4().bytes,
                headers=headers,
                partition=partitions[index % len(partitions)],
            )
    finally:
        await producer.stop()


async def consumed_to_the_end(bootstrap: str, topic: str, group: str) -> bool:
    """Whether the group's committed offset is the end of every partition of the topic."""
    partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap, topic)]
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    await admin.start()
    try:
        ends = await reader.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        await admin.close()
        with contextlib.suppress(Exception):
            await reader.stop()
    return all(tp in committed and committed[tp].offset == ends[tp] for tp in partitions)


async def register(services: RunningServices, name: str) -> str:
    answer = await services.intake.post(
        "/v1/arrivals",
        json=arrival(person(given=name)),
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": f"fuzz-{uuid4()}"},
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["person_ids"][0])


async def applied(services: RunningServices, consumer: ConsumerUnderFuzz, person_id: str) -> None:
    if consumer.service == "housing":
        assert (await placement_of(services, person_id))["status"] == "held"
    else:
        await entitlements_of(services, person_id)


async def published(services: RunningServices, service: str) -> set[str]:
    async with services.pool(service).acquire() as conn:
        rows = await conn.fetch("SELECT event_id FROM events WHERE topic IS NOT NULL")
    return {str(row["event_id"]) for row in rows}


@pytest.mark.parametrize("consumer", CONSUMERS, ids=lambda c: f"{c.service}-on-{c.topic}")
async def test_every_hostile_message_is_dead_lettered_with_its_reason_and_the_consumer_goes_on(
    services: RunningServices, consumer: ConsumerUnderFuzz, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = services.apps[consumer.service].state.runtime
    bootstrap = runtime.settings.kafka_bootstrap_servers
    topic = f"{services.namespace}.{consumer.topic}"
    dead_letter_topic = runtime.consumer.dead_letter_topic
    await open_shelter(services, beds=10)
    before = await register(services, "Раньше")
    await applied(services, consumer, before)
    [template, *_] = await read_topic(bootstrap, topic)
    template_type = dict(template.headers)["ce_type"].decode()
    messages = hostile_messages(consumer.topic, template.value, template_type)

    await allow_large_messages(bootstrap, topic)
    await produce_all(bootstrap, topic, messages)
    after = await register(services, "Позже")
    await applied(services, consumer, after)

    async def all_dead_lettered() -> list[Any] | None:
        records = await read_topic(bootstrap, dead_letter_topic)
        return records if len(records) >= len(messages) else None

    dead = await eventually(all_dead_lettered, timeout=120, what="every hostile message")
    by_case = {int(dict(r.headers)[FUZZ_CASE]): r for r in dead if FUZZ_CASE in dict(r.headers)}
    assert len(dead) == len(by_case) == len(messages)  # each once, nothing else
    for index, message in enumerate(messages):
        record = by_case[index]
        headers = {name: value.decode() for name, value in record.headers}
        assert message.reason in headers["dlq_reason"], (message.category, headers["dlq_reason"])
        assert headers["dlq_original_topic"] == topic
        assert headers["dlq_consumer"] == consumer.service
        if "body" in headers.get("dlq_omitted", ""):  # too large to park whole
            assert len(message.body or b"") > MAX_MESSAGE_BYTES // 2, message.category
        else:
            assert record.value == (message.body or b""), message.category

    # the events before and after were applied exactly once, and no hostile message was
    sources = {"housing": ["intake"], "aid": ["intake", "housing"]}[consumer.service]
    expected: set[str] = set()
    for source in sources:
        expected |= await published(services, source)
    async with services.pool(consumer.service).acquire() as conn:
        inbox = [str(row["event_id"]) for row in await conn.fetch("SELECT event_id FROM inbox")]
    assert sorted(inbox) == sorted(expected)

    group = f"{services.namespace}.{consumer.service}"

    async def caught_up() -> bool:
        return await consumed_to_the_end(bootstrap, topic, group)

    await eventually(caught_up, what=f"{consumer.service} to commit past every message")
    assert runtime.consumer.dead_lettered == len(messages)

    counts = Counter(message.category for message in messages)
    with capsys.disabled():
        print(
            f"\nconsumer fuzz, {consumer.service} on {consumer.topic}: {len(messages)} hostile "
            f"messages: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items()))
        )
