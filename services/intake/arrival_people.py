"""An arriving group's people as new streams: each person's details sealed under a new key,
their consents and possible duplicates decided, nothing written yet (app.register_arrival
appends them all in one statement)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from services.intake.admission import Admission
from services.intake.domain.person import RecordDetails, person
from services.intake.partners import Partner
from services.intake.requests import ArrivalRequest
from services.intake.vault import IndexEntries, KeyRow, Vault
from shared.appending import StreamAppend
from shared.schemas.intake import ArrivingMember, ConsentPurpose


def people_of(
    vault: Vault,
    partner: Partner,
    request: ArrivalRequest,
    arrival_id: UUID,
    members: tuple[ArrivingMember, ...],
    admission: Admission,
    now: datetime,
    indexed: Sequence[IndexEntries],
) -> tuple[list[StreamAppend], list[KeyRow], list[dict[str, str]]]:
    """Each person's stream (details sealed under a new key, consents, duplicates), the keys,
    and the possible duplicates the partner may be told of. ``indexed``: each person's blind
    index entries, handed to the vault with their sealed details (Vault.fresh_index)."""
    appends: list[StreamAppend] = []
    consents = tuple((ConsentPurpose(purpose), None) for purpose in request.consents) + tuple(
        (ConsentPurpose.SHARING_WITH_PARTNER, other) for other in request.share_with_partners
    )
    flagged: list[dict[str, str]] = []
    keys: list[KeyRow] = []
    for index, (details, member, entries) in enumerate(
        zip(request.members, members, indexed, strict=True)
    ):
        payload = {
            "details": details.model_dump(mode="json"),
            "partner_reference": request.partner_reference,
        }
        duplicates = admission.duplicates.get(index, [])
        # every pair is recorded for the operators' review (GET /v1/duplicates); the partner's
        # answer names only the persons it may know of
        flagged.extend(
            {"person_id": str(member.person_id), "candidate_person_id": str(found.person_id),
             "rule": found.rule}
            for found in duplicates
            if found.readable
        )  # fmt: skip
        sealed, key = vault.seal_new(member.person_id, payload, entries)
        keys.append(key)
        record = RecordDetails(
            person_id=member.person_id,
            arrival_id=arrival_id,
            partner_id=partner.partner_id,
            member_index=index,
            member=member,
            sealed=sealed,
            consents=consents,
            duplicates=tuple((found.person_id, found.rule) for found in duplicates),
            actor=partner.registrar,
            now=now,
        )
        appends.append((str(member.person_id), 0, person.decide(record, person.initial_state)))
    return appends, keys, flagged
