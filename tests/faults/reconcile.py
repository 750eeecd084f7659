"""Reconciliation: after a run, is every accepted request reflected exactly once everywhere it
should be, and was every event handled exactly once by each subscriber?

It reads the three services' databases (and, when given the broker, their dead-letter topics)
and compares them with what the partners were told (an ``AcceptedLog``). Anything missing is
*lost*, anything there twice is *doubled*, a broken invariant (a bed holding two people, a
departed person holding a bed) is *broken*. Reusable by a benchmark: build an ``AcceptedLog``,
call ``wait_until_settled`` then ``reconcile``, print ``summary()``.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.topics import HOUSING_EVENTS, INTAKE_EVENTS, dead_letter_topic, physical

#: (producer, topic, subscriber): every event published there must be handled once by each
SUBSCRIPTIONS = (
    ("intake", INTAKE_EVENTS, "housing"),
    ("intake", INTAKE_EVENTS, "aid"),
    ("housing", HOUSING_EVENTS, "aid"),
)


@dataclass(frozen=True)
class AcceptedArrival:
    key: str
    arrival_id: str
    person_ids: tuple[str, ...]


@dataclass(frozen=True)
class AcceptedDeparture:
    key: str
    person_id: str


@dataclass(frozen=True)
class AcceptedDistribution:
    key: str
    issue_id: str
    person_id: str
    item: str
    site_id: str
    quantity: int


@dataclass(frozen=True)
class Refusal:
    """A definitive 4xx: what the partner was told, and whether it was clear enough to act on."""

    kind: str
    key: str
    status: int
    title: str
    detail: str
    clear: bool


@dataclass
class AcceptedLog:
    """What the partners were told: every 2xx with its ids, every definitive refusal, and the
    requests that never got a definitive answer (there must be none)."""

    arrivals: list[AcceptedArrival] = field(default_factory=list)
    departures: list[AcceptedDeparture] = field(default_factory=list)
    distributions: list[AcceptedDistribution] = field(default_factory=list)
    donations: dict[tuple[str, str], int] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    #: attempts repeated after a connection error, a timeout or a 5xx
    retries: int = 0

    @property
    def accepted(self) -> int:
        return len(self.arrivals) + len(self.departures) + len(self.distributions)

    @property
    def people(self) -> list[str]:
        return [person for arrival in self.arrivals for person in arrival.person_ids]


@dataclass(frozen=True)
class Finding:
    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.subject} ({self.detail})"


@dataclass
class Reconciliation:
    """Counts of what was checked, and every item found lost, doubled or broken."""

    checked: Counter[str] = field(default_factory=Counter)
    lost: list[Finding] = field(default_factory=list)
    doubled: list[Finding] = field(default_factory=list)
    broken: list[Finding] = field(default_factory=list)
    #: events redelivered and skipped by an inbox (proof that redelivery happened)
    redelivered_skips: int = 0

    def summary(self, limit: int = 10) -> str:
        lines = [f"  checked          {dict(sorted(self.checked.items()))}"]
        for name, found in (("lost", self.lost), ("doubled", self.doubled),
                            ("broken", self.broken)):  # fmt: skip
            by_check = dict(Counter(finding.check for finding in found))
            lines.append(f"  {name:<16} {len(found)} {by_check if found else ''}")
            lines.extend(f"    - {finding}" for finding in found[:limit])
        return "\n".join(lines)


# --------------------------------------------------------------------------- waiting


async def _published_ids(conn: asyncpg.Connection, topic: str) -> set[Any]:
    rows = await conn.fetch("SELECT event_id FROM events WHERE topic = $1", topic)
    return {row["event_id"] for row in rows}


async def _inbox_ids(conn: asyncpg.Connection, topic: str) -> set[Any]:
    rows = await conn.fetch("SELECT event_id FROM inbox WHERE topic = $1", topic)
    return {row["event_id"] for row in rows}


async def wait_until_settled(database_urls: dict[str, str], timeout: float = 120.0) -> float:
    """Wait until every subscriber's inbox holds every event its producers published and no
    database grows any more (two quiet polls in a row); returns the seconds waited. Raises
    TimeoutError with what is still missing."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    connections = {name: await asyncpg.connect(url) for name, url in database_urls.items()}
    try:
        quiet, last_sizes, missing = 0, None, ""
        while loop.time() - started < timeout:
            gaps = []
            for producer, topic, subscriber in SUBSCRIPTIONS:
                published = await _published_ids(connections[producer], topic)
                handled = await _inbox_ids(connections[subscriber], topic)
                if published - handled:
                    gaps.append(f"{subscriber} lacks {len(published - handled)} of {topic}")
            sizes = [
                await conn.fetchval("SELECT count(*) FROM events") for conn in connections.values()
            ]
            quiet = quiet + 1 if not gaps and sizes == last_sizes else 0
            if quiet >= 2:
                return loop.time() - started
            last_sizes, missing = sizes, "; ".join(gaps) or "events still being appended"
            await asyncio.sleep(1.0)
        raise TimeoutError(f"not settled after {timeout:.0f}s: {missing}")
    finally:
        for conn in connections.values():
            await conn.close()


