"""Daily figures folded from the events, with HXL hashtags (https://hxlstandard.org).

- arrivals: people by arrival day and crossing point (``ArrivalRegistered``), counting, as
  intake's own statistics do, only people whose latest ``anonymous_statistics`` consent is given
  and who were not merged into another record;
- placements: places assigned (``BedAssigned``) by local day in Oral (UTC+5) and shelter kind
  (from ``ShelterOpened`` / ``HostOfferMade`` of the same shelter);
- aid: quantity issued (``AidIssued``, ``HouseholdAidIssued``) by local day and item.

Events of different streams arrive in no particular order (a consent may come before its
arrival), so the facts are kept as they come and the figures are computed when asked.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

#: Oral keeps UTC+5 all year; aid's daily totals use the same local day
LOCAL_TIME = timezone(timedelta(hours=5), "Asia/Oral")
STATISTICS = "anonymous_statistics"

Figure = Literal["arrivals", "placements", "aid"]
FIGURES: tuple[Figure, ...] = ("arrivals", "placements", "aid")

#: per figure: (column header, HXL hashtag)
COLUMNS: dict[Figure, tuple[tuple[str, str], ...]] = {
    "arrivals": (
        ("date", "#date"),
        ("crossing_point", "#loc+crossing"),
        ("people", "#affected+arrived"),
        ("groups", "#affected+arrived+groups"),
    ),
    "placements": (
        ("date", "#date"),
        ("shelter_kind", "#loc+shelter+type"),
        ("people", "#affected+placed"),
    ),
    "aid": (
        ("date", "#date"),
        ("item", "#item+code"),
        ("item_name", "#item+name"),
        ("quantity_issued", "#output+num"),
    ),
}


def local_day(moment: str) -> date:
    return datetime.fromisoformat(moment).astimezone(LOCAL_TIME).date()


@dataclass
class Person:
    arrival_id: str
    arrival_date: str
    crossing_point: str


@dataclass
class Statistics:
    """The facts the figures need, folded from events of the three topics."""

    persons: dict[str, Person] = field(default_factory=dict)
    #: person -> (occurred_at, given) of their latest anonymous_statistics consent change
    consents: dict[str, tuple[str, bool]] = field(default_factory=dict)
    #: duplicate person -> occurred_at of the merge or of its undoing, and whether merged
    merges: dict[str, tuple[str, bool]] = field(default_factory=dict)
    shelter_kinds: dict[str, str] = field(default_factory=dict)
    #: (local day, shelter id) -> places assigned
    placements: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: (local day, item) -> quantity issued
    issued: Counter[tuple[str, str]] = field(default_factory=Counter)
    applied: Counter[str] = field(default_factory=Counter)

    def apply(self, event_type: str, body: Mapping[str, Any]) -> None:
        """Fold one checked event in; event types that no figure needs are only counted."""
        self.applied[event_type] += 1
        if event_type == "ArrivalRegistered":
            for member in body["members"]:
                self.persons[member["person_id"]] = Person(
                    body["arrival_id"], body["arrival_date"], body["crossing_point"]
                )
        elif event_type in ("ConsentGiven", "ConsentWithdrawn"):
            if body["purpose"] == STATISTICS:
                self._latest(
                    self.consents, body["person_id"], body["occurred_at"],
                    event_type == "ConsentGiven",
                )  # fmt: skip
        elif event_type in ("PersonsMerged", "MergeUndone"):
            person = body["duplicate_person_id"]
            self._latest(self.merges, person, body["occurred_at"], event_type == "PersonsMerged")
            if event_type == "MergeUndone" and person not in self.persons:
                known = next(
                    (p for p in self.persons.values() if p.arrival_id == body["arrival_id"]), None
                )
                if known is not None:
                    self.persons[person] = Person(
                        known.arrival_id, known.arrival_date, known.crossing_point
                    )
        elif event_type in ("ShelterOpened", "HostOfferMade"):
            self.shelter_kinds[body["shelter_id"]] = body.get("kind", "host_home")
        elif event_type == "BedAssigned":
            day = local_day(body["occurred_at"]).isoformat()
            self.placements[(day, body["shelter_id"])] += 1
        elif event_type in ("AidIssued", "HouseholdAidIssued"):
            day = local_day(body["occurred_at"]).isoformat()
            self.issued[(day, body["item"])] += body["quantity"]

    @staticmethod
    def _latest(
        facts: dict[str, tuple[str, bool]], person: str, occurred_at: str, value: bool
    ) -> None:
        before = facts.get(person)
        at = datetime.fromisoformat(occurred_at)
        if before is None or datetime.fromisoformat(before[0]) <= at:
            facts[person] = (occurred_at, value)

    def counted(self, person: str) -> bool:
        consent = self.consents.get(person)
        merged = self.merges.get(person)
        return consent is not None and consent[1] and not (merged is not None and merged[1])

    def rows(self, figure: Figure) -> list[dict[str, Any]]:
        """One figure's rows, keyed by column header, sorted."""
        if figure == "arrivals":
            people: Counter[tuple[str, str]] = Counter()
            groups: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
            for person_id, person in self.persons.items():
                if self.counted(person_id):
                    key = (person.arrival_date, person.crossing_point)
                    people[key] += 1
                    groups[key].add(person.arrival_id)
            return [
                {"date": day, "crossing_point": where, "people": n, "groups": len(groups[key])}
                for key, n in sorted(people.items())
                for day, where in [key]
            ]
        if figure == "placements":
            placed: Counter[tuple[str, str]] = Counter()
            for (day, shelter), n in self.placements.items():
                placed[(day, self.shelter_kinds.get(shelter, "unknown"))] += n
            return [
                {"date": day, "shelter_kind": kind, "people": n}
                for (day, kind), n in sorted(placed.items())
            ]
        return [
            {
                "date": day,
                "item": item,
                "item_name": item.replace("_", " ").capitalize(),
                "quantity_issued": n,
            }
            for (day, item), n in sorted(self.issued.items())
        ]


def as_csv(figure: Figure, rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV with the HXL hashtag row under the header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS[figure]])
    writer.writerow([hashtag for _, hashtag in COLUMNS[figure]])
    for row in rows:
        writer.writerow([row[header] for header, _ in COLUMNS[figure]])
    return out.getvalue()


def as_hxl_json(figure: Figure, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """HXL JSON, object style: each row keyed by its hashtags."""
    return [{hashtag: row[header] for header, hashtag in COLUMNS[figure]} for row in rows]
