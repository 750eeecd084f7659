"""Scale-out: two instances each of housing and aid share their consumer groups; one of each is
killed (SIGKILL) mid-stream and the survivor takes over its partitions.

What must hold afterwards: nothing lost, nothing doubled. Every person has exactly one placement
decision, each intake event is handled once by housing (its inbox), no place holds two people,
aid entitles each placed person once, the two outbox relays of a database never publish the same
event twice while both run, and the hold sweeps of two housing instances never expire a hold
twice.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from demo.processes import ServiceProcess
from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS, dead_letter_topic, physical
from tests.conftest import OPERATOR_KEY, eventually
from tests.e2e.conftest import free_port, partner_key
from tests.factories import arrival, group_of_friends, person
from tests.stack import REPO, Stack

pytestmark = pytest.mark.e2e

OPERATOR = {"X-API-Key": OPERATOR_KEY}
PARTITIONS = 6
SHELTER_BEDS = (12, 12, 10, 6)
BEDS = sum(SHELTER_BEDS)
BEFORE_KILL = 20  # arrivals while both instances share the partitions
AFTER_MOVE = 15  # arrivals once the survivors own every partition
#: arrivals posted while the dead members' partitions wait for the group to notice (the
#: session timeout is 10 s); bounded so that a group that never rebalances fails the test
MAX_DURING_MOVE = 80


def body_for(index: int) -> dict[str, object]:
    if index % 10 == 0:
        return group_of_friends(4, tag=str(index))
    if index % 3 == 0:
        return arrival(person(given=f"П{index}"), person(given=f"С{index}", relation="spouse"))
    return arrival(person(given=f"Один{index}"))


# --- processes -------------------------------------------------------------------------------


def service_process(
    name: str,
    instance: str,
    environment: dict[str, str],
    databases: dict[str, str],
    log_dir: Path,
) -> ServiceProcess:
    """One instance of a service: instances of a service share its database and its consumer
    group (the group is named after the service and the namespace), not their HTTP port."""
    port = free_port()
    env = {
        **os.environ,
        **environment,
        f"{name.upper()}_HTTP_PORT": str(port),
        f"{name.upper()}_DATABASE_URL": databases[name],
        f"{name.upper()}_DB_POOL_MAX": "4",  # five processes share one small Postgres
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    log_dir.mkdir(parents=True, exist_ok=True)
    return ServiceProcess(name, port, env, log_dir / f"{name}-{instance}.log")


def start_all(processes: list[ServiceProcess]) -> None:
    # started together, as a Deployment's replicas are: their migrations and topic creation race
    for process in processes:
        process.start()
    for process in processes:
        process.wait_ready()


def environment_for(stack: Stack, namespace: str, **extra: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "KAFKA_PARTITIONS": str(PARTITIONS),
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": "none",
        **extra,
    }


@dataclass
class Cluster:
    intake: ServiceProcess
    housing: list[ServiceProcess]
    aid: list[ServiceProcess]

    def all(self) -> list[ServiceProcess]:
        return [self.intake, *self.housing, *self.aid]


@pytest.fixture
def cluster(
    stack: Stack, databases: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[Cluster]:
    environment = environment_for(stack, namespace)
    logs = tmp_path / "logs"
    running = Cluster(
        intake=service_process("intake", "0", environment, databases, logs),
        housing=[service_process("housing", i, environment, databases, logs) for i in "ab"],
        aid=[service_process("aid", i, environment, databases, logs) for i in "ab"],
    )
    try:
        # intake first: it creates intake.events.v2 with PARTITIONS partitions
        start_all([running.intake])
        start_all([*running.housing, *running.aid])
        yield running
    finally:
        for process in running.all():
            process.stop()


# --- Kafka views -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    state: str
    #: member id -> the partitions it owns, as (topic, partition)
    members: dict[str, frozenset[tuple[str, int]]]

    def owned(self) -> frozenset[tuple[str, int]]:
        return frozenset().union(*self.members.values())


async def describe(admin: AIOKafkaAdminClient, group_id: str) -> Group:
    """The group as the coordinator sees it (what kafka-consumer-groups --describe shows)."""
    (response,) = await admin.describe_consumer_groups([group_id])
    (described,) = response.groups
    # DescribeGroups: error_code, group_id, state, protocol_type, protocol, members, ...
    error_code, _, state, _, _, members = described[:6]
    assert error_code == 0, f"describing {group_id} failed with error {error_code}"
    owned: dict[str, frozenset[tuple[str, int]]] = {}
    for member in members:
        member_id, assignment = member[0], member[-1]
        decoded = ConsumerProtocolMemberAssignment.decode(assignment) if assignment else None
        owned[member_id] = frozenset(
            (topic, partition)
            for topic, partitions in (decoded.assignment if decoded else [])
            for partition in partitions
        )
    return Group(state, owned)


def all_partitions(namespace: str, *topics: str) -> frozenset[tuple[str, int]]:
    return frozenset(
        (physical(topic, namespace), partition)
        for topic in topics
        for partition in range(PARTITIONS)
    )


async def settled(
    admin: AIOKafkaAdminClient, group_id: str, members: int, partitions: frozenset[tuple[str, int]]
) -> Group | None:
    """The group, once it is stable with this many members, each owning some partitions,
    together owning exactly these partitions; else None."""
    group = await describe(admin, group_id)
    if (
        group.state == "Stable"
        and len(group.members) == members
        and all(group.members.values())
        and group.owned() == partitions
        and sum(len(owned) for owned in group.members.values()) == len(partitions)
    ):
        return group
    return None


async def read_topic(bootstrap: str, topic: str) -> list[str]:
    """Every message's ce_id on a topic, duplicates included, from the start to the end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        # every topic of the test has PARTITIONS partitions (the services create them so)
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        ids: list[str] = []
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    headers = dict(record.headers)
                    ids.append(headers["ce_id"].decode())
        return ids
    finally:
        await consumer.stop()