# --------------------------------------------------------------------------- reconciling


@dataclass(frozen=True)
class _Event:
    position: int
    transaction: str
    event_id: Any
    type: str
    data: dict[str, Any]
    causation: str | None


async def _events(conn: asyncpg.Connection, types: Iterable[str] | None = None) -> list[_Event]:
    rows = await conn.fetch(
        """
        SELECT global_position, transaction_id::text AS txn, event_id, event_type,
               data::text AS data, metadata->>'causation_id' AS causation
        FROM events WHERE $1::text[] IS NULL OR event_type = ANY($1) ORDER BY global_position
        """,
        list(types) if types is not None else None,
    )
    return [
        _Event(row["global_position"], row["txn"], row["event_id"], row["event_type"],
               json.loads(row["data"]), row["causation"])
        for row in rows
    ]  # fmt: skip


async def reconcile(
    database_urls: dict[str, str],
    accepted: AcceptedLog,
    *,
    bootstrap_servers: str | None = None,
    namespace: str = "",
) -> Reconciliation:
    """Compare the three services' state with what the partners were told. Call it once the
    services have settled (``wait_until_settled``)."""
    result = Reconciliation()
    connections = {name: await asyncpg.connect(url) for name, url in database_urls.items()}
    try:
        await _check_intake(connections["intake"], accepted, result)
        await _check_subscriptions(connections, result)
        await _check_housing(connections["housing"], accepted, result)
        await _check_aid(connections["aid"], connections["housing"], accepted, result)
        if bootstrap_servers is not None:
            await _check_dead_letters(connections, bootstrap_servers, namespace, result)
    finally:
        for conn in connections.values():
            await conn.close()
    return result


async def _check_intake(
    conn: asyncpg.Connection, accepted: AcceptedLog, result: Reconciliation
) -> None:
    registered = Counter(
        event.data["arrival_id"] for event in await _events(conn, ["ArrivalRegistered"])
    )
    members = {
        str(row["person_id"]): str(row["arrival_id"])
        for row in await conn.fetch("SELECT person_id, arrival_id FROM case_members")
    }
    cases = {str(row["arrival_id"]) for row in await conn.fetch("SELECT arrival_id FROM cases")}
    answered = {arrival.arrival_id for arrival in accepted.arrivals}
    for arrival in accepted.arrivals:
        result.checked["intake arrivals"] += 1
        if registered[arrival.arrival_id] == 0 or arrival.arrival_id not in cases:
            result.lost.append(Finding("intake arrival", arrival.key, "accepted, not recorded"))
        elif registered[arrival.arrival_id] > 1:
            result.doubled.append(Finding("intake arrival", arrival.key, "registered twice"))
        for person in arrival.person_ids:
            result.checked["intake people"] += 1
            if members.get(person) != arrival.arrival_id:
                result.lost.append(Finding("intake person", person, "not in the case"))
    # an arrival nobody was told about: a retry that registered the same request again
    for arrival_id in set(registered) - answered:
        result.doubled.append(Finding("intake arrival", arrival_id, "registered, never answered"))
    departed = Counter(event.data["person_id"] for event in await _events(conn, ["PersonDeparted"]))
    for departure in accepted.departures:
        result.checked["intake departures"] += 1
        if departed[departure.person_id] == 0:
            result.lost.append(Finding("intake departure", departure.key, "accepted, not recorded"))
        elif departed[departure.person_id] > 1:
            result.doubled.append(Finding("intake departure", departure.key, "recorded twice"))


async def _check_subscriptions(
    connections: dict[str, asyncpg.Connection], result: Reconciliation
) -> None:
    """Every published event is in each subscriber's inbox (else lost), and what handling it
    appended was appended by one transaction (else it was handled twice)."""
    for producer, topic, subscriber in SUBSCRIPTIONS:
        published = await _published_ids(connections[producer], topic)
        handled = await _inbox_ids(connections[subscriber], topic)
        result.checked[f"{topic} -> {subscriber}"] += len(published)
        for event_id in published - handled:
            result.lost.append(Finding(f"{subscriber} inbox", str(event_id), f"from {topic}"))
    for subscriber in ("housing", "aid"):
        transactions: dict[str, set[str]] = defaultdict(set)
        for event in await _events(connections[subscriber]):
            if event.causation is not None:
                transactions[event.causation].add(event.transaction)
        for cause, seen in transactions.items():
            if len(seen) > 1:
                result.doubled.append(
                    Finding(f"{subscriber} effects", cause, f"handled in {len(seen)} transactions")
                )


