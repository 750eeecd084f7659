"""Every server span is named by its route template, also when the name is kept from an
earlier request (shared/server_spans.py): a path's ids never reach a span's name, its route
attribute, or what the service keeps of the names."""

from __future__ import annotations

import pytest

from tests.conftest import SPANS, RunningServices
from tests.factories import arrival, person

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


async def test_spans_of_routes_with_and_without_ids_are_named_by_their_templates(
    services: RunningServices,
) -> None:
    partner = {"X-API-Key": services.partner_key}
    SPANS.clear()
    arrival_ids = []
    for number in range(2):  # the second arrival's span name is the one kept from the first
        answer = await services.intake.post(
            "/v1/arrivals",
            json=arrival(person(given=f"Иван{'ов' * number}")),
            headers={**partner, "Idempotency-Key": f"span-names-{number}"},
        )
        assert answer.status_code == 201, answer.text
        arrival_ids.append(answer.json()["arrival_id"])
    for arrival_id in arrival_ids:
        assert (await services.intake.get(f"/v1/arrivals/{arrival_id}", headers=partner)).is_success

    servers = [span for span in SPANS.get_finished_spans() if span.kind.name == "SERVER"]
    named = [(span.name, (span.attributes or {}).get("http.route")) for span in servers]
    assert (
        named
        == [("POST /v1/arrivals", "/v1/arrivals")] * 2
        + [("GET /v1/arrivals/{arrival_id}", "/v1/arrivals/{arrival_id}")] * 2
    )
    kept = services.apps["intake"].state.span_names.kept()
    assert ("POST", "/v1/arrivals") in kept
    assert not [path for _, path in kept if any(one in path for one in arrival_ids)]
