"""The access-control matrix: every route of intake, housing and aid, times every role, on real
data (an arrival of partner A, shelters run by staff, stock, support requests and matches).

The routes come from each app itself, so a route added later without a row in ``MATRIX``
fails ``test_every_route_has_a_row_in_the_matrix``. What each role may do is written out below,
route by route; a partner asking for another partner's case gets 404, never 403, so ids do not
tell what exists. Besides the status, no answer to a role that may not read partner A's case
may carry the name of the person A registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr

from services.intake.devices import issue
from services.intake.partners import Scope, create_partner, revoke, rotate_key
from tests.conftest import OPERATOR_KEY, RunningServices, eventually
from tests.factories import arrival, person

pytestmark = pytest.mark.integration

ROLES = (
    "anonymous",  # no X-API-Key
    "unknown_key",  # a key nobody issued
    "owner",  # partner A, who registered the case (arrivals:write, cases:read)
    "other_partner",  # partner B, same scopes, its own cases
    "writer_only",  # a partner key with arrivals:write alone
    "reader_only",  # a partner key with cases:read alone
    "revoked",  # a partner whose key was revoked
    "rotated_out",  # a partner's old key, after its key was rotated
    "operator",  # OPERATOR_API_KEY
    "operator_partner",  # a partner key with the operator scope (intake only knows it)
    "shelter_staff",  # staff key of the partner that runs shelter S
    "other_staff",  # staff key of the partner that runs another shelter
    "site",  # aid: the key of distribution site atameken-camp (AID_SITE_API_KEYS)
    "other_site",  # aid: the key of another distribution site, gym-5
)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """The matrix sends hundreds of refused keys from one address: the limit of failed
    authentications (tests/integration/test_rate_limit.py) would answer 429 instead of 401."""
    return {"rate_limit_failed_auth_burst": 1_000_000}


#: the answer classes: OK is any 2xx; the others are the exact refusal
OK, UNAUTHENTICATED, FORBIDDEN, HIDDEN = "2xx", 401, 403, 404
Expected = str | int

#: the canary: the name partner A registered; only A and operators may ever read it
CANARY = "Канарейка"


def row(default: Expected = UNAUTHENTICATED, **roles: Expected) -> dict[str, Expected]:
    unknown = set(roles) - set(ROLES)
    assert not unknown, unknown
    return {role: roles.get(role, default) for role in ROLES}


PUBLIC = row(default=OK)
OPERATOR_ONLY = row(operator=OK)  # housing and aid know the operator key, no partner key
STAFF = row(operator=OK, shelter_staff=OK, other_staff=HIDDEN)
#: aid: a site's key is known, and refused everywhere but issuing at its site and entitlements
AID_OPERATOR_ONLY = row(operator=OK, site=FORBIDDEN, other_site=FORBIDDEN)
ISSUE_AT_A_SITE = row(operator=OK, site=OK, other_site=FORBIDDEN)  # the call names site's site
READ_ENTITLEMENTS = row(operator=OK, site=OK, other_site=OK)
#: intake: any valid key authenticates; the operator scope is then required
INTAKE_OPERATOR_ONLY = row(
    owner=FORBIDDEN, other_partner=FORBIDDEN, writer_only=FORBIDDEN, reader_only=FORBIDDEN,
    operator=OK, operator_partner=OK,
)  # fmt: skip
REGISTER = row(
    owner=OK, other_partner=OK, writer_only=OK, reader_only=FORBIDDEN, operator=OK,
    operator_partner=OK,
)  # fmt: skip
LIST_OWN = row(
    owner=OK, other_partner=OK, writer_only=FORBIDDEN, reader_only=OK, operator=OK,
    operator_partner=OK,
)  # fmt: skip
READ_A_CASE = row(
    owner=OK, other_partner=HIDDEN, writer_only=FORBIDDEN, reader_only=HIDDEN, operator=OK,
    operator_partner=OK,
)  # fmt: skip
#: any valid intake key, whatever its scopes (the crossing point codes)
ANY_PARTNER = row(
    owner=OK, other_partner=OK, writer_only=OK, reader_only=OK, operator=OK, operator_partner=OK
)
#: changes need no scope beyond owning the person; whoever does not own it sees nothing
CHANGE_A_PERSON = row(
    owner=OK, other_partner=HIDDEN, writer_only=HIDDEN, reader_only=HIDDEN, operator=OK,
    operator_partner=OK,
)  # fmt: skip
#: a device of partner A: A or an operator may revoke it; other partners are told nothing
REVOKE_A_DEVICE = row(
    owner=OK, other_partner=HIDDEN, writer_only=HIDDEN, reader_only=FORBIDDEN, operator=OK,
    operator_partner=OK,
)  # fmt: skip

INFRA = {
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /asyncapi.json": PUBLIC,
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
}

MATRIX: dict[str, dict[str, dict[str, Expected]]] = {
    "intake": {
        **INFRA,
        "POST /v1/arrivals": REGISTER,
        "POST /v1/arrival-batches": REGISTER,
        "GET /v1/arrivals": LIST_OWN,
        "GET /v1/arrivals/{arrival_id}": READ_A_CASE,
        "GET /v1/persons/{person_id}": READ_A_CASE,
        "POST /v1/persons/{person_id}/consents": CHANGE_A_PERSON,
        "POST /v1/persons/{person_id}/corrections": CHANGE_A_PERSON,
        "POST /v1/persons/{person_id}/departure": CHANGE_A_PERSON,
        "POST /v1/persons/{person_id}/erasure": INTAKE_OPERATOR_ONLY,
        "POST /v1/merges": INTAKE_OPERATOR_ONLY,
        "POST /v1/merges/{duplicate_person_id}/undo": INTAKE_OPERATOR_ONLY,
        "POST /v1/person-searches": INTAKE_OPERATOR_ONLY,
        "GET /v1/duplicates": INTAKE_OPERATOR_ONLY,
        "GET /v1/statistics/arrivals": INTAKE_OPERATOR_ONLY,
        "POST /v1/partners": INTAKE_OPERATOR_ONLY,
        "POST /v1/partners/{partner_id}/key-rotation": INTAKE_OPERATOR_ONLY,
        "POST /v1/partners/{partner_id}/revocation": INTAKE_OPERATOR_ONLY,
        "GET /v1/crossing-points": ANY_PARTNER,
        "POST /v1/crossing-points": INTAKE_OPERATOR_ONLY,
        "POST /v1/devices": REGISTER,
        "GET /v1/devices": REGISTER,
        "POST /v1/devices/{device_id}/revocation": REVOKE_A_DEVICE,
        "POST /v1/arrival-imports": REGISTER,
        "GET /v1/arrival-imports/template": PUBLIC,
        "GET /v1/arrivals/{arrival_id}/placement": READ_A_CASE,
        "GET /v1/arrivals/{arrival_id}/slip": READ_A_CASE,
        "GET /app/{asset:path}": PUBLIC,  # the field app's files carry no data
    },
    "housing": {
        **INFRA,
        "GET /board": PUBLIC,  # the page carries no data; its data needs the operator key
        "GET /board/{asset}": PUBLIC,
        "GET /v1/board": OPERATOR_ONLY,
        "POST /v1/shelters": OPERATOR_ONLY,
        "POST /v1/shelters/{shelter_id}/units": OPERATOR_ONLY,
        "POST /v1/shelters/{shelter_id}/units/{unit_id}/capacity": OPERATOR_ONLY,
        "POST /v1/shelters/{shelter_id}/status": OPERATOR_ONLY,
        "POST /v1/host-offers": OPERATOR_ONLY,
        "POST /v1/host-offers/{shelter_id}/verification": OPERATOR_ONLY,
        "POST /v1/host-offers/{shelter_id}/withdrawal": OPERATOR_ONLY,
        "GET /v1/shelters": OPERATOR_ONLY,
        "GET /v1/shelters/{shelter_id}": OPERATOR_ONLY,
        "GET /v1/shelters/{shelter_id}/occupants": OPERATOR_ONLY,
        "GET /v1/placements/{person_id}": OPERATOR_ONLY,
        "GET /v1/persons/{person_id}/placements": OPERATOR_ONLY,
        "GET /v1/waitlist": OPERATOR_ONLY,
        "GET /v1/due-out": OPERATOR_ONLY,
        "POST /v1/persons/{person_id}/move": OPERATOR_ONLY,
        "POST /v1/shelters/{shelter_id}/check-ins": STAFF,
        "POST /v1/shelters/{shelter_id}/check-outs": STAFF,
        "GET /v1/shelters/{shelter_id}/desk": STAFF,
    },
    "aid": {
        **INFRA,
        "POST /v1/donations": AID_OPERATOR_ONLY,
        "POST /v1/transfers": AID_OPERATOR_ONLY,
        "POST /v1/write-offs": AID_OPERATOR_ONLY,
        "GET /v1/stock": AID_OPERATOR_ONLY,
        "GET /v1/stock/{site_id}/{item}/movements": AID_OPERATOR_ONLY,
        "GET /v1/items": AID_OPERATOR_ONLY,
        "POST /v1/items/{item}/rules": AID_OPERATOR_ONLY,
        "POST /v1/distributions": ISSUE_AT_A_SITE,
        "GET /v1/entitlements/{person_id}": READ_ENTITLEMENTS,
        "GET /v1/slips/{code}": READ_ENTITLEMENTS,
        "POST /v1/support-requests": AID_OPERATOR_ONLY,
        "GET /v1/support-requests": AID_OPERATOR_ONLY,
        "GET /v1/support-requests/{request_id}": AID_OPERATOR_ONLY,
        "POST /v1/support-requests/{request_id}/withdrawal": AID_OPERATOR_ONLY,
        "POST /v1/offers": AID_OPERATOR_ONLY,
        "GET /v1/offers": AID_OPERATOR_ONLY,
        "POST /v1/offers/{offer_id}/withdrawal": AID_OPERATOR_ONLY,
        "GET /v1/matches": AID_OPERATOR_ONLY,
        "POST /v1/matches/{match_id}/acceptance": AID_OPERATOR_ONLY,
        "POST /v1/matches/{match_id}/completion": AID_OPERATOR_ONLY,
        "POST /v1/matches/{match_id}/withdrawal": AID_OPERATOR_ONLY,
        "GET /v1/reports/daily-totals": AID_OPERATOR_ONLY,
    },
}

#: who may read partner A's case and so see the canary
MAY_READ_A = frozenset({"owner", "operator", "operator_partner"})


def routes_of(app: FastAPI) -> list[str]:
    """Every route the app serves, as "METHOD /path" (HEAD rides along with GET)."""
    found = []
    for route in iter_route_contexts(app.routes):
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append(f"{method} {route.path}")
    return found


@dataclass
class World:
    """Real things for the path parameters to point at, and a key per role."""

    keys: dict[str, str | None]
    ids: dict[str, str] = field(default_factory=dict)
    #: people of partner A, handed out one per (route, role) that changes them
    spare_people: list[str] = field(default_factory=list)
    #: merged duplicates of A, one per role allowed to undo a merge
    merged: list[str] = field(default_factory=list)
    #: partners whose keys an operator may rotate or revoke (never a role's own)
    spare_partners: list[str] = field(default_factory=list)
    #: people holding a place in shelter S, and people checked in there
    held: list[str] = field(default_factory=list)
    checked_in: list[str] = field(default_factory=list)
    #: devices of partner A, one per role that may reach one to revoke
    devices: list[str] = field(default_factory=list)
    #: aid: matches proposed, matches accepted, support requests, offers
    proposed: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)

    def spare(self, pool: list[str]) -> str:
        assert pool, "the setup made too few of these"
        return pool.pop()


OPERATOR = {"X-API-Key": OPERATOR_KEY}
STAFF_KEYS = {"camp-staff": "staff-key-camp", "gym-staff": "staff-key-gym"}
SITE_KEYS = {"atameken-camp": "site-key-camp", "gym-5": "site-key-gym"}


async def registered(services: RunningServices, key: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await services.intake.post(
        "/v1/arrivals", json=body, headers={"X-API-Key": key, "Idempotency-Key": str(uuid4())}
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def posted(client: httpx.AsyncClient, path: str, body: Any = None) -> dict[str, Any]:
    answer = await client.post(
        path, json=body, headers={**OPERATOR, "Idempotency-Key": str(uuid4())}
    )
    assert answer.status_code in (200, 201), f"{path}: {answer.text}"
    return dict(answer.json())


async def build_world(services: RunningServices) -> World:
    services.apps["housing"].state.runtime.settings.staff_api_keys = {
        partner: SecretStr(key) for partner, key in STAFF_KEYS.items()
    }
    services.apps["aid"].state.runtime.settings.site_api_keys = {
        site: SecretStr(key) for site, key in SITE_KEYS.items()
    }
    async with services.pool("intake").acquire() as conn:
        write, read = Scope.REGISTER_ARRIVALS, Scope.READ_OWN_CASES
        keys: dict[str, str | None] = {
            "anonymous": None,
            "unknown_key": "rk_nobody-issued-this-key",
            "owner": services.partner_key,  # wp-test: arrivals:write and cases:read
            "other_partner": await create_partner(conn, "wp-other", "Other", {write, read}),
            "writer_only": await create_partner(conn, "wp-writer", "Writer", {write}),
            "reader_only": await create_partner(conn, "wp-reader", "Reader", {read}),
            "revoked": await create_partner(conn, "wp-revoked", "Revoked", {write, read}),
            "rotated_out": await create_partner(conn, "wp-rotated", "Rotated", {write, read}),
            "operator": OPERATOR_KEY,
            "operator_partner": await create_partner(conn, "cc-desk", "Desk", {Scope.OPERATOR}),
            "shelter_staff": STAFF_KEYS["camp-staff"],
            "other_staff": STAFF_KEYS["gym-staff"],
            "site": SITE_KEYS["atameken-camp"],
            "other_site": SITE_KEYS["gym-5"],
        }
        await revoke(conn, "wp-revoked")
        assert await rotate_key(conn, "wp-rotated") is not None  # the old key is now out
        devices = []
        for index in range(6):
            device = await issue(conn, "wp-test", f"phone {index}", "partner:wp-test")
            assert device is not None
            devices.append(str(device.device_id))
        spare_partners = []
        for index in range(4):
            await create_partner(conn, f"wp-spare-{index}", "Spare", {write})
            spare_partners.append(f"wp-spare-{index}")
    world = World(keys=keys, spare_partners=spare_partners, devices=devices)
    owner = services.partner_key

    # housing: shelter S (run by camp-staff) takes everyone A registers; others come later
    shelter = await posted(services.housing, "/v1/shelters", {
        "name": "Camp", "kind": "camp_dormitory", "district": "Zachagansk", "beds": 40,
        "contact_partner_id": "camp-staff",
    })  # fmt: skip
    world.ids["shelter"] = shelter["shelter_id"]

    case = await registered(services, owner, arrival(person(given=CANARY)))
    world.ids["arrival"] = case["arrival_id"]
    world.ids["person"] = case["person_ids"][0]
    singles = []
    for index in range(24):
        single = arrival(person(given=f"Запасной{index}", family=f"Номер{index}"))
        spare = await registered(services, owner, single)
        singles.extend(spare["person_ids"])
    for index in range(2):  # a pair per role allowed to undo a merge
        kept = await registered(services, owner, arrival(person(given=f"Оставшийся{index}")))
        duplicate = await registered(services, owner, arrival(person(given=f"Двойник{index}")))
        await posted(services.intake, "/v1/merges", {
            "duplicate_person_id": duplicate["person_ids"][0],
            "kept_person_id": kept["person_ids"][0], "reason": "same passport, twice",
        })  # fmt: skip
        world.merged.append(duplicate["person_ids"][0])

    # wait until housing has placed A's people in S (held) and aid knows them
    people = [world.ids["person"], *singles]

    async def all_placed() -> bool:
        async with services.pool("housing").acquire() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM placements WHERE person_id = ANY($1::uuid[]) "
                "AND status = 'held'",
                people,
            )
        return bool(count == len(people))

    async def all_known_to_aid() -> bool:
        async with services.pool("aid").acquire() as conn:
            count = await conn.fetchval(
                "SELECT count(*) FROM beneficiaries WHERE person_id = ANY($1::uuid[])", people
            )
        return bool(count == len(people))

    await eventually(all_placed, what="housing to place A's people")
    await eventually(all_known_to_aid, what="aid to know A's people")
    world.checked_in, world.held = singles[:4], singles[4:8]
    travellers, world.spare_people = singles[8:12], singles[12:]
    for person_id in world.checked_in:
        await posted(services.housing, f"/v1/shelters/{world.ids['shelter']}/check-ins",
                     {"person_id": person_id})  # fmt: skip

    other = await posted(services.housing, "/v1/shelters", {
        "name": "Gym 5", "kind": "gym", "district": "Centre",
        "units": [{"name": "Hall", "places": 30}], "contact_partner_id": "gym-staff",
    })  # fmt: skip
    world.ids["other_shelter"] = other["shelter_id"]
    view = await services.housing.get(f"/v1/shelters/{other['shelter_id']}", headers=OPERATOR)
    world.ids["unit"] = view.json()["units"][0]["unit_id"]
    closing = await posted(services.housing, "/v1/shelters", {
        "name": "Cinema", "kind": "cinema", "district": "Centre", "beds": 10,
    })  # fmt: skip
    world.ids["closing_shelter"] = closing["shelter_id"]
    for name in ("verified_offer", "withdrawn_offer"):
        host = await posted(services.housing, "/v1/host-offers", {
            "partner_id": "hosts-oral", "district": "Centre", "places": 2,
            "available_from": "2022-09-24", "available_until": "2022-12-24",
        })  # fmt: skip
        world.ids[name] = host["shelter_id"]

    # aid: stock at a site, a request to withdraw, an offer to withdraw, three matches
    await posted(services.aid, "/v1/donations", {
        "site_id": "atameken-camp", "item": "hot_meal", "quantity": 500, "unit": "portion",
        "donor_kind": "business", "expires_on": "2099-12-31",
    })  # fmt: skip
    ride = await posted(services.aid, "/v1/offers", {
        "kind": "ride", "partner": "Drivers of Oral", "title": "Car to Yerevan",
        "country": "AM", "city": "Yerevan", "places": 3,
    })  # fmt: skip
    for traveller in travellers[:3]:
        asked = await posted(services.aid, "/v1/support-requests", {
            "kind": "onward_travel", "person_id": traveller, "destination_country": "AM",
        })  # fmt: skip
        world.ids["request"] = asked["request_id"]
        world.proposed.extend(proposal["match_id"] for proposal in asked["proposed"])
    assert len(world.proposed) == 3 and ride["offer_id"]
    accepted = world.proposed.pop()
    await posted(services.aid, f"/v1/matches/{accepted}/acceptance")
    world.accepted.append(accepted)
    lonely = await posted(services.aid, "/v1/support-requests", {
        "kind": "onward_travel", "person_id": travellers[3], "destination_country": "NO",
    })  # fmt: skip
    world.ids["request_to_withdraw"] = lonely["request_id"]
    unwanted = await posted(services.aid, "/v1/offers", {
        "kind": "ticket", "partner": "Rail", "title": "Ticket to Almaty", "country": "KZ",
    })  # fmt: skip
    world.ids["offer_to_withdraw"] = unwanted["offer_id"]
    return world


@dataclass(frozen=True)
class Call:
    path: str
    body: Any = None
    params: dict[str, Any] | None = None
    files: dict[str, tuple[str, bytes]] | None = None


#: how each route is called by a role: real ids in the path, a valid body. A call that
#: changes something takes its own target per role, so one role's success does not turn the
#: next role's call into a domain refusal
CALLS: dict[str, Callable[[World, str], Call]] = {
    "GET /board/{asset}": lambda w, r: Call("/board/board.css"),
    # intake
    "POST /v1/arrivals": lambda w, r: Call("/v1/arrivals", arrival(person(given=f"Новый{r}"))),
    "POST /v1/arrival-batches": lambda w, r: Call("/v1/arrival-batches", {"items": [
        {"idempotency_key": f"batch-{r}-{uuid4()}", "arrival": arrival()}]}),
    "GET /v1/arrivals/{arrival_id}": lambda w, r: Call(f"/v1/arrivals/{w.ids['arrival']}"),
    "GET /v1/persons/{person_id}": lambda w, r: Call(f"/v1/persons/{w.ids['person']}"),
    "POST /v1/persons/{person_id}/consents": lambda w, r: Call(
        f"/v1/persons/{w.ids['person']}/consents",
        {"purpose": "anonymous_statistics", "given": True}),
    "POST /v1/persons/{person_id}/corrections": lambda w, r: Call(
        f"/v1/persons/{w.ids['person']}/corrections",
        {"field": "family_name", "value": f"Смирнова-{r}", "reason": "misread at the border"}),
    "POST /v1/persons/{person_id}/departure": lambda w, r: Call(
        f"/v1/persons/{w.spare(w.spare_people)}/departure",
        {"reason": "moved_on_to_another_country"}),
    "POST /v1/persons/{person_id}/erasure": lambda w, r: Call(
        f"/v1/persons/{w.spare(w.spare_people)}/erasure", {"reason": "the person asked"}),
    "POST /v1/merges": lambda w, r: Call("/v1/merges", {
        "duplicate_person_id": w.spare(w.spare_people),
        "kept_person_id": w.spare(w.spare_people), "reason": "same passport, twice"}),
    "POST /v1/merges/{duplicate_person_id}/undo": lambda w, r: Call(
        f"/v1/merges/{w.spare(w.merged)}/undo"),
    "POST /v1/person-searches": lambda w, r: Call("/v1/person-searches", {"name": CANARY}),
    "POST /v1/partners": lambda w, r: Call("/v1/partners", {
        "partner_id": f"wp-new-{r.replace('_', '-')}", "name": "New"}),
    "POST /v1/partners/{partner_id}/key-rotation": lambda w, r: Call(
        f"/v1/partners/{w.spare(w.spare_partners)}/key-rotation"),
    "POST /v1/crossing-points": lambda w, r: Call("/v1/crossing-points", {
        "code": f"cp-{r.replace('_', '-')}", "name": "New"}),
    "POST /v1/partners/{partner_id}/revocation": lambda w, r: Call(
        f"/v1/partners/{w.spare(w.spare_partners)}/revocation"),
    "POST /v1/devices": lambda w, r: Call("/v1/devices", {
        "label": f"phone of {r}", **({"partner_id": "wp-test"} if "operator" in r else {})}),
    "POST /v1/devices/{device_id}/revocation": lambda w, r: Call(
        f"/v1/devices/{w.spare(w.devices)}/revocation"),
    "POST /v1/arrival-imports": lambda w, r: Call("/v1/arrival-imports", files={"file": (
        "arrivals.csv", "arrival_date,crossing_point,family_name,given_name,birth_date,sex\n"
        f"2022-09-24,syrym,Импортов,{r},1990-01-01,male\n".encode())}),
    "GET /v1/arrivals/{arrival_id}/placement": lambda w, r: Call(
        f"/v1/arrivals/{w.ids['arrival']}/placement"),
    "GET /v1/arrivals/{arrival_id}/slip": lambda w, r: Call(
        f"/v1/arrivals/{w.ids['arrival']}/slip"),
    "GET /app/{asset:path}": lambda w, r: Call("/app/index.html"),
    # housing
    "POST /v1/shelters": lambda w, r: Call("/v1/shelters", {
        "name": f"New {r}", "kind": "gym", "district": "Centre", "beds": 5}),
    "POST /v1/shelters/{shelter_id}/units": lambda w, r: Call(
        f"/v1/shelters/{w.ids['other_shelter']}/units", {"name": f"Room {r}", "places": 4}),
    "POST /v1/shelters/{shelter_id}/units/{unit_id}/capacity": lambda w, r: Call(
        f"/v1/shelters/{w.ids['other_shelter']}/units/{w.ids['unit']}/capacity",
        {"places": 31}),
    "POST /v1/shelters/{shelter_id}/status": lambda w, r: Call(
        f"/v1/shelters/{w.ids['closing_shelter']}/status", {"status": "closed"}),
    "POST /v1/host-offers": lambda w, r: Call("/v1/host-offers", {
        "partner_id": "hosts-oral", "district": "Centre", "places": 2,
        "available_from": "2022-09-24", "available_until": "2022-12-24"}),
    "POST /v1/host-offers/{shelter_id}/verification": lambda w, r: Call(
        f"/v1/host-offers/{w.ids['verified_offer']}/verification"),
    "POST /v1/host-offers/{shelter_id}/withdrawal": lambda w, r: Call(
        f"/v1/host-offers/{w.ids['withdrawn_offer']}/withdrawal"),
    "GET /v1/shelters/{shelter_id}": lambda w, r: Call(f"/v1/shelters/{w.ids['shelter']}"),
    "GET /v1/shelters/{shelter_id}/occupants": lambda w, r: Call(
        f"/v1/shelters/{w.ids['shelter']}/occupants", params={"at": "2030-01-01T00:00:00+05:00"}),
    "GET /v1/placements/{person_id}": lambda w, r: Call(f"/v1/placements/{w.ids['person']}"),
    "GET /v1/persons/{person_id}/placements": lambda w, r: Call(
        f"/v1/persons/{w.ids['person']}/placements"),
    "POST /v1/persons/{person_id}/move": lambda w, r: Call(
        f"/v1/persons/{w.spare(w.held)}/move",
        {"to_shelter_id": w.ids["other_shelter"], "reason": "a family room was free"}),
    "POST /v1/shelters/{shelter_id}/check-ins": lambda w, r: Call(
        f"/v1/shelters/{w.ids['shelter']}/check-ins", {"person_id": w.spare(w.held)}),
    "POST /v1/shelters/{shelter_id}/check-outs": lambda w, r: Call(
        f"/v1/shelters/{w.ids['shelter']}/check-outs", {"person_id": w.spare(w.checked_in)}),
    "GET /v1/shelters/{shelter_id}/desk": lambda w, r: Call(
        f"/v1/shelters/{w.ids['shelter']}/desk"),
    # aid
    "POST /v1/donations": lambda w, r: Call("/v1/donations", {
        "site_id": "gym-5", "item": "hygiene_kit", "quantity": 40, "unit": "kit",
        "donor_kind": "ngo"}),
    "POST /v1/transfers": lambda w, r: Call("/v1/transfers", {
        "item": "hot_meal", "quantity": 5, "from_site_id": "atameken-camp",
        "to_site_id": "gym-5"}),
    "POST /v1/write-offs": lambda w, r: Call("/v1/write-offs", {
        "site_id": "atameken-camp", "item": "hot_meal", "quantity": 1, "reason": "spoiled"}),
    "GET /v1/stock/{site_id}/{item}/movements": lambda w, r: Call(
        "/v1/stock/atameken-camp/hot_meal/movements"),
    "POST /v1/items/{item}/rules": lambda w, r: Call("/v1/items/bedding/rules", {
        "per": "person", "max_per_day": 1, "min_interval_hours": 0, "residents_only": False,
        "vulnerable_first": True, "total_cap": 2, "low_stock_level": 5}),
    "POST /v1/distributions": lambda w, r: Call("/v1/distributions", {
        "person_id": w.ids["person"] if r == "operator" else w.spare(w.spare_people),
        "item": "hot_meal", "site_id": "atameken-camp"}),
    "GET /v1/entitlements/{person_id}": lambda w, r: Call(f"/v1/entitlements/{w.ids['person']}"),
    "GET /v1/slips/{code}": lambda w, r: Call(f"/v1/slips/{w.ids['person'][:13]}"),
    "POST /v1/support-requests": lambda w, r: Call("/v1/support-requests", {
        "kind": "job_search", "person_id": w.ids["person"], "profession": "driver"}),
    "GET /v1/support-requests/{request_id}": lambda w, r: Call(
        f"/v1/support-requests/{w.ids['request']}"),
    "POST /v1/support-requests/{request_id}/withdrawal": lambda w, r: Call(
        f"/v1/support-requests/{w.ids['request_to_withdraw']}/withdrawal", {}),
    "POST /v1/offers": lambda w, r: Call("/v1/offers", {
        "kind": "job", "partner": "Oral IT hub", "title": "Backend developer", "profession": "it",
        "country": "KZ"}),
    "POST /v1/offers/{offer_id}/withdrawal": lambda w, r: Call(
        f"/v1/offers/{w.ids['offer_to_withdraw']}/withdrawal"),
    "POST /v1/matches/{match_id}/acceptance": lambda w, r: Call(
        f"/v1/matches/{w.spare(w.proposed)}/acceptance"),
    "POST /v1/matches/{match_id}/completion": lambda w, r: Call(
        f"/v1/matches/{w.spare(w.accepted)}/completion"),
    "POST /v1/matches/{match_id}/withdrawal": lambda w, r: Call(
        f"/v1/matches/{w.spare(w.proposed)}/withdrawal", {}),
    "GET /v1/reports/daily-totals": lambda w, r: Call(
        "/v1/reports/daily-totals", params={"day": "2022-09-26"}),
}  # fmt: skip


def call_for(route: str, world: World, role: str, expected: Expected) -> Call:
    """A role that may act, or that must be told "not found", gets the real target; a role
    refused at the door gets invented ids, so it uses up no target another role needs."""
    make = CALLS.get(route)
    if make is None:
        return Call(route.split(" ", 1)[1])
    return make(world if expected in (OK, HIDDEN) else decoy(world), role)


def decoy(world: World) -> World:
    def invented(count: int = 2) -> list[str]:
        return [str(uuid4()) for _ in range(count)]

    return World(
        keys={}, ids=dict(world.ids), spare_people=invented(), merged=invented(),
        spare_partners=["wp-nobody"], held=invented(), checked_in=invented(),
        proposed=invented(), accepted=invented(), devices=invented(),
    )  # fmt: skip


def answer_class(status: int) -> Expected:
    return OK if 200 <= status < 300 else status


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
async def test_every_route_has_a_row_in_the_matrix(services: RunningServices, service: str) -> None:
    served = routes_of(services.apps[service])

    assert sorted(served) == sorted(MATRIX[service]), "a route without a row, or a stale row"
    templated = [route for route in served if "{" in route]
    assert all(route in CALLS for route in templated), "a route with ids but no real target"


@pytest.mark.parametrize("service", ["intake", "housing", "aid"])
async def test_every_role_gets_the_answer_the_matrix_says_on_every_route(
    services: RunningServices, service: str
) -> None:
    world = await build_world(services)
    client = services.client(service)
    wrong: list[str] = []
    leaks: list[str] = []
    cases = 0
    for route in routes_of(services.apps[service]):
        method = route.split(" ", 1)[0]
        # the roles allowed go last, so a refused call could not hide behind a changed state
        for role, expected in sorted(MATRIX[service][route].items(), key=lambda i: i[1] == OK):
            cases += 1
            call = call_for(route, world, role, expected)
            key = world.keys[role]
            headers = {"X-API-Key": key} if key else {}
            if method == "POST":
                headers["Idempotency-Key"] = f"matrix-{uuid4()}"
            answer = await client.request(
                method, call.path, json=call.body, params=call.params, headers=headers,
                files=call.files,
            )  # fmt: skip
            got = answer_class(answer.status_code)
            if got != expected:
                wrong.append(f"{route} as {role}: {got}, expected {expected}: {answer.text[:160]}")
            if role not in MAY_READ_A and CANARY in answer.text:
                leaks.append(f"{route} as {role} shows partner A's person")
            if got != OK:
                assert answer.headers["content-type"].startswith("application/problem+json")

    assert not leaks, leaks
    assert not wrong, "\n".join(wrong)
    assert cases == len(MATRIX[service]) * len(ROLES)


async def test_another_shelters_staff_replaying_the_runners_idempotency_key_is_not_answered(
    services: RunningServices,
) -> None:
    world = await build_world(services)
    guest = world.held[0]
    path = f"/v1/shelters/{world.ids['shelter']}/check-ins"
    runner = await services.housing.post(path, json={"person_id": guest}, headers={
        "X-API-Key": STAFF_KEYS["camp-staff"], "Idempotency-Key": "door-1"})  # fmt: skip
    replayed = await services.housing.post(path, json={"person_id": guest}, headers={
        "X-API-Key": STAFF_KEYS["gym-staff"], "Idempotency-Key": "door-1"})  # fmt: skip

    assert runner.status_code == 200 and runner.json() == {"changed": True}
    # the stored answer is the runner's: the other shelter's staff must not learn of it
    assert replayed.status_code == 404, replayed.text


async def test_a_site_key_is_told_which_key_other_routes_need_and_issues_in_its_own_name(
    services: RunningServices,
) -> None:
    world = await build_world(services)
    site = {"X-API-Key": SITE_KEYS["atameken-camp"]}
    refused = await services.aid.get("/v1/support-requests", headers=site)
    issued = await services.aid.post("/v1/distributions", json={
        "person_id": world.spare_people[0], "item": "hot_meal", "site_id": "atameken-camp",
    }, headers={**site, "Idempotency-Key": "counter-1"})  # fmt: skip

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "needs the operator key" in refused.json()["detail"]
    assert issued.status_code == 201, issued.text
    async with services.pool("aid").acquire() as conn:
        actors = await conn.fetch(
            "SELECT DISTINCT data->>'actor' AS actor FROM events "
            "WHERE event_type IN ('AidIssued', 'StockIssued')"
        )
    assert [row["actor"] for row in actors] == ["site:atameken-camp"]


async def test_a_site_replaying_the_operators_idempotency_key_is_not_given_its_answer(
    services: RunningServices,
) -> None:
    world = await build_world(services)
    body = {"person_id": world.spare_people[0], "item": "hot_meal", "site_id": "atameken-camp"}
    first = await services.aid.post(
        "/v1/distributions", json=body, headers={**OPERATOR, "Idempotency-Key": "counter-7"}
    )
    replayed = await services.aid.post("/v1/distributions", json=body, headers={
        "X-API-Key": SITE_KEYS["atameken-camp"], "Idempotency-Key": "counter-7"})  # fmt: skip

    assert first.status_code == 201, first.text
    # decided afresh, as the site's own request: the rules refuse a second meal within hours
    assert replayed.status_code == 422, replayed.text
    assert replayed.json()["rule"] is not None
