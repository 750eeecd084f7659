"""The reconciliation's entitlement check (tests/faults/reconcile.py): an item granted again
while it is open is a double; after the person's residency or entitlements ended it is not."""

from __future__ import annotations

from typing import Any

from tests.faults.reconcile import Reconciliation, _entitlements_granted_twice, _Event


def _event(position: int, kind: str, person: str, **data: Any) -> _Event:
    return _Event(position, "1", f"e{position}", kind, {"person_id": person, **data}, None)


def test_an_item_granted_again_while_open_is_a_double_and_after_its_end_is_not() -> None:
    events = [
        _event(1, "EntitlementGranted", "anna", item="food_parcel"),
        _event(2, "EntitlementGranted", "boris", item="food_parcel"),
        _event(3, "EntitlementGranted", "anna", item="hygiene_kit"),
        _event(4, "ResidencyEnded", "anna"),
        _event(5, "EntitlementGranted", "anna", item="food_parcel"),  # came back: granted anew
        _event(6, "EntitlementGranted", "boris", item="food_parcel"),  # still open: a double
        _event(7, "EntitlementsClosed", "boris"),
        _event(8, "EntitlementGranted", "boris", item="food_parcel"),
    ]
    result = Reconciliation()

    checked = _entitlements_granted_twice(events, result)

    assert checked == 6
    assert [(f.subject, f.detail) for f in result.doubled] == [
        ("boris", "food_parcel granted twice")
    ]


def test_one_persons_end_leaves_everyone_elses_items_open() -> None:
    events = [
        _event(1, "EntitlementGranted", "anna", item="food_parcel"),
        _event(2, "ResidencyEnded", "boris"),
        _event(3, "EntitlementGranted", "anna", item="food_parcel"),
    ]
    result = Reconciliation()

    _entitlements_granted_twice(events, result)

    assert [f.subject for f in result.doubled] == ["anna"]
