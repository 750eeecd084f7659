"""Play the Oral week through the three services' public APIs, as separate processes on fresh
databases and a fresh topic namespace, and measure it.

Each day: the shelters the town opened that day, the morning's donations and offers, the
arrivals posted by the welcome points (one concurrent uploader each, batches of
``batch_size``), then, once housing has seen them, the check-ins of people who reach their
place; once aid has seen those, the support requests, the day's visits to distribution counters,
and at the end of the day the departures. The services keep wall-clock time: the week is played
in minutes, so per-day and interval rules of aid refuse what a real week would allow on a later
day; refusals are counted per rule, not hidden.

The runner reads the services' databases only to watch (who holds a place, whether consumers
have caught up, counts at the end); every change goes through HTTP with an Idempotency-Key,
retried with the same key on a lost answer.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg

from benchmarks.common import (
    REPO,
    SpeedProbe,
    database_url,
    delete_topics,
    free_port,
    machine_cpu_ticks,
    machine_cpu_use,
    machine_facts,
    postgres_facts,
    process_cpu,
    server_cpu,
    tidy,
)
from benchmarks.oral_week.client import Answer, Api
from benchmarks.oral_week.generator import (
    DAYS,
    PARTNERS,
    MemberFate,
    OralWeek,
    PlannedArrival,
)
from benchmarks.oral_week.watch import DayMeter, Lag, database_server
from demo.processes import SERVICES, ServiceProcess, launch

OPERATOR_KEY = "oral-week-operator-key"
#: the end-to-end target of issue #9 for 100,000 people, and its stretch
TARGET_S, STRETCH_S = 600.0, 300.0
WAITLIST_LENGTH = "SELECT count(*) FROM placements WHERE status = 'waiting'"


@dataclass
class Person:
    """What the runner keeps of one accepted person: enough to play the rest of their week."""

    person_id: str
    partner: str
    day: int
    fate: MemberFate
    checked_in: bool = False
    departed: bool = False


@dataclass
class Ledger:
    """Every accepted request with its key and ids, for the report and the reconciliation."""

    arrivals: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # key -> ids
    people: list[Person] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)  # kind -> accepted
    refusals: Counter[str] = field(default_factory=Counter)  # kind:rule -> refused
    refused: list[dict[str, Any]] = field(default_factory=list)  # each definitive 4xx
    retries: int = 0
    retried: Counter[str] = field(default_factory=Counter)  # "path status" -> attempts repeated
    replayed_batches: int = 0
    shelters: dict[str, str] = field(default_factory=dict)  # key -> shelter id
    donations: Counter[tuple[str, str]] = field(default_factory=Counter)  # (site, item) -> units
    distributions: list[dict[str, Any]] = field(default_factory=list)  # issued, with key and id
    check_ins: list[tuple[str, str]] = field(default_factory=list)  # (shelter id, person id)
    departures: list[tuple[str, str]] = field(default_factory=list)  # (key, person id)

    def count_retry(self, cause: str) -> None:
        self.retries += 1
        self.retried[cause] += 1


def accepted_log(ledger: Ledger) -> Any:
    """The ledger as tests/faults/reconcile.py's AcceptedLog (what the partners were told)."""
    from tests.faults.reconcile import (
        AcceptedArrival,
        AcceptedDeparture,
        AcceptedDistribution,
        AcceptedLog,
        Refusal,
    )

    return AcceptedLog(
        arrivals=[AcceptedArrival(key, arrival_id, people)
                  for key, (arrival_id, people) in ledger.arrivals.items()],
        departures=[AcceptedDeparture(key, person) for key, person in ledger.departures],
        distributions=[AcceptedDistribution(d["key"], d["issue_id"], d["person_id"], d["item"],
                                            d["site_id"], d["quantity"])
                       for d in ledger.distributions],
        donations=dict(ledger.donations),
        refusals=[Refusal(r["kind"], r["key"], r["status"], r["title"], r["detail"], True)
                  for r in ledger.refused],
        retries=ledger.retries,
    )  # fmt: skip


