"""Support for the way forward: requests and their matches, offers and their places, and which
offers fit which requests."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.aid.domain.matching import (
    MAX_PROPOSALS,
    OfferProfile,
    RequestProfile,
    fit,
    match_id_of,
    offers_for,
)
from services.aid.domain.rules import Recipient
from services.aid.domain.support_offer import (
    OfferDetails,
    PublishOffer,
    ReleasePlace,
    TakePlace,
    WithdrawOffer,
    support_offer,
)
from services.aid.domain.support_request import (
    AcceptMatch,
    CompleteMatch,
    ProposeMatch,
    RequestClosed,
    RequestSupport,
    WithdrawMatch,
    WithdrawRequest,
    support_request,
)
from shared.decision import DomainError
from shared.schemas.aid import (
    MatchAccepted,
    MatchBasis,
    MatchCompleted,
    MatchProposed,
    MatchWithdrawn,
    OfferKind,
    OfferPlaceReleased,
    OfferPlaceTaken,
    OfferPublished,
    SupportKind,
    SupportRequested,
    SupportRequestWithdrawn,
)
from shared.schemas.base import DomainEvent
from tests.unit.given import scenario

NOW = datetime(2022, 9, 26, 9, 0, tzinfo=UTC)
REQUEST, PERSON, OFFER = uuid4(), uuid4(), uuid4()
KNOWN = Recipient(known=True, closed=None, resident=True, household_id=uuid4(), vulnerable=False)


def travel_request(requester: Recipient = KNOWN) -> RequestSupport:
    return RequestSupport(
        REQUEST, PERSON, SupportKind.ONWARD_TRAVEL, "GE", requester, "operator", NOW
    )


def requested() -> list[DomainEvent]:
    return scenario(support_request).when(travel_request()).decided()


def proposed(offer: UUID = OFFER) -> MatchProposed:
    return MatchProposed(
        actor="service:aid",
        occurred_at=NOW,
        request_id=REQUEST,
        match_id=match_id_of(REQUEST, offer),
        offer_id=offer,
        basis=MatchBasis.DESTINATION,
    )


def accepted(offer: UUID = OFFER) -> MatchAccepted:
    return MatchAccepted(
        actor="operator",
        occurred_at=NOW,
        request_id=REQUEST,
        match_id=match_id_of(REQUEST, offer),
        offer_id=offer,
    )


MATCH = match_id_of(REQUEST, OFFER)


class TestRequests:
    def test_a_request_publishes_the_country_and_no_event_holds_the_details(self) -> None:
        [public] = requested()  # the details are kept outside the events (request_details.py)
        assert public == SupportRequested(
            actor="operator",
            occurred_at=NOW,
            request_id=REQUEST,
            person_id=PERSON,
            kind=SupportKind.ONWARD_TRAVEL,
            destination_country="GE",
        )

    def test_a_departed_person_cannot_ask(self) -> None:
        gone = Recipient(known=True, closed="departed", resident=False, household_id=None,
                         vulnerable=False)  # fmt: skip
        scenario(support_request).when(travel_request(gone)).then_raises(RequestClosed)

    def test_onward_travel_needs_a_country(self) -> None:
        command = RequestSupport(
            REQUEST, PERSON, SupportKind.ONWARD_TRAVEL, None, KNOWN, "operator", NOW
        )
        scenario(support_request).when(command).then_raises(DomainError, "destination country")

    def test_a_match_is_proposed_once(self) -> None:
        scenario(support_request).given(*requested()).when(
            ProposeMatch(REQUEST, MATCH, OFFER, MatchBasis.DESTINATION, "service:aid", NOW)
        ).then(proposed())
        scenario(support_request).given(*requested(), proposed()).when(
            ProposeMatch(REQUEST, MATCH, OFFER, MatchBasis.DESTINATION, "service:aid", NOW)
        ).then()

    def test_an_accepted_match_that_is_done_makes_the_request_done(self) -> None:
        other = uuid4()
        history = (*requested(), proposed(), proposed(other), accepted())
        decided = (
            scenario(support_request)
            .given(*history)
            .when(CompleteMatch(REQUEST, MATCH, "operator", NOW))
            .decided()
        )
        assert decided == [
            MatchCompleted(
                actor="operator", occurred_at=NOW, request_id=REQUEST, match_id=MATCH,
                offer_id=OFFER,
            ),
            MatchWithdrawn(
                actor="operator", occurred_at=NOW, request_id=REQUEST,
                match_id=match_id_of(REQUEST, other), offer_id=other, reason="request_done",
            ),
        ]  # fmt: skip
        assert support_request.fold([*history, *decided]).status == "done"

    def test_a_match_must_be_accepted_before_it_is_done(self) -> None:
        scenario(support_request).given(*requested(), proposed()).when(
            CompleteMatch(REQUEST, MATCH, "operator", NOW)
        ).then_raises(DomainError, "accept it")

    def test_only_one_match_at_a_time_is_accepted(self) -> None:
        other = uuid4()
        scenario(support_request).given(*requested(), proposed(), proposed(other), accepted()).when(
            AcceptMatch(REQUEST, match_id_of(REQUEST, other), "operator", NOW)
        ).then_raises(DomainError, "another match")

    def test_withdrawing_the_request_withdraws_its_open_matches(self) -> None:
        decided = (
            scenario(support_request)
            .given(*requested(), proposed(), accepted())
            .when(WithdrawRequest(REQUEST, "departed", "service:aid", NOW))
            .decided()
        )
        assert [type(event) for event in decided] == [MatchWithdrawn, SupportRequestWithdrawn]

    def test_a_done_request_cannot_be_withdrawn(self) -> None:
        done = MatchCompleted(
            actor="operator", occurred_at=NOW, request_id=REQUEST, match_id=MATCH, offer_id=OFFER
        )
        scenario(support_request).given(*requested(), proposed(), accepted(), done).when(
            WithdrawRequest(REQUEST, "other", "operator", NOW)
        ).then_raises(RequestClosed)

    def test_a_declined_match_is_withdrawn(self) -> None:
        scenario(support_request).given(*requested(), proposed()).when(
            WithdrawMatch(REQUEST, MATCH, "declined", "operator", NOW)
        ).then(
            MatchWithdrawn(
                actor="operator", occurred_at=NOW, request_id=REQUEST, match_id=MATCH,
                offer_id=OFFER, reason="declined",
            )
        )  # fmt: skip

    def test_a_match_never_proposed_is_unknown(self) -> None:
        scenario(support_request).given(*requested()).when(
            AcceptMatch(REQUEST, uuid4(), "operator", NOW)
        ).then_raises(DomainError, "never proposed")


def ride(places: int = 1) -> PublishOffer:
    return PublishOffer(
        OFFER, OfferKind.RIDE, "GE", "Tbilisi", None, (), ("ru",), places,
        OfferDetails(partner="Volunteer drivers Oral", title="Minivan to Tbilisi"), "operator", NOW,
    )  # fmt: skip


class TestOffers:
    def test_a_ride_is_published_without_its_free_text(self) -> None:
        public, details = scenario(support_offer).when(ride()).decided()
        assert isinstance(public, OfferPublished) and public.places == 1
        assert "Volunteer drivers" not in public.model_dump_json()
        assert "Volunteer drivers" in details.model_dump_json()

    def test_an_accepted_match_takes_a_place_and_a_full_offer_refuses_the_next(self) -> None:
        history = scenario(support_offer).when(ride()).decided()
        take = TakePlace(OFFER, MATCH, REQUEST, "operator", NOW)
        [taken] = scenario(support_offer).given(*history).when(take).decided()
        assert isinstance(taken, OfferPlaceTaken)
        scenario(support_offer).given(*history, taken).when(take).then()
        scenario(support_offer).given(*history, taken).when(
            TakePlace(OFFER, uuid4(), uuid4(), "operator", NOW)
        ).then_raises(DomainError, "taken")

    def test_a_released_place_can_be_taken_again(self) -> None:
        history = [*scenario(support_offer).when(ride()).decided()]
        take = TakePlace(OFFER, MATCH, REQUEST, "operator", NOW)
        history += scenario(support_offer).given(*history).when(take).decided()
        [released] = (
            scenario(support_offer)
            .given(*history)
            .when(ReleasePlace(OFFER, MATCH, REQUEST, "operator", NOW))
            .decided()
        )
        assert isinstance(released, OfferPlaceReleased)
        another = TakePlace(OFFER, uuid4(), uuid4(), "operator", NOW)
        assert len(scenario(support_offer).given(*history, released).when(another).decided()) == 1

    def test_a_withdrawn_offer_takes_no_one(self) -> None:
        history = [*scenario(support_offer).when(ride()).decided()]
        history += (
            scenario(support_offer)
            .given(*history)
            .when(WithdrawOffer(OFFER, "operator", NOW))
            .decided()
        )
        scenario(support_offer).given(*history).when(
            TakePlace(OFFER, MATCH, REQUEST, "operator", NOW)
        ).then_raises(DomainError, "withdrawn")

    def test_a_job_needs_a_profession_or_skills(self) -> None:
        job = PublishOffer(
            OFFER, OfferKind.JOB, "KZ", "Oral", None, (), (), 1,
            OfferDetails(partner="Cafe", title="Staff"), "operator", NOW,
        )  # fmt: skip
        scenario(support_offer).when(job).then_raises(DomainError, "profession or skills")


def travel(country: str, city: str | None = None) -> RequestProfile:
    return RequestProfile(uuid4(), SupportKind.ONWARD_TRAVEL, country, city)


def job_search(**fields: object) -> RequestProfile:
    return RequestProfile(uuid4(), SupportKind.JOB_SEARCH, **fields)  # type: ignore[arg-type]


class TestMatching:
    def test_onward_travel_to_georgia_fits_a_ride_to_tbilisi(self) -> None:
        offer = OfferProfile(uuid4(), OfferKind.RIDE, country="GE", city="Tbilisi")
        assert fit(travel("GE"), offer) == (MatchBasis.DESTINATION, 1)
        assert fit(travel("GE", "tbilisi"), offer) == (MatchBasis.DESTINATION, 2)

    @pytest.mark.parametrize(
        ("request_profile", "offer"),
        [
            (travel("GE"), OfferProfile(uuid4(), OfferKind.RIDE, country="AM", city="Yerevan")),
            (travel("GE", "Batumi"), OfferProfile(uuid4(), OfferKind.TICKET, "GE", "Tbilisi")),
            (travel("GE"), OfferProfile(uuid4(), OfferKind.JOB, "GE", profession="driver")),
        ],
    )
    def test_another_destination_or_kind_does_not_fit(
        self, request_profile: RequestProfile, offer: OfferProfile
    ) -> None:
        assert fit(request_profile, offer) is None

    def test_a_developer_fits_an_it_job_by_profession_and_skills(self) -> None:
        developer = job_search(
            profession="software_developer",
            skills=frozenset({"python", "postgresql"}),
            languages=frozenset({"ru", "en"}),
        )
        it_job = OfferProfile(
            uuid4(), OfferKind.JOB, "KZ", "Oral", "software_developer", frozenset({"python"}),
            frozenset({"ru"}),
        )  # fmt: skip
        assert fit(developer, it_job) == (MatchBasis.SKILLS, 4)

    @pytest.mark.parametrize(
        ("fields", "offer"),
        [
            ({"profession": "lawyer"}, OfferProfile(uuid4(), OfferKind.JOB, profession="barista")),
            (
                {"skills": frozenset({"python"}), "languages": frozenset({"ru"})},
                OfferProfile(uuid4(), OfferKind.JOB, skills=frozenset({"python"}),
                             languages=frozenset({"kk"})),
            ),
            (
                {"skills": frozenset({"python"})},
                OfferProfile(uuid4(), OfferKind.REMOTE_WORK, skills=frozenset({"python"})),
            ),
            (
                {"skills": frozenset({"python"}), "work_countries": frozenset({"KZ"})},
                OfferProfile(uuid4(), OfferKind.JOB, "GE", skills=frozenset({"python"})),
            ),
        ],
    )  # fmt: skip
    def test_no_shared_skill_language_or_workable_place_does_not_fit(
        self, fields: dict[str, object], offer: OfferProfile
    ) -> None:
        assert fit(job_search(**fields), offer) is None

    def test_the_best_fitting_offers_come_first_and_only_a_few(self) -> None:
        developer = job_search(profession="dev", skills=frozenset({"python", "go"}))
        weak = [OfferProfile(uuid4(), OfferKind.JOB, skills=frozenset({"go"})) for _ in range(9)]
        strong = OfferProfile(uuid4(), OfferKind.JOB, profession="dev")
        chosen = offers_for(developer, [*weak, strong])
        assert len(chosen) == MAX_PROPOSALS
        assert chosen[0] == (strong, MatchBasis.SKILLS)

    def test_a_request_and_an_offer_make_one_match_id(self) -> None:
        request, offer = uuid4(), uuid4()
        assert match_id_of(request, offer) == match_id_of(request, offer)
        assert match_id_of(request, offer) != match_id_of(offer, request)
