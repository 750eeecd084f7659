"""Every statistical export a service offers reads back with libhxl, the HXL standard's own
library, as the humanitarian tools would read it: intake's arrival counts (CSV) and aid's
daily totals (CSV and HXL JSON), on the real stack."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import hxl  # type: ignore[import-untyped]
import pytest

from services.aid.domain.rules import local_day
from tests.conftest import OPERATOR_KEY, RunningServices
from tests.factories import arrival, person
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration

OPERATOR = {"X-API-Key": OPERATOR_KEY}


def read_hxl(content: bytes) -> tuple[list[str], list[list[str]]]:
    dataset = hxl.data(io.BytesIO(content))
    return [column.display_tag for column in dataset.columns], [row.values for row in dataset]


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


@pytest.mark.parametrize(
    ("by", "tag", "key"),
    [("day", "#date+arrived", "2022-09-24"), ("crossing_point", "#loc+code+crossing", "syrym"),
     ("partner", "#org+code+reporting", "wp-test")],
)  # fmt: skip
async def test_intakes_arrival_counts_read_back_as_hxl(
    services: RunningServices, by: str, tag: str, key: str
) -> None:
    counted = arrival(person(), person(given="Мария", relation="spouse"))
    counted["consents"] = ["housing", "anonymous_statistics"]
    registered = await services.intake.post(
        "/v1/arrivals",
        json=counted,
        headers={"X-API-Key": services.partner_key, "Idempotency-Key": str(uuid4())},
    )
    assert registered.status_code == 201, registered.text

    export = await services.intake.get(
        "/v1/statistics/arrivals", params={"by": by, "format": "csv"}, headers=OPERATOR
    )

    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    tags, rows = read_hxl(export.content)
    assert tags == [tag, "#affected+ind+arrived", "#affected+num+arrivals"]
    assert rows == [[key, "2", "1"]]
    dataset = hxl.data(io.BytesIO(export.content))
    assert dataset.get_value_set("#affected+ind") == {"2"}  # a tag pattern finds the column


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def test_aids_daily_totals_read_back_as_hxl_in_csv_and_in_json(aid: RunningAid) -> None:
    _, people = await aid.arrive(())
    await aid.check_in(people[0])
    await aid.donate("atameken-camp", "food_parcel", 50)
    assert (await aid.issue(people[0], "atameken-camp", "food_parcel")).status_code == 201
    day = local_day(datetime.now(UTC)).isoformat()

    as_csv = await aid.get("/v1/reports/daily-totals", day=day)
    as_json = await aid.get("/v1/reports/daily-totals", day=day, format="json")

    tags, rows = read_hxl(as_csv.content)
    json_tags, json_rows = read_hxl(json.dumps(as_json.json()).encode())
    assert tags[:3] == ["#date", "#loc+code", "#item+code"]
    assert "#output+num" in tags and "#reached+ind" in tags
    [row] = rows
    record = dict(zip(tags, row, strict=True))
    assert (record["#loc+code"], record["#item+code"], record["#output+num"]) == (
        "atameken-camp", "food_parcel", "1",
    )  # fmt: skip
    assert set(json_tags) == set(tags)
    assert [dict(zip(json_tags, values, strict=True)) for values in json_rows] == [
        {tag: str(value) for tag, value in record.items()}
    ]
