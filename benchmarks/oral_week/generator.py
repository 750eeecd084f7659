"""The Oral week, 21-27 September 2022, as partners, operators and volunteers would post it.

Seeded and reproducible: the same ``people`` and ``seed`` give the same shelters, arrivals,
donations, offers and fates, byte for byte. Arrivals are produced day by day and partner by
partner as iterators, so the week's 100,000 people are never held as JSON all at once; what
the runner keeps of a person afterwards is their :class:`MemberFate` (a few fields).

``people`` scales everything: shelters, donations, offers and the arrival curve keep the
proportions of the full week, so ``people=2000`` is a faithful miniature of ``people=100000``.
All names are invented.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.schemas.intake import DepartureReason

FULL_WEEK_PEOPLE = 100_000
FIRST_DAY = date(2022, 9, 21)  # the day mobilisation was announced
DAYS = 7
#: share of the week's people crossing on each day: a surge peaking mid-week (24-25 Sept)
ARRIVAL_CURVE = (0.04, 0.09, 0.15, 0.22, 0.21, 0.17, 0.12)

#: crossing point -> (share of people, welcome point that registers them)
CROSSINGS: dict[str, tuple[float, str]] = {
    "syrym": (0.50, "wp-syrym"),  # Mashtakovo-Syrym, the main road crossing
    "taskala": (0.18, "wp-taskala"),
    "zhanibek": (0.07, "wp-taskala"),
    "oral-railway": (0.17, "wp-railway"),
    "oral-airport": (0.08, "wp-railway"),
}
#: the welcome points that post arrivals (one concurrent uploader each)
PARTNERS: dict[str, str] = {
    "wp-syrym": "Welcome point at the Syrym crossing",
    "wp-taskala": "Welcome point Taskala",
    "wp-railway": "Welcome desk at Oral railway station",
    "wp-volunteers": "Oral volunteers' coordination chat",
}
#: share of arrivals registered by the volunteers' chat rather than the crossing's welcome point
VOLUNTEER_SHARE = 0.12

#: group kind -> share of arrivals (not of people)
GROUP_KINDS = (("alone", 0.58), ("couple", 0.15), ("friends", 0.18), ("family", 0.09))
#: friends travel in cars and minivans: 3 to 12, smaller groups far more common
FRIEND_SIZES = tuple(range(3, 13))
FRIEND_WEIGHTS = (30, 24, 14, 9, 7, 5, 4, 3, 2, 2)
MAX_GROUP = 12

#: adults whose only document is the internal Russian passport (Kazakhstan let them in with it)
INTERNAL_PASSPORT_ONLY = 0.32
#: people who leave Oral during the week, and when (days after arrival)
LEAVES_SHARE = 0.40
LEAVE_AFTER_DAYS = (1, 5)
#: of those who leave: reason -> share; onward travel abroad gets a support request at aid
DEPARTURE_REASONS = (
    (DepartureReason.MOVED_ON_TO_ANOTHER_COUNTRY, 0.55),
    (DepartureReason.MOVED_ON_TO_ANOTHER_CITY, 0.30),
    (DepartureReason.FOUND_OWN_HOUSING, 0.12),
    (DepartureReason.RETURNED, 0.03),
)
ONWARD_REQUEST_SHARE = 0.7  # of those moving abroad, how many ask aid for help
DESTINATIONS = (
    ("GE", "Tbilisi"), ("AM", "Yerevan"), ("TR", "Istanbul"), ("AE", "Dubai"),
    ("RS", "Belgrade"), ("KG", "Bishkek"), ("UZ", "Tashkent"), ("IL", "Tel Aviv"),
    ("DE", "Berlin"), ("MN", "Ulaanbaatar"),
)  # fmt: skip
JOB_SEARCH_SHARE = 0.10  # adults who stay and look for work
TURNS_UP_SHARE = 0.92  # people given a place who reach it and are checked in

MALE = (
    "Алексей", "Дмитрий", "Иван", "Сергей", "Андрей", "Максим", "Никита", "Артём", "Павел",
    "Олег", "Егор", "Михаил", "Кирилл", "Роман", "Денис", "Илья", "Владимир", "Глеб",
)  # fmt: skip
FEMALE = (
    "Мария", "Анна", "Екатерина", "Ольга", "Татьяна", "Юлия", "Наталья", "Ксения", "Дарья",
    "Елена", "Светлана", "Алина", "Вера", "Полина",
)  # fmt: skip
FAMILY = (
    "Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков",
    "Морозов", "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов",
    "Голубев", "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев",
)  # fmt: skip
PATRONYMIC = ("Алексеевич", "Дмитриевич", "Иванович", "Сергеевич", "Андреевич", "Олегович")
#: profession as a person states it -> the tag aid matches jobs on
PROFESSIONS = (
    ("backend developer", "software_developer"), ("welder", "welder"),
    ("teacher", "teacher"), ("nurse", "nurse"), ("truck driver", "driver"),
    ("accountant", "accountant"), ("electrician", "electrician"),
    ("designer", "designer"), ("mechanic", "mechanic"), ("student", "student"),
)  # fmt: skip
SKILLS = ("python", "first_aid", "driving_licence_c", "english", "plumbing", "cooking")

# ---------------------------------------------------------------------------- shelters


@dataclass(frozen=True)
class ShelterKindPlan:
    """One kind of place at full scale: how many, their units, from which day of the week."""

    kind: str
    names: tuple[str, ...]
    count: int  # shelters of this kind at 100,000 people
    units: tuple[int, int]  # units per shelter, min-max
    places: tuple[int, int]  # places per unit, min-max
    attributes: tuple[str, ...] = ()
    opens_on: int = 0  # day of the week (0 = 21 Sept) the town opened such places
    max_nights: int | None = None
    district: str = "Centre"


#: Oral's places, September 2022, at the full week's scale: about 23,000 places for 100,000
#: people over a week, of whom up to ~55,000 are in town at the peak, so a waitlist forms
SHELTER_KINDS = (
    ShelterKindPlan("camp_dormitory", ("Atameken summer camp", "Camp Zhaiyk", "Camp Rodnik"),
                    4, (40, 60), (12, 12), district="Zachagansk"),
    ShelterKindPlan("hotel", ("Hotel Pushkin", "Hotel Chagala", "Hotel Dostyk", "Hotel Ural"),
                    55, (20, 80), (2, 4), ("family_room", "children_allowed")),
    ShelterKindPlan("hostel", ("Hostel Central", "Hostel Station", "Backpackers Oral"),
                    35, (3, 6), (6, 10)),
    ShelterKindPlan("mosque", ("Central mosque", "Mosque Nur", "Mosque Zachagansk"),
                    12, (1, 1), (100, 200), opens_on=2, max_nights=3),
    ShelterKindPlan("church", ("Church of Michael Archangel", "Church of St Nicholas"),
                    5, (1, 1), (60, 100), opens_on=2, max_nights=3),
    ShelterKindPlan("gym", ("School gym", "Sports hall Dinamo", "University gym"),
                    18, (1, 1), (80, 160), opens_on=3, max_nights=5),
    ShelterKindPlan("cinema", ("Cinema Arman",), 1, (1, 1), (300, 300), opens_on=4,
                    max_nights=2),
    ShelterKindPlan("rented_room", ("Village room, Derkul", "Village room, Podstepnoe",
                                    "Village room, Trekino"),
                    1_400, (1, 1), (1, 3), ("family_room", "children_allowed"), opens_on=2,
                    district="Villages"),
)  # fmt: skip
#: host homes come through a host network's offers (verified before they take anyone)
HOST_NETWORK = "wp-volunteers"
HOST_HOMES = 1_800  # offers over the week at full scale, 1-5 places each
HOST_HOME_PLACES = (1, 5)


@dataclass(frozen=True)
class ShelterPlan:
    opens_on: int
    key: str  # stable: the Idempotency-Key of its opening
    body: dict[str, Any]  # POST /v1/shelters, or POST /v1/host-offers when host_offer
    host_offer: bool = False

    @property
    def places(self) -> int:
        if self.host_offer:
            return int(self.body["places"])
        return sum(unit["places"] for unit in self.body["units"])


# ---------------------------------------------------------------------------- people


@dataclass(frozen=True, slots=True)
class Counter:
    """A visit to a distribution counter, ``after_days`` after the person's arrival."""

    after_days: int
    item: str
    site_id: str