async def _check_housing(
    conn: asyncpg.Connection, accepted: AcceptedLog, result: Reconciliation
) -> None:
    """One placement decision per person (a bed held, or a place on the waitlist), changed only
    by what departures and freed places imply; one person per bed; departed people hold none."""
    events = await _events(
        conn,
        ["BedAssigned", "PersonWaitlisted", "PersonLeftWaitlist", "BedReleased",
         "PersonCheckedOut", "HoldExpired", "PersonCheckedIn", "DepartureBeforeArrival"],
    )  # fmt: skip
    left_placed = {
        (event.transaction, event.data["person_id"])
        for event in events
        if event.type == "PersonLeftWaitlist" and event.data["reason"] == "placed"
    }
    state: dict[str, str] = {}
    beds: dict[tuple[str, int], str] = {}
    decided: set[str] = set()
    for event in events:
        person = event.data["person_id"]
        now = state.get(person, "new")
        if event.type == "BedAssigned":
            decided.add(person)
            place = (event.data["unit_id"], event.data["bed_number"])
            if place in beds:
                result.broken.append(Finding("housing bed", str(place), "two people in one bed"))
            beds[place] = person
            from_waitlist = now == "waiting" and (event.transaction, person) in left_placed
            if now in ("held", "departed") or (now == "waiting" and not from_waitlist):
                result.doubled.append(Finding("housing placement", person, f"bed while {now}"))
            state[person] = "held"
        elif event.type == "PersonWaitlisted":
            decided.add(person)
            if now in ("held", "waiting", "departed"):
                result.doubled.append(Finding("housing placement", person, f"waitlisted, {now}"))
            state[person] = "waiting" if now != "held" else now
        elif event.type in ("BedReleased", "PersonCheckedOut", "HoldExpired"):
            beds.pop((event.data["unit_id"], event.data["bed_number"]), None)
            state[person] = "departed" if event.data.get("reason") == "departed" else "free"
        elif event.type == "DepartureBeforeArrival" or (  # before it: their arrival places none
            event.type == "PersonLeftWaitlist" and event.data["reason"] == "departed"
        ):
            state[person] = "departed"
    placements = {
        str(row["person_id"]): row
        for row in await conn.fetch("SELECT person_id, status, unit_id FROM placements")
    }
    departing = {departure.person_id for departure in accepted.departures}
    for person in accepted.people:
        result.checked["housing people"] += 1
        row = placements.get(person)
        if person in departing:
            if row is None or row["status"] != "departed" or row["unit_id"] is not None:
                status = row["status"] if row else "unknown"
                result.lost.append(Finding("housing departure", person, f"status {status}"))
        elif person not in decided or row is None:
            result.lost.append(Finding("housing placement", person, "no placement decision"))
    shared = await conn.fetch(
        "SELECT unit_id, bed_number FROM placements WHERE status IN ('held', 'checked_in') "
        "GROUP BY 1, 2 HAVING count(*) > 1"
    )
    for row in shared:
        result.broken.append(Finding("housing bed", str(tuple(row)), "two people in one bed"))
    counted = await conn.fetch(
        """
        SELECT u.unit_id, u.held + u.occupied AS counted, count(p.person_id) AS people
        FROM units u LEFT JOIN placements p
          ON p.unit_id = u.unit_id AND p.status IN ('held', 'checked_in')
        GROUP BY u.unit_id HAVING u.held + u.occupied <> count(p.person_id)
        """
    )
    for row in counted:
        result.broken.append(
            Finding("housing unit", str(row["unit_id"]),
                    f"counts {row['counted']} places taken, {row['people']} people hold one")
        )  # fmt: skip
    result.checked["housing beds"] = len(beds)