@dataclass
class Stack:
    run_id: str
    namespace: str
    databases: dict[str, str]  # service -> database name
    urls: dict[str, str]  # service -> database URL
    processes: dict[str, ServiceProcess]
    monitors: dict[str, asyncpg.Connection]
    partner_keys: dict[str, str]
    log_dir: Path

    @property
    def pids(self) -> dict[str, int]:
        return {
            name: process.process.pid
            for name, process in self.processes.items()
            if process.process is not None
        }

    @property
    def watched(self) -> dict[str, int]:
        """The processes whose CPU the week reports: the services and the runner itself (its
        HTTP client shares the machine's cores with them)."""
        return {**self.pids, "harness": os.getpid()}


def service_environment(kafka: str, namespace: str, extra: dict[str, str]) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "KAFKA_TOPIC_NAMESPACE": namespace,
        "OPERATOR_API_KEY": OPERATOR_KEY,
        "OTEL_TRACES_EXPORTER": "none",
        "PYTHONUNBUFFERED": "1",
        # four welcome points upload a surge as fast as intake takes it: a week is measured,
        # not the per-key limit (shared/ratelimit.py)
        "RATE_LIMIT_BURST": "1000000",
        **extra,
    }


def add_partner(env: dict[str, str], partner: str, name: str) -> str:
    """A welcome point's key from intake's own CLI (the first call migrates the database)."""
    done = subprocess.run(
        [sys.executable, "-m", "services.intake.cli", "add-partner", partner, "--name", name],
        env={**os.environ, **env}, cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"add-partner {partner} failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def memory_and_cpu(pid: int) -> dict[str, float | None]:
    """Peak resident memory (VmHWM) and CPU-seconds of a process so far."""
    peak = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return {"peak_rss_mib": peak, "cpu_s": process_cpu(pid)}


# ---------------------------------------------------------------------------- the week


async def gather_limited(work: Iterator[Awaitable[None]], width: int) -> None:
    """Run awaitables with at most ``width`` in flight, without creating them all at once;
    the first failure cancels the rest and propagates."""
    pending: set[asyncio.Future[None]] = set()
    try:
        for item in work:
            pending.add(asyncio.ensure_future(item))
            if len(pending) >= width:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
    finally:
        for task in pending:
            task.cancel()


async def gather_in_lanes(
    lanes: dict[str, list[Callable[[], Awaitable[None]]]], width: int
) -> None:
    """One queue per lane (a shelter's front desk, a site's counter for one item), ``width``
    lanes served at once: what one desk does happens one after the other, as in a real
    shelter, and concurrent writers do not pile onto one stream."""

    async def serve(queue: list[Callable[[], Awaitable[None]]]) -> None:
        for step in queue:
            await step()

    await gather_limited((serve(queue) for queue in lanes.values()), width)


class Week:
    def __init__(self, week: OralWeek, stack: Stack, api: Api, ledger: Ledger, args: Any) -> None:
        self.week = week
        self.stack = stack
        self.api = api
        self.args = args
        self.ledger = ledger
        self.timings: dict[str, float] = defaultdict(float)
        self.catch_up_s: list[float] = []
        self.lag = Lag(stack.monitors)
        self.days: list[dict[str, Any]] = []
        #: how fast the machine ran Python, day by day (run() starts and stops it)
        self.probe = SpeedProbe()

    async def timed(self, what: str, step: Awaitable[Any]) -> Any:
        start = time.perf_counter()
        try:
            return await step
        finally:
            self.timings[what] += time.perf_counter() - start

    async def play(self) -> None:
        server = await database_server(self.stack.monitors["housing"])
        meter = DayMeter(self.stack.watched, server)
        for plan in self.week.days():
            meter.start(self.timings, self.answered())
            await self.play_day(plan)
            waiting = await self.stack.monitors["housing"].fetchval(WAITLIST_LENGTH)
            figures = meter.finish(
                plan.day, self.timings, self.answered(), date=str(plan.date),
                people_planned=plan.people, people_so_far=len(self.ledger.people),
                waitlist=waiting, speed_probe=self.probe.take(),
            )  # fmt: skip
            self.days.append(figures)
            print(
                f"day {plan.day} ({plan.date}): {plan.people} people planned, "
                f"{len(self.ledger.people)} accepted so far, {figures['wall_s']:.1f}s "
                f"(load {figures['loadavg_1m']:.1f}, {probe_text(figures['speed_probe'])})",
                file=sys.stderr,
            )

    def answered(self) -> Counter[str]:
        """Requests accepted and refused (by rule) so far, by kind."""
        refused = Counter({f"refused {kind}": n for kind, n in self.ledger.refusals.items()})
        return self.ledger.requests + refused

    async def play_day(self, plan: Any) -> None:
        # yesterday's departures free places that housing offers to the waitlist: let it
        # finish before an operator opens shelters, which draw on the same waitlist
        await self.wait_for(("housing",))
        await self.timed("shelters", self.open_shelters(plan.shelters))
        await self.timed("donations", self.donate(plan.donations, plan.offers))
        await self.timed("arrivals", self.arrive(plan.day))
        await self.wait_for(("housing",))
        await self.timed("check_ins", self.check_in(plan.day))
        await self.wait_for(("aid",))
        await self.timed("support_requests", self.ask_for_support(plan.day))
        await self.timed("distributions", self.distribute(plan.day))
        await self.timed("departures", self.depart(plan.day))

    async def wait_for(self, consumers: tuple[str, ...]) -> None:
        waited = self.lag.caught_up(consumers, self.args.patience)
        # by consumer: a wait for aid (after the check-ins) and one for housing (after the
        # arrivals and the departures) grow for different reasons
        self.catch_up_s.append(await self.timed(f"waiting for {'+'.join(consumers)}", waited))

    # -- shelters, donations, offers

    async def open_shelters(self, shelters: list[Any]) -> None:
        async def one(plan: Any) -> None:
            path = "/v1/host-offers" if plan.host_offer else "/v1/shelters"
            answer = await self.api.post("housing", path, plan.body, plan.key)
            self._expect(answer, 201, "shelter")
            shelter_id = answer.json()["shelter_id"]
            self.ledger.shelters[plan.key] = shelter_id
            if plan.host_offer:  # the host network checked the home the same day
                verified = await self.api.post(
                    "housing", f"/v1/host-offers/{shelter_id}/verification", None,
                    f"{plan.key}-verified",
                )  # fmt: skip
                self._expect(verified, 200, "host_offer_verification")

        # one at a time, as one coordination centre does (two openings at once picked the same
        # waiting person and answered 500 in the first runs; housing now locks a waiting party,
        # tests/integration/test_housing.py keeps it so)
        await gather_limited((one(plan) for plan in shelters), 1)

    async def donate(self, donations: list[Any], offers: list[Any]) -> None:
        async def one(path: str, kind: str, plan: Any) -> None:
            self._expect(await self.api.post("aid", path, plan.body, plan.key), 201, kind)
            if kind == "donation":
                self.ledger.donations[(plan.body["site_id"], plan.body["item"])] += plan.body[
                    "quantity"
                ]

        work = [one("/v1/donations", "donation", d) for d in donations]
        work += [one("/v1/offers", "offer", o) for o in offers]
        await gather_limited(iter(work), self.args.concurrency)

    # -- arrivals: one uploader per welcome point, fed from one pass over the day

    async def arrive(self, day: int) -> None:
        queues: dict[str, asyncio.Queue[list[PlannedArrival] | None]] = {
            partner: asyncio.Queue(maxsize=2) for partner in PARTNERS
        }

        async def feed() -> None:
            pending: dict[str, list[PlannedArrival]] = {partner: [] for partner in PARTNERS}
            for arrival in self.week.arrivals(day):
                batch = pending[arrival.partner]
                batch.append(arrival)
                if len(batch) >= self.args.batch_size:
                    await queues[arrival.partner].put(batch)
                    pending[arrival.partner] = []
            for partner, batch in pending.items():
                if batch:
                    await queues[partner].put(batch)
                await queues[partner].put(None)

        async def upload(partner: str) -> None:
            number = 0
            while (batch := await queues[partner].get()) is not None:
                await self.post_batch(partner, batch)
                # a welcome point's tablet on a bad connection sends its first batch of the
                # day twice: the second answer must create nothing
                if number == 0:
                    await self.post_batch(partner, batch, replay=True)
                number += 1

        await asyncio.gather(feed(), *(upload(partner) for partner in PARTNERS))

    async def post_batch(
        self, partner: str, batch: list[PlannedArrival], replay: bool = False
    ) -> None:
        body = {"items": [{"idempotency_key": a.key, "arrival": a.body} for a in batch]}
        answer = await self.api.post(
            "intake", "/v1/arrival-batches", body, f"batch-{batch[0].key}",
            self.stack.partner_keys[partner],
        )  # fmt: skip
        self._expect(answer, 200, "arrival_batch")
        result = answer.json()
        if replay:
            self.ledger.replayed_batches += 1
            if result["counts"]["created"] != 0:
                raise RuntimeError(f"a replayed batch created arrivals: {result['counts']}")
        for arrival, item in zip(batch, result["items"], strict=True):
            if item["status"] == "rejected":
                self.ledger.refusals["arrival:rejected"] += 1
                continue
            known = self.ledger.arrivals.get(arrival.key)
            if known is not None:  # a retry of what was created: the same arrival
                if known[0] != item["arrival_id"]:
                    raise RuntimeError(f"{arrival.key} answered two arrival ids")
                continue
            self.ledger.arrivals[arrival.key] = (item["arrival_id"], tuple(item["person_ids"]))
            self.ledger.requests["arrival"] += 1
            for person_id, fate in zip(item["person_ids"], arrival.fates, strict=True):
                self.ledger.people.append(Person(person_id, partner, arrival.day, fate))

    # -- check-ins: shelter staff see who walks in

    async def check_in(self, day: int) -> None:
        held = await self.stack.monitors["housing"].fetch(
            "SELECT person_id::text, shelter_id::text FROM placements WHERE status = 'held'"
        )
        shelter_of = {row["person_id"]: row["shelter_id"] for row in held}
        coming = [
            person for person in self.ledger.people
            if person.person_id in shelter_of and person.fate.turns_up and not person.departed
        ]  # fmt: skip

        async def one(person: Person) -> None:
            shelter_id = shelter_of[person.person_id]
            answer = await self.api.post(
                "housing", f"/v1/shelters/{shelter_id}/check-ins",
                {"person_id": person.person_id}, f"check-in-{person.person_id}-{shelter_id}",
            )  # fmt: skip
            self._expect(answer, 200, "check_in")
            person.checked_in = True
            self.ledger.check_ins.append((shelter_id, person.person_id))

        desks: dict[str, list[Callable[[], Awaitable[None]]]] = defaultdict(list)
        for person in coming:
            desks[shelter_of[person.person_id]].append(partial(one, person))
        await gather_in_lanes(desks, self.args.concurrency)

    # -- aid: support requests, counters, departures

    async def ask_for_support(self, day: int) -> None:
        def wanted() -> Iterator[Awaitable[None]]:
            for person in self.ledger.people:
                fate = person.fate
                if person.departed:
                    continue
                # onward travel: asked on the day before leaving; job search: the day after
                leaves = fate.leaves_after_days
                if fate.onward and leaves is not None and person.day + leaves - 1 == day:
                    yield self._support(person, fate.onward)
                elif fate.job_search and person.day + 1 == day:
                    yield self._support(person, fate.job_search)

        await gather_limited(wanted(), self.args.concurrency)

    async def _support(self, person: Person, request: dict[str, Any]) -> None:
        body = {**request, "person_id": person.person_id}
        answer = await self.api.post(
            "aid", "/v1/support-requests", body, f"support-{person.person_id}"
        )
        self._expect(answer, 201, f"support_request:{request['kind']}")

    async def distribute(self, day: int) -> None:
        # one queue per site and item: each counter hands out one thing at a time
        counters: dict[str, list[Callable[[], Awaitable[None]]]] = defaultdict(list)
        for person in self.ledger.people:
            if person.departed:
                continue
            for number, counter in enumerate(person.fate.counters):
                if person.day + counter.after_days == day:
                    counters[f"{counter.site_id}:{counter.item}"].append(
                        partial(self._issue, person, counter.item, counter.site_id, number)
                    )
        await gather_in_lanes(counters, self.args.concurrency)

    async def _issue(self, person: Person, item: str, site_id: str, number: int) -> None:
        body = {"person_id": person.person_id, "item": item, "site_id": site_id, "quantity": 1}
        key = f"issue-{person.person_id}-{number}"
        answer = await self.api.post("aid", "/v1/distributions", body, key)
        if answer.status_code == 201:
            self.ledger.requests["distribution"] += 1
            self.ledger.distributions.append({**body, **answer.json(), "key": key})
        elif answer.status_code == 422 and "rule" in (problem := answer.json()):
            self.ledger.refusals[f"distribution:{problem['rule']}"] += 1
            self.ledger.refused.append({"kind": "distribution", "key": key, "status": 422,
                                        "title": problem.get("title", ""),
                                        "detail": problem.get("detail", "")})  # fmt: skip
        else:
            self._expect(answer, 201, "distribution")

    async def depart(self, day: int) -> None:
        leaving = [
            person for person in self.ledger.people
            if not person.departed and person.fate.leaves_after_days is not None
            and person.day + person.fate.leaves_after_days == day
        ]  # fmt: skip

        async def one(person: Person) -> None:
            reason = person.fate.departure_reason
            assert reason is not None
            key = f"departure-{person.person_id}"
            answer = await self.api.post(
                "intake", f"/v1/persons/{person.person_id}/departure", {"reason": reason.value},
                key, self.stack.partner_keys[person.partner],
            )  # fmt: skip
            self._expect(answer, 200, "departure")
            person.departed = True
            self.ledger.departures.append((key, person.person_id))

        await gather_limited((one(person) for person in leaving), self.args.concurrency)

    def _expect(self, answer: Answer, status: int, kind: str) -> None:
        if answer.status_code != status:
            raise RuntimeError(
                f"{kind}: {answer.method} {answer.path} answered "
                f"{answer.status_code}: {answer.text[:600]}"
            )
        self.ledger.requests[kind] += kind != "arrival_batch"


# ---------------------------------------------------------------------------- counting


async def events_per_service(stack: Stack) -> dict[str, int]:
    return {
        name: int(await conn.fetchval("SELECT count(*) FROM events"))
        for name, conn in stack.monitors.items()
    }


async def longest_streams(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """The longest streams per service: a decider that loads its whole stream per command pays
    for every event in it, so these say where the cost per command grows through the week."""
    found = {}
    for name, conn in stack.monitors.items():
        rows = await conn.fetch(
            "SELECT stream_id, count(*) AS events FROM events GROUP BY stream_id "
            "ORDER BY events DESC LIMIT 5"
        )
        found[name] = [{"stream_id": row["stream_id"], "events": row["events"]} for row in rows]
    return found


async def housing_figures(stack: Stack, api: Api) -> dict[str, Any]:
    waitlist = await api.get("housing", "/v1/waitlist")
    rows = await stack.monitors["housing"].fetch(
        "SELECT status, count(*) AS n FROM placements GROUP BY status ORDER BY status"
    )
    shelters = await api.get("housing", "/v1/shelters")
    return {
        "waitlist_length": len(waitlist),
        "waitlist_vulnerable_first": sum(1 for row in waitlist if row["priority"]),
        "placements_by_status": {row["status"]: row["n"] for row in rows},
        "shelters": len(shelters),
        "beds": sum(shelter["beds"] for shelter in shelters),
        "occupied": sum(shelter["occupied"] for shelter in shelters),
        "held": sum(shelter["held"] for shelter in shelters),
    }


async def aid_figures(stack: Stack) -> dict[str, Any]:
    conn = stack.monitors["aid"]
    figures: dict[str, Any] = {}
    for table in ("entitlements", "beneficiaries", "issues", "support_requests", "support_matches"):
        figures[f"{table}_rows"] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    return figures


async def rebuild_all(urls: dict[str, str], master_key: str | None) -> dict[str, Any]:
    """Each service's read models rebuilt from its event store (the services are stopped)."""
    from services.aid import main as aid_main
    from services.aid.projections import READ_MODEL_TABLES as AID_TABLES
    from services.housing import main as housing_main
    from services.housing.projections import READ_MODEL_TABLES as HOUSING_TABLES
    from services.intake import main as intake_main
    from services.intake.projections import READ_MODEL_TABLES as INTAKE_TABLES
    from services.intake.settings import IntakeSettings
    from services.intake.vault import Vault
    from shared.rebuild import rebuild_read_models

    vault = (
        Vault.from_base64(master_key)
        if master_key
        else Vault(IntakeSettings(database_url=urls["intake"]).master_keyring())
    )
    targets = {
        "intake": (intake_main.event_store(vault), INTAKE_TABLES),
        "housing": (housing_main.event_store(), HOUSING_TABLES),
        "aid": (aid_main.event_store(), AID_TABLES),
    }
    results: dict[str, Any] = {}
    for name, (store, tables) in targets.items():
        pool = await asyncpg.create_pool(urls[name], min_size=1, max_size=2)
        try:
            start = time.perf_counter()
            replayed = await rebuild_read_models(pool, store, tables)
            seconds = time.perf_counter() - start
        finally:
            await pool.close()
        results[name] = {"events": replayed, "seconds": seconds}
    total_events = sum(r["events"] for r in results.values())
    total_s = sum(r["seconds"] for r in results.values())
    results["total"] = {
        "events": total_events,
        "seconds": total_s,
        # derived, not measured, unless the week itself reached a million events
        "seconds_per_million_events": 1e6 * total_s / total_events if total_events else None,
        "measured_at_1m_events": total_events >= 1_000_000,
    }
    return results


async def reconciliation(urls: dict[str, str], ledger: Ledger, kafka: str, namespace: str) -> Any:
    """tests/faults/reconcile.py: every accepted request reflected exactly once in every read
    model, every event handled once per subscriber, no bed holding two people, no entitlement
    issued twice, stock equal to donations less distributions, no dead letter."""
    from tests.faults.reconcile import reconcile

    outcome = await reconcile(urls, accepted_log(ledger), bootstrap_servers=kafka,
                              namespace=namespace)  # fmt: skip
    return {
        "held": not (outcome.lost or outcome.doubled or outcome.broken),
        "checked": dict(outcome.checked),
        "lost": [str(finding) for finding in outcome.lost[:50]],
        "doubled": [str(finding) for finding in outcome.doubled[:50]],
        "broken": [str(finding) for finding in outcome.broken[:50]],
        "counts": {
            "lost": len(outcome.lost),
            "doubled": len(outcome.doubled),
            "broken": len(outcome.broken),
        },
        "redelivered_skips": outcome.redelivered_skips,
    }


async def bed_check(stack: Stack) -> dict[str, int]:
    """The runner's own cheap invariants, whatever the reconciliation says: no bed holds two
    people, no person is placed twice."""
    conn = stack.monitors["housing"]
    doubled_beds = await conn.fetchval(
        """SELECT count(*) FROM (SELECT unit_id, bed_number FROM placements
           WHERE status IN ('held', 'checked_in') GROUP BY unit_id, bed_number
           HAVING count(*) > 1) d"""
    )
    return {"beds_holding_two_people": int(doubled_beds)}


# ---------------------------------------------------------------------------- the run


async def run(args: Any) -> dict[str, Any]:
    run_id = uuid4().hex[:8]
    namespace = f"week{run_id}"
    names = {service: f"bench_week_{service}_{run_id}" for service in SERVICES}
    urls = {service: database_url(args.admin_url, name) for service, name in names.items()}
    week = OralWeek(args.arrivals, args.seed)
    facts = machine_facts()
    ticks = machine_cpu_ticks()
    log_dir = Path(tempfile.mkdtemp(prefix="oral-week-"))
    admin = await asyncpg.connect(args.admin_url)
    created: list[str] = []
    processes: dict[str, ServiceProcess] = {}
    monitors: dict[str, asyncpg.Connection] = {}
    ledger = Ledger()
    result: dict[str, Any] = {"benchmark": "oral_week"}
    failed = True
    try:
        facts["postgres"] = await postgres_facts(admin)
        for name in names.values():
            await admin.execute(f'CREATE DATABASE "{name}"')
            created.append(name)
        env = service_environment(args.kafka, namespace, args.service_env)
        intake_env = {**env, "INTAKE_DATABASE_URL": urls["intake"]}
        keys = {}
        for partner, label in PARTNERS.items():
            keys[partner] = await asyncio.to_thread(add_partner, intake_env, partner, label)
        ports = {service: free_port() for service in SERVICES}
        processes = await asyncio.to_thread(launch, env, log_dir, ports, urls)
        for service, url in urls.items():
            monitors[service] = await asyncpg.connect(url)
        stack = Stack(run_id, namespace, names, urls, processes, monitors, keys, log_dir)
        urls_of = {s: p.url for s, p in processes.items()}
        api = Api(urls_of, args.concurrency, OPERATOR_KEY, ledger.count_retry)
        played = Week(week, stack, api, ledger, args)
        cpu_before = {name: process_cpu(pid) or 0.0 for name, pid in stack.watched.items()}
        server = await database_server(monitors["housing"])
        server_before = server_cpu(server) if server is not None else None
        start = time.perf_counter()
        try:
            with played.probe:
                await played.play()
                final_wait = await played.lag.caught_up(("housing", "aid"), args.patience)
            wall_s = time.perf_counter() - start
            facts["speed_probe"] = played.probe.whole_run()
            resources = {name: memory_and_cpu(pid) for name, pid in stack.watched.items()}
            server_after = server_cpu(server) if server is not None else None
            for name, figures in resources.items():
                if figures["cpu_s"] is not None:
                    figures["cpu_s"] -= cpu_before[name]
                    figures["cpu_share_of_one_core"] = figures["cpu_s"] / wall_s
            events = await events_per_service(stack)
            housing = await housing_figures(stack, api)
            aid = await aid_figures(stack)
            invariants = await bed_check(stack)
            streams = await longest_streams(stack)
        finally:
            api.close()
        for process in processes.values():
            await asyncio.to_thread(process.stop)
        for conn in monitors.values():
            await conn.close()
        monitors = {}
        reconciled = await reconciliation(urls, ledger, args.kafka, namespace)
        rebuild = await rebuild_all(urls, args.service_env.get("INTAKE_MASTER_KEY"))
        people = len(ledger.people)
        result.update(
            config={
                "arrivals_people": args.arrivals,
                "seed": args.seed,
                "batch_size": args.batch_size,
                "concurrency": args.concurrency,
                "partners": list(PARTNERS),
                "service_env": args.service_env,
                "planned_people_per_day": week.people_per_day,
                "planned_capacity": week.capacity(),
            },
            wall_s=wall_s,
            phase_s=dict(played.timings),
            days=played.days,
            final_catch_up_s=final_wait,
            accepted={
                "arrivals": len(ledger.arrivals),
                "people": people,
                "requests": dict(ledger.requests),
                "refusals": dict(ledger.refusals),
                "retries": ledger.retries,
                "retried": dict(ledger.retried),
                "replayed_batches": ledger.replayed_batches,
                "checked_in": len(ledger.check_ins),
                "departed": len(ledger.departures),
            },
            events=events,
            events_total=sum(events.values()),
            events_per_s=sum(events.values()) / wall_s,
            processes=resources,
            database_server_cpu_s=None
            if server_before is None or server_after is None
            else server_after - server_before,
            housing=housing,
            aid=aid,
            invariants=invariants,
            longest_streams=streams,
            rebuild=rebuild,
            reconciliation=reconciled,
        )
        measured = wall_s * 100_000 / people if people else None
        result["measures"] = [
            {
                "name": "oral_week_end_to_end",
                "value": wall_s,
                "unit": "s",
                "people": people,
                "target": TARGET_S,
                "stretch": STRETCH_S,
                "met": wall_s <= TARGET_S if people >= 100_000 else None,
                "stretch_met": wall_s <= STRETCH_S if people >= 100_000 else None,
                "linear_extrapolation_to_100000_s": measured,
            },
        ]
        failed = False
    finally:
        for conn in monitors.values():
            await tidy("close a monitor", conn.close())
        for process in processes.values():
            await tidy(f"stop {process.name}", asyncio.to_thread(process.stop))
        for name in created:
            await tidy(
                f"drop database {name}",
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'),
            )
        await tidy("close the admin connection", admin.close())
        deleted = await tidy(f"delete topics {namespace}.*", delete_topics(args.kafka, namespace))
        result["kafka_topics_deleted"] = deleted
        if failed:
            print(f"the services' logs are kept in {log_dir}", file=sys.stderr)
    facts["loadavg_at_end"] = os.getloadavg()
    facts["cpu_use_during_run"] = machine_cpu_use(ticks, machine_cpu_ticks())
    result["machine"] = facts
    return result


def probe_text(probe: dict[str, Any] | None) -> str:
    """A speed probe's reading (benchmarks.common.SpeedProbe) for the log and the table."""
    if probe is None:
        return "probe: no sample"
    median, fastest, samples = probe["median_ms"], probe["fastest_ms"], probe["samples"]
    return f"probe {median:.1f} ms (fastest {fastest:.1f}, n {samples})"


def print_table(result: dict[str, Any], write: Callable[[str], None] = print) -> None:
    accepted, housing = result["accepted"], result["housing"]
    write("")
    write(f"Oral week, {accepted['people']} people in {accepted['arrivals']} arrivals "
          f"(seed {result['config']['seed']}, {DAYS} days)")  # fmt: skip
    rows = [
        ("wall time, end to end", f"{result['wall_s']:.1f} s"),
        ("events stored (intake/housing/aid)",
         "{total} ({intake}/{housing}/{aid})".format(total=result["events_total"],
                                                     **result["events"])),
        ("events per second", f"{result['events_per_s']:.0f}"),
        ("requests accepted", ", ".join(f"{k} {v}" for k, v in accepted["requests"].items())),
        ("refused (by rule)", ", ".join(f"{k} {v}" for k, v in accepted["refusals"].items())
         or "none"),
        ("retries / replayed batches", f"{accepted['retries']} / {accepted['replayed_batches']}"),
        ("retried (endpoint status)", ", ".join(f"{k}: {v}" for k, v in accepted["retried"].items())
         or "none"),
        ("placements by status", ", ".join(
            f"{k} {v}" for k, v in housing["placements_by_status"].items())),
        ("final waitlist", f"{housing['waitlist_length']} "
                           f"({housing['waitlist_vulnerable_first']} with priority)"),
        ("beds / occupied / held", f"{housing['beds']} / {housing['occupied']} / "
                                   f"{housing['held']}"),
        ("aid entitlements / issues rows", f"{result['aid']['entitlements_rows']} / "
                                           f"{result['aid']['issues_rows']}"),
        ("rebuild (all events, s)", f"{result['rebuild']['total']['events']} events in "
                                    f"{result['rebuild']['total']['seconds']:.1f} s"),
        ("rebuild per 1M events (derived)",
         f"{result['rebuild']['total']['seconds_per_million_events'] or 0:.0f} s"),
        ("beds holding two people", str(result["invariants"]["beds_holding_two_people"])),
        ("reconciliation held", "{held} (lost {lost}, doubled {doubled}, broken {broken})".format(
            held=result["reconciliation"]["held"], **result["reconciliation"]["counts"])),
    ]  # fmt: skip
    for name, figures in result["processes"].items():
        rows.append((f"{name}: peak RSS / CPU-s / cores",
                     f"{figures['peak_rss_mib']:.0f} MiB / {figures['cpu_s']:.1f} / "
                     f"{figures.get('cpu_share_of_one_core', 0):.2f}"))  # fmt: skip
    if (server_cpu_s := result.get("database_server_cpu_s")) is not None:
        rows.append(("database server: CPU-s", f"{server_cpu_s:.1f}"))
    for name, streams in result["longest_streams"].items():
        longest = streams[0] if streams else {"stream_id": "-", "events": 0}
        rows.append(
            (f"{name}: longest stream", f"{longest['events']} events ({longest['stream_id']})")
        )
    for day in result.get("days", []):
        rows.append(
            (
                f"day {day['day']}: s (people so far, load)",
                f"{day['wall_s']:.1f} ({day['people_so_far']}, {day['loadavg_1m']:.1f}); "
                + ", ".join(f"{k} {v:.0f}" for k, v in day["phase_s"].items() if v >= 0.5)
                + "; CPU-s "
                + ", ".join(f"{k} {v:.0f}" for k, v in day["cpu_s"].items())
                + f"; {probe_text(day.get('speed_probe'))}",
            )
        )
    rows.append(("time by phase (s)", ", ".join(
        f"{k} {v:.1f}" for k, v in result["phase_s"].items())))  # fmt: skip
    rows.append(("machine speed over the run", probe_text(result["machine"].get("speed_probe"))))
    measure = result["measures"][0]
    rows.append(("oral_week_end_to_end", f"{measure['value']:.1f} s (target {TARGET_S:.0f}, "
                 f"stretch {STRETCH_S:.0f}; met: {measure['met']}; linear to 100,000: "
                 f"{measure['linear_extrapolation_to_100000_s'] or 0:.0f} s)"))  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        write(f"  {name:<{width}}  {value}")
