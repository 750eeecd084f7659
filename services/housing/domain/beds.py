"""Who holds which place of one shelter, kept so that a placement, a check-in or a release costs
the same in a shelter 10 % full as in one 90 % full.

A shelter's state is immutable and cached between commands (``shared.decider.load_state``),
so every change makes a new state and leaves the old one whole. Copying the map of all places
for each change, and scanning it for a person or for free numbers, made each placement dearer
than the last as a shelter filled up. Here a change copies only one path of a hash trie
(``rpds.HashTrieMap``: the rest is shared with the state before), a person is found by their
id, and each unit's taken numbers are one int used as a set of bits (bit ``n - 1`` for place
``n``), which gives the count of free places and the lowest free numbers without a loop over
places.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from rpds import HashTrieMap

PlaceKey = tuple[UUID, int]  # (unit, number)


@dataclass(frozen=True)
class Place:
    person_id: UUID
    arrival_id: UUID
    checked_in: bool
    hold_until: datetime
    since: datetime


@dataclass(frozen=True)
class Beds:
    """The places held or taken, by place and by person, and each unit's taken numbers.

    ``by_place`` keeps with each place the order in which it was held, so that the places can
    still be listed in that order (events that free many places at once come out in it)."""

    by_place: HashTrieMap[PlaceKey, tuple[int, Place]] = field(default_factory=HashTrieMap)
    by_person: HashTrieMap[UUID, PlaceKey] = field(default_factory=HashTrieMap)
    taken_bits: HashTrieMap[UUID, int] = field(default_factory=HashTrieMap)
    held_so_far: int = 0  # places held since the shelter opened: the next one's rank

    # --- changes: each one copies a path of each trie, never the whole ------------------------

    def hold(self, key: PlaceKey, place: Place) -> Beds:
        before = self.by_place.get(key)
        # a place held again keeps its rank, as a dict keeps the position of a key set again
        rank = before[0] if before is not None else self.held_so_far
        by_person = self._forget(key, before)
        unit_id, number = key
        bits = self.taken_bits.get(unit_id, 0) | 1 << (number - 1)
        return Beds(
            self.by_place.insert(key, (rank, place)),
            by_person.insert(place.person_id, key),
            self.taken_bits.insert(unit_id, bits),
            self.held_so_far + 1,
        )

    def check_in(self, key: PlaceKey, since: datetime) -> Beds:
        rank, place = self.by_place[key]
        taken = replace(place, checked_in=True, since=since)
        return replace(self, by_place=self.by_place.insert(key, (rank, taken)))

    def free(self, key: PlaceKey) -> Beds:
        before = self.by_place.get(key)
        if before is None:
            return self
        unit_id, number = key
        bits = self.taken_bits.get(unit_id, 0) & ~(1 << (number - 1))
        taken_bits = (
            self.taken_bits.insert(unit_id, bits) if bits else self.taken_bits.discard(unit_id)
        )
        return Beds(self.by_place.remove(key), self._forget(key, before), taken_bits,
                    self.held_so_far)  # fmt: skip

    def _forget(
        self, key: PlaceKey, before: tuple[int, Place] | None
    ) -> HashTrieMap[UUID, PlaceKey]:
        if before is None or self.by_person.get(before[1].person_id) != key:
            return self.by_person
        return self.by_person.remove(before[1].person_id)

    # --- questions: none of them looks at every place -----------------------------------------

    def holds(self, person_id: UUID) -> bool:
        return person_id in self.by_person

    def place_of(self, person_id: UUID) -> tuple[PlaceKey, Place] | None:
        key = self.by_person.get(person_id)
        return None if key is None else (key, self.by_place[key][1])

    def free_count(self, unit_id: UUID, places: int) -> int:
        taken = self.taken_bits.get(unit_id, 0) & ((1 << places) - 1)
        return places - taken.bit_count()

    def lowest_free(self, unit_id: UUID, places: int, count: int) -> list[int]:
        """The ``count`` lowest free numbers of a unit of ``places`` (fewer if fewer are free)."""
        bits = self.taken_bits.get(unit_id, 0)
        found: list[int] = []
        while len(found) < count:
            lowest = ~bits & (bits + 1)  # the lowest bit not set
            number = lowest.bit_length()
            if number > places:
                break
            found.append(number)
            bits |= lowest
        return found

    def taken(self, unit_id: UUID) -> Iterator[int]:
        """The unit's taken numbers, lowest first."""
        bits = self.taken_bits.get(unit_id, 0)
        while bits:
            lowest = bits & -bits
            yield lowest.bit_length()
            bits ^= lowest

    def expired(self, now: datetime) -> list[tuple[PlaceKey, Place]]:
        """Places held but not taken whose hold ended by ``now``, in the order they were held
        (only those are sorted)."""
        ended = [(rank, key, place) for key, (rank, place) in self.by_place.items()
                 if not place.checked_in and place.hold_until <= now]  # fmt: skip
        return [(key, place) for _, key, place in sorted(ended, key=lambda item: item[0])]

    def in_order(self) -> Mapping[PlaceKey, Place]:
        """Every place, in the order they were held (a full look: not for a placement)."""
        ranked = sorted(self.by_place.items(), key=lambda item: item[1][0])
        return {key: place for key, (_, place) in ranked}