async def _check_aid(
    conn: asyncpg.Connection,
    housing: asyncpg.Connection,
    accepted: AcceptedLog,
    result: Reconciliation,
) -> None:
    events = await _events(
        conn,
        ["BeneficiaryRegistered", "EntitlementGranted", "ResidencyEnded", "EntitlementsClosed",
         "AidIssued", "HouseholdAidIssued", "StockIssued"],
    )  # fmt: skip
    registered = Counter(e.data["person_id"] for e in events if e.type == "BeneficiaryRegistered")
    for person in accepted.people:
        result.checked["aid beneficiaries"] += 1
        if registered[person] == 0:
            result.lost.append(Finding("aid beneficiary", person, "never registered"))
        elif registered[person] > 1:
            result.doubled.append(Finding("aid beneficiary", person, "registered twice"))
    result.checked["aid entitlements granted"] += _entitlements_granted_twice(events, result)
    holding = {
        str(row["person_id"])
        for row in await housing.fetch(
            "SELECT person_id FROM placements WHERE status IN ('held', 'checked_in')"
        )
    }
    entitled = {
        str(row["person_id"])
        for row in await conn.fetch("SELECT person_id FROM entitlements WHERE closed_at IS NULL")
    }
    departing = {departure.person_id for departure in accepted.departures}
    for person in holding - entitled:
        result.lost.append(Finding("aid entitlement", person, "holds a bed, not entitled"))
    for person in entitled & departing:
        result.lost.append(Finding("aid entitlement", person, "departed, still entitled"))
    # each accepted distribution: one issue, one stock movement; nothing issued unanswered
    issued = Counter(
        e.data["issue_id"] for e in events if e.type in ("AidIssued", "HouseholdAidIssued")
    )
    drawn = Counter(e.data["issue_id"] for e in events if e.type == "StockIssued")
    rows = Counter(str(row["issue_id"]) for row in await conn.fetch("SELECT issue_id FROM issues"))
    answered = {distribution.issue_id for distribution in accepted.distributions}
    for distribution in accepted.distributions:
        result.checked["aid distributions"] += 1
        seen = (issued[distribution.issue_id], drawn[distribution.issue_id],
                rows[distribution.issue_id])  # fmt: skip
        if 0 in seen:
            result.lost.append(Finding("aid distribution", distribution.key, f"seen {seen}"))
        elif max(seen) > 1:
            result.doubled.append(Finding("aid distribution", distribution.key, f"seen {seen}"))
    for issue_id in (set(issued) | set(drawn)) - answered:
        result.doubled.append(Finding("aid distribution", issue_id, "issued, never answered"))
    # stock: what came in, less what was handed out, is what the read model holds
    out: Counter[tuple[str, str]] = Counter()
    for distribution in accepted.distributions:
        out[(distribution.site_id, distribution.item)] += distribution.quantity
    for (site, item), donated in accepted.donations.items():
        result.checked["aid stock levels"] += 1
        held = await conn.fetchval(
            "SELECT quantity FROM stock WHERE site_id = $1 AND item = $2", site, item
        )
        if held != donated - out[(site, item)]:
            finding = Finding("aid stock", f"{site}/{item}",
                              f"holds {held}, expected {donated - out[(site, item)]}")  # fmt: skip
            (result.lost if (held or 0) > donated - out[(site, item)] else result.doubled).append(
                finding
            )


def _entitlements_granted_twice(events: Iterable[_Event], result: Reconciliation) -> int:
    """An entitlement is granted once, and again only after it ended: each grant of an item
    still open is a double. How many grants were checked. The items open are kept by person
    (an end drops one person's, not a pass over everyone's: the 100,000-person week has tens of
    thousands of ends, and a pass each made its reconciliation quadratic)."""
    granted = 0
    open_items: dict[str, set[str]] = defaultdict(set)
    for event in events:
        person = str(event.data.get("person_id"))
        if event.type == "EntitlementGranted":
            granted += 1
            if event.data["item"] in open_items[person]:
                result.doubled.append(
                    Finding("aid entitlement", person, f"{event.data['item']} granted twice")
                )
            open_items[person].add(event.data["item"])
        elif event.type in ("ResidencyEnded", "EntitlementsClosed"):
            open_items.pop(person, None)
    return granted


async def _check_dead_letters(
    connections: dict[str, asyncpg.Connection],
    bootstrap_servers: str,
    namespace: str,
    result: Reconciliation,
) -> None:
    """A dead-lettered event the subscriber had already handled was delivered past its inbox a
    second time (a guard refused it: doubled); one it never handled is lost (counted above)."""
    for subscriber in ("housing", "aid"):
        handled = {
            str(row["event_id"]) for row in await connections[subscriber].fetch(
                "SELECT event_id FROM inbox"
            )
        }  # fmt: skip
        for headers in await read_topic(bootstrap_servers, physical(dead_letter_topic(subscriber),
                                                                    namespace)):  # fmt: skip
            result.checked[f"{subscriber} dead letters"] += 1
            if headers.get("ce_id") in handled:
                reason = headers.get("dlq_reason", "")[:80]
                result.doubled.append(
                    Finding(f"{subscriber} dead letter", headers["ce_id"], f"handled, {reason}")
                )


async def partitions_of(bootstrap_servers: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of the topics that exist."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if topic["error_code"] == 0
        for partition in topic["partitions"]
    ]


async def read_topic(bootstrap_servers: str, topic: str) -> list[dict[str, str]]:
    """The headers of every message on a topic, from the beginning to the current end."""
    assigned = await partitions_of(bootstrap_servers, [topic])
    if not assigned:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        found: list[dict[str, str]] = []
        while [tp for tp in assigned if await consumer.position(tp) < ends[tp]]:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    found.append(
                        {key: value.decode("utf-8", "replace") for key, value in record.headers}
                    )
        return found
    finally:
        await consumer.stop()
