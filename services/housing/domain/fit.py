"""What a party needs of a unit, and whether a unit gives it."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet

from shared.schemas.intake import AgeBand, ArrivingMember, NeedCode, Sex
from shared.schemas.shelters import Requirements, Unit, UnitAttribute

VULNERABLE = frozenset(
    {
        NeedCode.UNACCOMPANIED_MINOR, NeedCode.PREGNANT, NeedCode.SERIOUS_ILLNESS,
        NeedCode.DISABILITY, NeedCode.ELDERLY, NeedCode.VICTIM_OF_TRAUMA,
        NeedCode.SINGLE_HEADED_HOUSEHOLD, NeedCode.FAMILY_WITH_CHILDREN,
    }
)  # fmt: skip

#: what a unit offers a family with children
FAMILY_FRIENDLY = frozenset({UnitAttribute.FAMILY_ROOM, UnitAttribute.CHILDREN_ALLOWED})


def requirements_of(members: Iterable[ArrivingMember]) -> Requirements:
    party = list(members)
    needs = {need for member in party for need in member.needs}
    return Requirements(
        accessible=bool(needs & {NeedCode.ACCESSIBLE_PLACE, NeedCode.DISABILITY}),
        family_room=NeedCode.FAMILY_WITH_CHILDREN in needs
        or any(member.age_band == AgeBand.CHILD for member in party),
        all_women=bool(party) and all(member.sex == Sex.FEMALE for member in party),
    )


def is_vulnerable(members: Iterable[ArrivingMember]) -> bool:
    return any(
        member.age_band in (AgeBand.CHILD, AgeBand.ELDER) or VULNERABLE & set(member.needs)
        for member in members
    )


def fits(unit: Unit, needs: Requirements) -> bool:
    return offers_what_is_needed(frozenset(unit.attributes), needs)


def offers_what_is_needed(offered: AbstractSet[UnitAttribute], needs: Requirements) -> bool:
    """Whether a unit offering ``offered`` fits a party with ``needs``."""
    if needs.accessible and UnitAttribute.ACCESSIBLE not in offered:
        return False
    if needs.family_room and not offered & FAMILY_FRIENDLY:
        return False
    return not (UnitAttribute.WOMEN_ONLY in offered and not needs.all_women)


def surplus(unit: Unit, needs: Requirements) -> int:
    return unneeded_features(frozenset(unit.attributes), needs)


def unneeded_features(offered: AbstractSet[UnitAttribute], needs: Requirements) -> int:
    """How many of the unit's special features the party does not need: placement prefers
    the plainest fitting unit, keeping accessible and family rooms for those who need them."""
    unneeded = 0
    if UnitAttribute.ACCESSIBLE in offered and not needs.accessible:
        unneeded += 1
    if offered & FAMILY_FRIENDLY and not needs.family_room:
        unneeded += 1
    return unneeded
