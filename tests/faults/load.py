"""A steady, bounded, seeded load through the public HTTP APIs, as partners and operators send
it: arrivals (single people, couples, groups) and departures at intake, distributions at aid.

Every request carries an Idempotency-Key. Like a real partner on a bad connection, the client
retries with the same key and body on connection errors, timeouts and 5xx until it gets a
definitive answer; what it was told goes into an ``AcceptedLog`` for the reconciliation.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx

from tests.conftest import OPERATOR_KEY
from tests.factories import arrival, group_of_friends, person
from tests.faults.reconcile import (
    AcceptedArrival,
    AcceptedDeparture,
    AcceptedDistribution,
    AcceptedLog,
    Refusal,
)

SITE = "atameken-camp"
#: per person with an interval, per person with a total cap, per household: each refuses some
ITEMS = ("hot_meal", "sim_card", "hygiene_kit")
UNITS = {"hot_meal": "portion", "sim_card": "card", "hygiene_kit": "kit"}
OPERATOR = {"X-API-Key": OPERATOR_KEY}
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    content_type: str


class PatientClient:
    """Sends one request until it is answered for good: a 2xx, or a 4xx that says what was
    wrong. Retries keep the key and the body, so the server can recognise them."""

    def __init__(self, client: httpx.AsyncClient, log: AcceptedLog, patience: float) -> None:
        self._client = client
        self._log = log
        self._patience = patience

    async def post(self, url: str, body: Any, headers: dict[str, str], key: str) -> Answer | None:
        loop = asyncio.get_running_loop()
        give_up, pause = loop.time() + self._patience, 0.2
        while True:
            try:
                response = await self._client.post(
                    url, json=body, headers={**headers, "Idempotency-Key": key}
                )
            except httpx.TransportError:  # refused, reset, timed out: the service is away
                response = None
            if response is not None and not _worth_retrying(response):
                return Answer(
                    response.status_code,
                    _body_of(response),
                    response.headers.get("content-type", ""),
                )
            if loop.time() > give_up:
                self._log.unanswered.append(key)
                return None
            self._log.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 1.6, 3.0)


def _body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:200]}


def _worth_retrying(response: httpx.Response) -> bool:
    if response.status_code >= 500 or response.status_code == 429:
        return True
    # aid has not heard of the person yet: it says the same key may be sent again later
    return response.status_code == 422 and _body_of(response).get("rule") == "not_registered"


def refusal(kind: str, key: str, response: Answer) -> Refusal:
    """A definitive 4xx, and whether it is clear: problem details that say what was wrong."""
    body = response.body if isinstance(response.body, dict) else {}
    detail = str(body.get("detail") or "")
    return Refusal(
        kind=kind,
        key=key,
        status=response.status,
        title=str(body.get("title") or ""),
        detail=detail,
        clear=response.content_type.startswith(PROBLEM_JSON) and bool(detail) and "status" in body,
    )


class SteadyLoad:
    """Partners registering arrivals and departures, operators handing out aid, at a steady
    pace from a few concurrent workers, until told to stop or the request budget is spent."""

    def __init__(
        self,
        urls: dict[str, str],
        partner_key: str,
        log: AcceptedLog,
        *,
        seed: int,
        budget: int,
        patience: float = 150.0,
    ) -> None:
        self._urls = urls
        self._partner = {"X-API-Key": partner_key}
        self._log = log
        self._seed = seed
        self._budget = budget
        self._patience = patience
        self._numbers = itertools.count(1)
        self._departing: set[str] = set()
        self.sent = 0

    def _key(self, kind: str) -> str:
        return f"{kind}-{self._seed}-{next(self._numbers)}"

    async def prepare(self, beds: tuple[int, ...], stock: int) -> None:
        """Open the shelters and stock the distribution site, before the first arrival."""
        async with httpx.AsyncClient(timeout=15) as http:
            client = PatientClient(http, self._log, self._patience)
            for number, size in enumerate(beds):
                body = {"name": f"Gym {number}", "kind": "gym", "district": "Oral", "beds": size}
                opened = await client.post(
                    f"{self._urls['housing']}/v1/shelters", body, OPERATOR, self._key("shelter")
                )
                assert opened is not None and opened.status == 201, opened
            for item in ITEMS:
                body = {"site_id": SITE, "item": item, "quantity": stock, "unit": UNITS[item],
                        "donor_kind": "local_volunteer"}  # fmt: skip
                if item == "hot_meal":
                    body["expires_on"] = (date.today() + timedelta(days=20)).isoformat()
                donated = await client.post(
                    f"{self._urls['aid']}/v1/donations", body, OPERATOR, self._key("donation")
                )
                assert donated is not None and donated.status == 201, donated
                self._log.donations[(SITE, item)] = stock

    async def run(self, stop: asyncio.Event, workers: int = 4) -> None:
        """Send until ``stop`` is set (requests under way still get their answer)."""
        async with httpx.AsyncClient(timeout=httpx.Timeout(8.0, connect=3.0)) as http:
            client = PatientClient(http, self._log, self._patience)
            await asyncio.gather(
                *(self._worker(client, stop, random.Random(f"{self._seed}-{n}")) for n in
                  range(workers))
            )  # fmt: skip

    async def _worker(self, client: PatientClient, stop: asyncio.Event, rng: random.Random) -> None:
        while not stop.is_set() and self.sent < self._budget:
            self.sent += 1
            roll = rng.random()
            if roll < 0.6 or len(self._log.arrivals) < 5:
                await self._arrive(client, rng)
            elif roll < 0.75:
                await self._depart(client, rng)
            else:
                await self._distribute(client, rng)
            await asyncio.sleep(rng.uniform(0.05, 0.25))

    async def _arrive(self, client: PatientClient, rng: random.Random) -> None:
        key, shape = self._key("arrival"), rng.random()
        tag = key.rsplit("-", 1)[-1]
        if shape < 0.5:
            body = arrival(person(given=f"Один{tag}"))
        elif shape < 0.8:
            body = arrival(person(given=f"Муж{tag}"), person(given=f"Жена{tag}", sex="female",
                                                            relation="spouse"))  # fmt: skip
        else:
            body = group_of_friends(rng.randint(3, 5), tag=tag)
        answer = await client.post(f"{self._urls['intake']}/v1/arrivals", body, self._partner, key)
        if answer is None:
            return
        if answer.status == 201:
            self._log.arrivals.append(
                AcceptedArrival(key, answer.body["arrival_id"], tuple(answer.body["person_ids"]))
            )
        else:
            self._log.refusals.append(refusal("arrival", key, answer))

    async def _depart(self, client: PatientClient, rng: random.Random) -> None:
        staying = [p for a in self._log.arrivals for p in a.person_ids if p not in self._departing]
        if not staying:
            return
        person_id = rng.choice(staying)
        self._departing.add(person_id)
        key = self._key("departure")
        answer = await client.post(
            f"{self._urls['intake']}/v1/persons/{person_id}/departure",
            {"reason": "moved_on_to_another_country"},
            self._partner,
            key,
        )
        if answer is None:
            return
        if answer.status == 200:
            self._log.departures.append(AcceptedDeparture(key, person_id))
        else:
            self._log.refusals.append(refusal("departure", key, answer))

    async def _distribute(self, client: PatientClient, rng: random.Random) -> None:
        if not self._log.arrivals:
            return
        person_id = rng.choice(rng.choice(self._log.arrivals).person_ids)
        item, key = rng.choice(ITEMS), self._key("distribution")
        body = {"person_id": person_id, "item": item, "site_id": SITE, "quantity": 1}
        answer = await client.post(f"{self._urls['aid']}/v1/distributions", body, OPERATOR, key)
        if answer is None:
            return
        if answer.status == 201:
            self._log.distributions.append(
                AcceptedDistribution(key, answer.body["issue_id"], person_id, item, SITE, 1)
            )
        else:  # a rule said no (interval, cap, household, departed): it must say which
            self._log.refusals.append(refusal("distribution", key, answer))