@dataclass(frozen=True, slots=True)
class MemberFate:
    """What will happen to one arriving person during the week (decided at generation, so
    that the runner need keep only this, and the run stays reproducible)."""

    turns_up: bool
    leaves_after_days: int | None = None
    departure_reason: DepartureReason | None = None
    onward: dict[str, Any] | None = None  # body of an onward-travel request, minus person_id
    job_search: dict[str, Any] | None = None  # body of a job-search request, minus person_id
    counters: tuple[Counter, ...] = ()


@dataclass(frozen=True)
class PlannedArrival:
    day: int
    partner: str
    key: str  # the Idempotency-Key of this arrival
    body: dict[str, Any]  # POST /v1/arrivals (an item of /v1/arrival-batches)
    fates: tuple[MemberFate, ...]
    kind: str  # alone, couple, friends, family

    @property
    def people(self) -> int:
        return len(self.fates)


@dataclass(frozen=True)
class Donation:
    key: str
    body: dict[str, Any]


@dataclass
class DayPlan:
    day: int
    date: date
    people: int  # planned people crossing this day
    shelters: list[ShelterPlan]
    donations: list[Donation]
    offers: list[Donation]  # rides, tickets and jobs: POST /v1/offers, same shape


# ---------------------------------------------------------------------------- aid

