"""A spreadsheet costs the rate limit one request per row, as a batch costs one per person: a
file cannot carry thousands of registrations for the price of one request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import RunningServices

pytestmark = pytest.mark.integration


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_per_second": 0.5, "rate_limit_burst": 5}


async def test_a_file_of_ten_rows_costs_ten_requests_so_the_next_upload_must_wait(
    services: RunningServices,
) -> None:
    rows = "".join(f"2022-09-24,syrym,Лимитов{index},Иван,1990-01-01,male\n" for index in range(10))
    sheet = ("arrival_date,crossing_point,family_name,given_name,birth_date,sex\n" + rows).encode()

    async def upload() -> int:
        answer = await services.intake.post(
            "/v1/arrival-imports",
            files={"file": ("a.csv", sheet)},
            headers={"X-API-Key": services.partner_key},
        )
        return answer.status_code

    assert await upload() == 200  # a full bucket lets one large file through, into debt
    assert await upload() == 429