async def group_behind(bootstrap: str, group_id: str, topics: list[str]) -> int:
    """Messages past the group's committed offsets on these topics (0: it has caught up)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group_id, partitions=partitions)
        return sum(ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in partitions)
    finally:
        await consumer.stop()
        await admin.close()


async def published_ids(database_url: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT event_id FROM events WHERE topic IS NOT NULL")
        return [str(row["event_id"]) for row in rows]
    finally:
        await conn.close()


async def count(database_url: str, query: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(query))
    finally:
        await conn.close()


# --- the failover ----------------------------------------------------------------------------


async def test_killing_one_of_two_instances_moves_its_partitions_and_loses_or_doubles_nothing(
    cluster: Cluster, stack: Stack, databases: dict[str, str], namespace: str
) -> None:
    started = time.monotonic()
    bootstrap = stack.kafka_bootstrap_servers
    intake = cluster.intake
    key = partner_key(intake)
    housing_group, aid_group = physical("housing", namespace), physical("aid", namespace)
    housing_inputs = all_partitions(namespace, INTAKE_EVENTS)
    aid_inputs = all_partitions(namespace, INTAKE_EVENTS, HOUSING_EVENTS)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    people: list[str] = []
    try:
        # both instances of each service share its group's partitions
        before_housing = await eventually(
            lambda: settled(admin, housing_group, 2, housing_inputs),
            timeout=60,
            what="two housing members sharing intake's partitions",
        )
        before_aid = await eventually(
            lambda: settled(admin, aid_group, 2, aid_inputs),
            timeout=60,
            what="two aid members sharing intake's and housing's partitions",
        )

        async with httpx.AsyncClient(timeout=30) as client:
            for number, beds in enumerate(SHELTER_BEDS):
                # alternate the instances: either one serves the API
                housing = cluster.housing[number % 2]
                opened = await client.post(
                    f"{housing.url}/v1/shelters",
                    json={"name": f"Shelter {number}", "kind": "gym", "district": "Oral",
                          "beds": beds},
                    headers={**OPERATOR, "Idempotency-Key": f"shelter-{number}"},
                )  # fmt: skip
                assert opened.status_code == 201, opened.text

            async def post(index: int) -> None:
                answer = await client.post(
                    f"{intake.url}/v1/arrivals",
                    json=body_for(index),
                    headers={"X-API-Key": key, "Idempotency-Key": f"arrival-{index}"},
                )
                assert answer.status_code == 201, answer.text
                people.extend(answer.json()["person_ids"])

            index = 0
            for index in range(BEFORE_KILL):
                await post(index)

            # while both relays run, neither publishes what the other did (the advisory lock):
            # wait until phase one is on the topics, then every event is there exactly once
            async def phase_one_relayed() -> bool:
                for service in ("housing", "aid"):
                    topic = physical(f"{service}.events.v2", namespace)
                    on_topic = await read_topic(bootstrap, topic)
                    in_db = await published_ids(databases[service])
                    if not in_db or set(on_topic) != set(in_db):
                        return False
                # aid has consumed everything housing published so far
                return await group_behind(
                    bootstrap, aid_group,
                    [physical(INTAKE_EVENTS, namespace), physical(HOUSING_EVENTS, namespace)],
                ) == 0  # fmt: skip

            await eventually(phase_one_relayed, timeout=60, what="phase one on the topics")
            duplicates_before_kill = {
                service: sum(
                    n - 1
                    for n in Counter(
                        await read_topic(bootstrap, physical(f"{service}.events.v2", namespace))
                    ).values()
                )
                for service in ("housing", "aid")
            }
            assert duplicates_before_kill == {"housing": 0, "aid": 0}

            # a crash, mid-stream: no clean leave of the group, no relay shutdown
            cluster.housing[1].kill()
            cluster.aid[1].kill()
            killed_at = time.monotonic()

            # arrivals keep coming while the dead members' partitions wait to move
            after_housing = after_aid = None
            while after_housing is None or after_aid is None:
                index += 1
                assert index < BEFORE_KILL + MAX_DURING_MOVE, "the partitions never moved"
                await post(index)
                await asyncio.sleep(0.2)
                after_housing = after_housing or await settled(
                    admin, housing_group, 1, housing_inputs
                )
                after_aid = after_aid or await settled(admin, aid_group, 1, aid_inputs)
            moved_after = time.monotonic() - killed_at
            posted_during_move = index - BEFORE_KILL + 1

            for later in range(index + 1, index + 1 + AFTER_MOVE):
                await post(later)
        arrivals = index + 1 + AFTER_MOVE
    finally:
        await admin.close()

    # the survivors are members from before, now owning every partition (they moved)
    (survivor_housing,) = after_housing.members
    (survivor_aid,) = after_aid.members
    assert survivor_housing in before_housing.members
    assert survivor_aid in before_aid.members
    assert before_housing.members[survivor_housing] < after_housing.members[survivor_housing]
    assert before_aid.members[survivor_aid] < after_aid.members[survivor_aid]

    intake_published = await count(
        databases["intake"], "SELECT count(*) FROM events WHERE topic IS NOT NULL"
    )
    housing_db = await asyncpg.connect(databases["housing"])
    aid_db = await asyncpg.connect(databases["aid"])
    try:

        async def housing_caught_up() -> bool:
            inbox = int(await housing_db.fetchval("SELECT count(*) FROM inbox"))
            return inbox >= intake_published

        await eventually(housing_caught_up, timeout=60, what="housing to consume every event")
        decisions = await housing_db.fetch(
            "SELECT data::text AS data FROM events "
            "WHERE event_type IN ('BedAssigned', 'PersonWaitlisted')"
        )
        per_person = Counter(json.loads(row["data"])["person_id"] for row in decisions)
        placed = {
            str(row["person_id"])
            for row in await housing_db.fetch(
                "SELECT person_id FROM placements WHERE status IN ('held', 'checked_in')"
            )
        }
        beds_taken = await housing_db.fetch(
            "SELECT unit_id, bed_number, count(*) AS n FROM placements "
            "WHERE status IN ('held', 'checked_in') GROUP BY 1, 2"
        )
        occupied = await housing_db.fetchval("SELECT sum(held + occupied) FROM units")
        housing_inbox = await housing_db.fetchval("SELECT count(*) FROM inbox")
        housing_published = await housing_db.fetchval(
            "SELECT count(*) FROM events WHERE topic IS NOT NULL"
        )

        async def aid_caught_up() -> bool:
            inbox = int(await aid_db.fetchval("SELECT count(*) FROM inbox"))
            return inbox >= intake_published + int(housing_published)

        await eventually(aid_caught_up, timeout=60, what="aid to consume every event")
        granted = Counter(
            json.loads(row["data"])["person_id"]
            for row in await aid_db.fetch(
                "SELECT data::text AS data FROM events WHERE event_type = 'EntitlementGranted'"
            )
        )
        aid_inbox = await aid_db.fetchval("SELECT count(*) FROM inbox")
    finally:
        await housing_db.close()
        await aid_db.close()

    # nothing waits behind a committed offset, and nothing was parked as a dead letter
    intake_topic = physical(INTAKE_EVENTS, namespace)
    housing_topic = physical(HOUSING_EVENTS, namespace)
    assert await group_behind(bootstrap, housing_group, [intake_topic]) == 0
    assert await group_behind(bootstrap, aid_group, [intake_topic, housing_topic]) == 0
    for service in ("housing", "aid"):
        dead = await read_topic(bootstrap, physical(dead_letter_topic(service), namespace))
        assert dead == [], f"{service} dead-lettered {len(dead)} message(s)"

    # the relays lost nothing; a republish after the kill (at-least-once) is allowed, and the
    # consumers' inboxes absorb it
    republished = {}
    for service in ("housing", "aid"):
        on_topic = Counter(await read_topic(bootstrap, physical(f"{service}.events.v2", namespace)))
        assert set(on_topic) == set(await published_ids(databases[service]))
        republished[service] = sum(n - 1 for n in on_topic.values())

    assert set(per_person) == set(people), "someone has no placement decision"
    assert max(per_person.values()) == 1, "someone was placed or waitlisted twice"
    assert len(placed) == occupied == BEDS  # more people than beds: every bed taken, none twice
    assert all(row["n"] == 1 for row in beds_taken)
    assert housing_inbox == intake_published  # each intake event handled once
    assert aid_inbox == intake_published + housing_published
    assert set(granted) == placed, "aid's entitlements differ from housing's placements"
    assert max(granted.values()) == 1, "someone was entitled twice"

    print(
        f"\nfailover: {arrivals} arrivals ({len(people)} people; {posted_during_move} posted "
        f"while the partitions moved), {PARTITIONS} partitions per topic; "
        f"housing members {[len(p) for p in before_housing.members.values()]} -> "
        f"{[len(p) for p in after_housing.members.values()]}, "
        f"aid members {[len(p) for p in before_aid.members.values()]} -> "
        f"{[len(p) for p in after_aid.members.values()]} partitions; moved {moved_after:.1f} s "
        f"after the kill; lost 0, decided twice 0, republished after the kill {republished}; "
        f"{time.monotonic() - started:.0f} s"
    )


# --- the periodic jobs -----------------------------------------------------------------------


@pytest.fixture
def sweeping_cluster(
    stack: Stack, databases: dict[str, str], namespace: str, tmp_path: Path
) -> Iterator[Cluster]:
    """Intake and two housing instances whose hold sweeps run every 0.2 s, and arrival holds
    that last 9 s: the two sweeps race for every expired hold."""
    environment = environment_for(
        stack,
        namespace,
        HOUSING_ARRIVAL_HOLD_HOURS=str(9 / 3600),
        HOUSING_HOLD_CHECK_SECONDS="0.2",
    )
    logs = tmp_path / "logs"
    running = Cluster(
        intake=service_process("intake", "0", environment, databases, logs),
        housing=[service_process("housing", i, environment, databases, logs) for i in "ab"],
        aid=[],
    )
    try:
        start_all([running.intake])
        start_all(running.housing)
        yield running
    finally:
        for process in running.all():
            process.stop()


SWEPT_BEDS = 6


async def test_two_hold_sweeps_racing_expire_each_hold_once(
    sweeping_cluster: Cluster, databases: dict[str, str]
) -> None:
    cluster = sweeping_cluster
    key = partner_key(cluster.intake)
    async with httpx.AsyncClient(timeout=30) as client:
        opened = await client.post(
            f"{cluster.housing[0].url}/v1/shelters",
            json={"name": "Gym", "kind": "gym", "district": "Oral", "beds": SWEPT_BEDS},
            headers={**OPERATOR, "Idempotency-Key": "gym"},
        )
        assert opened.status_code == 201, opened.text
        # twice as many single arrivals as places: half held (9 s), half waiting
        for index in range(2 * SWEPT_BEDS):
            answer = await client.post(
                f"{cluster.intake.url}/v1/arrivals",
                json=arrival(person(given=f"Один{index}")),
                headers={"X-API-Key": key, "Idempotency-Key": f"arrival-{index}"},
            )
            assert answer.status_code == 201, answer.text

    housing_db = await asyncpg.connect(databases["housing"])
    try:

        async def passed_on() -> bool:
            # every no-show's place went to someone waiting (held for 6 h: no second round)
            assigned = await housing_db.fetchval(
                "SELECT count(*) FROM events WHERE event_type = 'BedAssigned'"
            )
            return int(assigned) >= 2 * SWEPT_BEDS

        await eventually(passed_on, timeout=60, what="expired holds to pass to the waitlist")
        await asyncio.sleep(1.0)  # a few more rounds of both sweeps, which must find nothing
        events = await housing_db.fetch(
            "SELECT event_type, data::text AS data FROM events "
            "WHERE event_type IN ('BedAssigned', 'HoldExpired', 'BedReleased', "
            "'PersonCheckedOut') ORDER BY stream_id, version"
        )
    finally:
        await housing_db.close()

    # replay each place: an assignment needs it free, a freeing needs it held by that person
    holder: dict[tuple[str, int], str | None] = {}
    expired: Counter[str] = Counter()
    assigned: Counter[str] = Counter()
    for row in events:
        data = json.loads(row["data"])
        place = (data["unit_id"], data["bed_number"])
        if row["event_type"] == "BedAssigned":
            assert holder.get(place) is None, f"place {place} assigned while taken"
            holder[place] = data["person_id"]
            assigned[data["person_id"]] += 1
        else:
            assert holder.get(place) == data["person_id"], f"place {place} freed twice"
            holder[place] = None
            if row["event_type"] == "HoldExpired":
                expired[data["person_id"]] += 1
    assert len(expired) == SWEPT_BEDS and set(expired.values()) == {1}
    assert len(assigned) == 2 * SWEPT_BEDS and set(assigned.values()) == {1}
    assert sum(person_id is not None for person_id in holder.values()) == SWEPT_BEDS