#: distribution sites: where volunteers hand out what was brought
SITES = ("atameken-camp", "central-mosque", "gym-dinamo", "welcome-syrym", "red-crescent-oral")
UNITS = {"food_parcel": "parcel", "hot_meal": "portion", "hygiene_kit": "kit",
         "sim_card": "card", "bedding": "set", "warm_clothes": "set",
         "transport_ticket": "ticket", "cash_voucher": "voucher"}  # fmt: skip
#: item -> (share of the people in town who come for it per day, days after arrival it starts)
DAILY_DEMAND = {
    "hot_meal": (0.35, 0),
    "food_parcel": (0.25, 1),  # residents only: people checked in somewhere
    "hygiene_kit": (0.08, 0),
    "sim_card": (0.06, 0),
    "bedding": (0.05, 1),
    "warm_clothes": (0.04, 1),
}
#: donations cover this share of the expected demand (bedding is scarce: the vulnerable first)
DONATION_COVER = {"bedding": 0.7}
DEFAULT_COVER = 1.15
DONORS = ("local_volunteer", "business", "ngo", "municipality")


class OralWeek:
    """The week for ``people`` people, reproducible from ``seed``."""

    def __init__(self, people: int = FULL_WEEK_PEOPLE, seed: int = 2022) -> None:
        if people < 1:
            raise ValueError("people must be at least 1")
        self.people = people
        self.seed = seed
        self.scale = people / FULL_WEEK_PEOPLE
        self.people_per_day = _apportion(people, ARRIVAL_CURVE)
        self._shelters = self._all_shelters()

    # -- shelters

    def shelters(self) -> list[ShelterPlan]:
        return list(self._shelters)

    def capacity(self) -> int:
        return sum(shelter.places for shelter in self._shelters)

    def _all_shelters(self) -> list[ShelterPlan]:
        rng = random.Random(f"{self.seed}-shelters")
        plans: list[ShelterPlan] = []
        for kind in SHELTER_KINDS:
            wanted = kind.count * self.scale
            count = max(1, round(wanted))
            # below one shelter of the kind, keep its places proportional: fewer units, and
            # fewer places in a hall that is one unit (a mosque's floor, a gym)
            shrink = min(1.0, wanted)
            for number in range(count):
                full_units = rng.randint(*kind.units)
                units = max(1, round(full_units * shrink))
                place_shrink = min(1.0, full_units * shrink / units)
                unit_bodies = []
                for unit_number in range(units):
                    unit: dict[str, Any] = {
                        "name": f"{_unit_word(kind.kind)} {unit_number + 1}",
                        "places": max(1, round(rng.randint(*kind.places) * place_shrink)),
                    }
                    if kind.attributes and rng.random() < 0.5:
                        unit["attributes"] = list(kind.attributes)
                    if kind.kind == "hotel" and rng.random() < 0.1:
                        unit["attributes"] = [*unit.get("attributes", []), "accessible"]
                    unit_bodies.append(unit)
                name = f"{kind.names[number % len(kind.names)]} #{number + 1}"
                body: dict[str, Any] = {
                    "name": name, "kind": kind.kind, "district": kind.district,
                    "units": unit_bodies,
                }  # fmt: skip
                if kind.max_nights is not None:
                    body["max_nights"] = kind.max_nights
                key = f"oral-{self.seed}-shelter-{kind.kind}-{number}"
                plans.append(ShelterPlan(kind.opens_on, key, body))
        homes = max(1, round(HOST_HOMES * self.scale))
        districts = ("Derkul", "Zachagansk", "Centre", "Krasny Oktyabr")
        for number in range(homes):
            attributes = ["family_room", "children_allowed"] if rng.random() < 0.6 else []
            body = {
                "partner_id": HOST_NETWORK,
                "district": districts[number % len(districts)],
                "places": rng.randint(*HOST_HOME_PLACES),
                "attributes": attributes,
                "languages": ["ru", "kk"] if rng.random() < 0.5 else ["ru"],
                # the services keep wall-clock time (as for the donations' expiry): a home on
                # offer for the real week's dates would be out of its period today and take
                # nobody, and every placement read its free places again
                "available_from": date.today().isoformat(),
                "available_until": (date.today() + timedelta(days=30)).isoformat(),
            }
            # hosts come forward through the week as the news spreads
            opens_on = min(DAYS - 1, number * DAYS // homes)
            key = f"oral-{self.seed}-host-home-{number}"
            plans.append(ShelterPlan(opens_on, key, body, host_offer=True))
        return plans

    # -- the days

    def days(self) -> Iterator[DayPlan]:
        for day in range(DAYS):
            yield DayPlan(
                day=day,
                date=FIRST_DAY + timedelta(days=day),
                people=self.people_per_day[day],
                shelters=[s for s in self._shelters if s.opens_on == day],
                donations=self.donations(day),
                offers=self.offers(day),
            )

    def arrivals(self, day: int) -> Iterator[PlannedArrival]:
        """The day's arrivals in the order they cross, until the day's people are reached."""
        rng = random.Random(f"{self.seed}-arrivals-{day}")
        remaining = self.people_per_day[day]
        number = 0
        while remaining > 0:
            arrival = self._arrival(rng, day, number, remaining)
            remaining -= arrival.people
            number += 1
            yield arrival

    def _arrival(self, rng: random.Random, day: int, number: int, room: int) -> PlannedArrival:
        kind = _weighted(rng, GROUP_KINDS)
        crossing = _weighted(rng, [(name, share) for name, (share, _) in CROSSINGS.items()])
        partner = "wp-volunteers" if rng.random() < VOLUNTEER_SHARE else CROSSINGS[crossing][1]
        arrival_day = FIRST_DAY + timedelta(days=day)
        family = rng.choice(FAMILY)
        if kind == "alone":
            specs = [("self", "male" if rng.random() < 0.9 else "female", rng.randint(18, 40))]
            if rng.random() < 0.12:
                specs = [("self", "male", rng.randint(41, 62))]
        elif kind == "couple":
            age = rng.randint(20, 42)
            specs = [("self", "male", age),
                     ("spouse", "female", max(18, age + rng.randint(-5, 3)))]  # fmt: skip
        elif kind == "friends":
            size = rng.choices(FRIEND_SIZES, FRIEND_WEIGHTS)[0]
            specs = [("self", "male", rng.randint(19, 40))]
            specs += [
                ("friend", "male" if rng.random() < 0.88 else "female", rng.randint(19, 40))
                for _ in range(size - 1)
            ]
        else:
            age = rng.randint(27, 45)
            specs = [("self", "male", age)]
            if rng.random() < 0.8:
                specs.append(("spouse", "female", max(20, age + rng.randint(-6, 2))))
            specs += [("child", rng.choice(("male", "female")), rng.randint(0, 17))
                      for _ in range(rng.randint(1, 3))]  # fmt: skip
            if rng.random() < 0.1:
                specs.append(("parent", "female", rng.randint(62, 78)))
        specs = specs[: max(1, min(MAX_GROUP, room))]  # the day's last group may be cut short
        with_children = any(relation == "child" for relation, _, _ in specs)
        members = [
            self._member(rng, relation, sex, age, family, arrival_day, with_children)
            for relation, sex, age in specs
        ]
        key = f"oral-{self.seed}-d{day}-{number:06d}"
        consents = ["housing", "aid"] + (["anonymous_statistics"] if rng.random() < 0.6 else [])
        body = {
            "arrival_date": arrival_day.isoformat(),
            "crossing_point": crossing,
            "partner_reference": key.upper(),
            "keep_together": len(members) > 1 and (kind != "friends" or rng.random() < 0.8),
            "consents": consents,
            "members": members,
        }
        fates = tuple(self._fate(rng, member, day) for member in members)
        return PlannedArrival(day, partner, key, body, fates, kind)

    def _member(
        self,
        rng: random.Random,
        relation: str,
        sex: str,
        age: int,
        family: str,
        arrival_day: date,
        with_children: bool,
    ) -> dict[str, Any]:
        adult = age >= 18
        member: dict[str, Any] = {
            "given_name": rng.choice(MALE if sex == "male" else FEMALE),
            "family_name": family if sex == "male" else f"{family}а",
            "sex": sex,
            "relation": relation,
            "languages": ["ru"] + (["en"] if adult and rng.random() < 0.35 else []),
        }
        if sex == "male" and adult:
            member["patronymic"] = rng.choice(PATRONYMIC)
        if rng.random() < 0.92:
            born = arrival_day - timedelta(days=age * 365 + rng.randint(10, 355))
            member["birth_date"] = born.isoformat()
        else:
            member["age"] = age
        # a document number unique in the week (no false duplicates), but not sequential
        serial = rng.randint(1_000_000, 9_999_999)
        if not adult:
            member["documents"] = [{"type": "birth_certificate"}]
        elif rng.random() < INTERNAL_PASSPORT_ONLY:
            member["documents"] = [
                {"type": "russian_internal_passport", "number": f"{rng.randint(10, 99)}"
                 f"{rng.randint(10, 99)} {serial:07d}"[:40]}
            ]  # fmt: skip
        else:
            member["documents"] = [
                {"type": "foreign_passport", "number": f"{rng.randint(70, 77)} {serial:07d}",
                 "issuing_country": "RU",
                 "expiry": (arrival_day + timedelta(days=rng.randint(60, 3600))).isoformat()}
            ]  # fmt: skip
            if rng.random() < 0.4:
                member["documents"].append({"type": "russian_internal_passport"})
        if adult and rng.random() < 0.75:
            member["profession"] = rng.choice(PROFESSIONS)[0]
        if adult and rng.random() < 0.6:
            member["contact_phone"] = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)} 12 34"
        needs: list[str] = []
        if with_children:
            needs.append("family_with_children")
        if rng.random() < 0.015:
            needs.append("serious_illness")
        if rng.random() < 0.01:
            needs.append("victim_of_trauma")
        if sex == "female" and relation == "spouse" and rng.random() < 0.06:
            needs.append("pregnant")
        if age >= 65:
            needs.append("elderly")
        if rng.random() < 0.012:
            needs.append("accessible_place")
            member["washington_group"] = {"walking": "a_lot_of_difficulty"}
        if needs:
            member["needs"] = needs
        return member

    def _fate(self, rng: random.Random, member: dict[str, Any], day: int) -> MemberFate:
        adult = member["relation"] != "child"
        leaves: int | None = None
        reason: DepartureReason | None = None
        onward: dict[str, Any] | None = None
        job: dict[str, Any] | None = None
        if rng.random() < LEAVES_SHARE:
            leaves = rng.randint(*LEAVE_AFTER_DAYS)
            reason = _weighted(rng, DEPARTURE_REASONS)
            if (
                adult
                and reason is DepartureReason.MOVED_ON_TO_ANOTHER_COUNTRY
                and rng.random() < ONWARD_REQUEST_SHARE
            ):
                country, city = rng.choice(DESTINATIONS)
                documents = [
                    "foreign_passport" if doc["type"] == "foreign_passport" else "internal_passport"
                    for doc in member.get("documents", [])
                    if doc["type"] in ("foreign_passport", "russian_internal_passport")
                ]
                wanted = FIRST_DAY + timedelta(days=day + leaves)
                onward = {"kind": "onward_travel", "destination_country": country,
                          "destination_city": city, "documents_held": documents,
                          "wanted_on": wanted.isoformat()}  # fmt: skip
        elif adult and rng.random() < JOB_SEARCH_SHARE:
            tag = dict(PROFESSIONS).get(member.get("profession", ""), "other_work")
            job = {"kind": "job_search", "profession": tag,
                   "skills": rng.sample(SKILLS, rng.randint(0, 3)),
                   "languages": member["languages"], "work_countries": ["KZ"],
                   "remote_ok": rng.random() < 0.4}  # fmt: skip
        counters = []
        stay = leaves if leaves is not None else DAYS - day
        for item, (share, starts) in DAILY_DEMAND.items():
            for after in range(starts, stay):
                if day + after < DAYS and rng.random() < share:
                    counters.append(Counter(after, item, rng.choice(SITES)))
        return MemberFate(
            turns_up=rng.random() < TURNS_UP_SHARE,
            leaves_after_days=leaves,
            departure_reason=reason,
            onward=onward,
            job_search=job,
            counters=tuple(counters),
        )

    # -- donations and offers

    def donations(self, day: int) -> list[Donation]:
        """The morning's donations per site and item: the day's expected demand, covered."""
        rng = random.Random(f"{self.seed}-donations-{day}")
        in_town = self.expected_in_town(day)
        donations = []
        for item, (share, _) in DAILY_DEMAND.items():
            expected = in_town * share * DONATION_COVER.get(item, DEFAULT_COVER)
            per_site = _apportion(round(expected), tuple(1 for _ in SITES))
            for site, quantity in zip(SITES, per_site, strict=True):
                if quantity < 1:
                    continue
                body: dict[str, Any] = {
                    "site_id": site, "item": item, "quantity": quantity, "unit": UNITS[item],
                    "donor_kind": rng.choice(DONORS),
                }  # fmt: skip
                if item in ("food_parcel", "hot_meal"):
                    expiry = date.today() + timedelta(days=3 if item == "hot_meal" else 30)
                    body["expires_on"] = expiry.isoformat()
                donations.append(Donation(f"oral-{self.seed}-d{day}-donation-{site}-{item}", body))
        return donations

    def offers(self, day: int) -> list[Donation]:
        """Rides and tickets volunteers and carriers offered that day, and a few jobs."""
        rng = random.Random(f"{self.seed}-offers-{day}")
        offers = []
        rides = max(1, round(self.people_per_day[day] * 0.004))
        for number in range(rides):
            country, city = rng.choice(DESTINATIONS)
            kind = "ride" if rng.random() < 0.6 else "ticket"
            body = {"kind": kind, "partner": "Volunteer drivers of Oral" if kind == "ride"
                    else "Air Astana desk", "title": f"{kind.title()} to {city}",
                    "country": country, "city": city, "places": rng.randint(3, 40),
                    "languages": ["ru"]}  # fmt: skip
            offers.append(Donation(f"oral-{self.seed}-d{day}-offer-{number}", body))
        for number in range(max(1, round(self.people_per_day[day] * 0.001))):
            label, tag = rng.choice(PROFESSIONS)
            body = {"kind": "job", "partner": "Oral business association",
                    "title": label.capitalize(), "profession": tag, "country": "KZ",
                    "city": "Oral", "places": rng.randint(1, 5), "languages": ["ru"]}  # fmt: skip
            offers.append(Donation(f"oral-{self.seed}-d{day}-job-{number}", body))
        return offers

    def expected_in_town(self, day: int) -> float:
        """People expected in town on ``day``: arrived so far, less those expected to have left
        (each leaver is equally likely to leave 1 to 5 days after arrival)."""
        low, high = LEAVE_AFTER_DAYS
        present = 0.0
        for arrived_on in range(day + 1):
            gone = sum(1 for after in range(low, high + 1) if arrived_on + after <= day)
            share_gone = LEAVES_SHARE * gone / (high - low + 1)
            present += self.people_per_day[arrived_on] * (1 - share_gone)
        return present


def _unit_word(kind: str) -> str:
    return {"camp_dormitory": "Dormitory", "hotel": "Room", "hostel": "Dorm",
            "rented_room": "Room"}.get(kind, "Hall")  # fmt: skip


def _apportion(total: int, weights: tuple[float, ...]) -> list[int]:
    """``total`` split by ``weights`` into whole numbers that add up to ``total`` exactly."""
    raw = [total * weight / sum(weights) for weight in weights]
    counts = [int(value) for value in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _weighted(rng: random.Random, choices: Any) -> Any:
    values = [value for value, _ in choices]
    weights = [weight for _, weight in choices]
    return rng.choices(values, weights)[0]
