"""Daily totals per site and item, exported as CSV and JSON with HXL hashtags."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.aid.domain.rules import local_day
from tests.integration.aid_helpers import RunningAid, running_aid
from tests.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture
async def aid(stack: Stack, databases: dict[str, str], namespace: str) -> AsyncIterator[RunningAid]:
    async with running_aid(stack, databases, namespace) as running:
        yield running


async def test_a_days_distributions_open_as_csv_with_a_hashtag_row_under_the_header(
    aid: RunningAid,
) -> None:
    _, people = await aid.arrive((), (), ())
    for someone in people:
        await aid.check_in(someone)
    await aid.donate("atameken-camp", "food_parcel", 50)
    await aid.donate("mosque-central", "hot_meal", 20)
    for someone in people:
        assert (await aid.issue(someone, "atameken-camp", "food_parcel")).status_code == 201
    assert (await aid.issue(people[0], "mosque-central", "hot_meal", 2)).status_code == 201
    day = local_day(datetime.now(UTC)).isoformat()

    export = await aid.get("/v1/reports/daily-totals", day=day)

    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert f"aid-daily-totals-{day}.csv" in export.headers["content-disposition"]
    header, hashtags, *rows = list(csv.reader(io.StringIO(export.text)))
    assert header[:3] == ["date", "site", "item"]
    assert all(tag.startswith("#") for tag in hashtags) and len(hashtags) == len(header)
    assert hashtags[:3] == ["#date", "#loc+code", "#item+code"]
    table = {(row[1], row[2]): dict(zip(header, row, strict=True)) for row in rows}
    parcels = table[("atameken-camp", "food_parcel")]
    meals = table[("mosque-central", "hot_meal")]
    assert parcels["date"] == day
    assert (parcels["quantity_issued"], parcels["people_reached"]) == ("3", "3")
    assert (parcels["quantity_received"], parcels["unit"]) == ("50", "parcel")
    assert (meals["quantity_issued"], meals["distributions"], meals["people_reached"]) == (
        "2", "1", "1",
    )  # fmt: skip
    assert hashtags[header.index("quantity_issued")] == "#output+num"
    assert hashtags[header.index("people_reached")] == "#reached+ind"


async def test_the_json_export_keys_each_row_by_its_hashtags_and_a_quiet_day_is_empty(
    aid: RunningAid,
) -> None:
    await aid.donate("gym-5", "hygiene_kit", 7)
    today = local_day(datetime.now(UTC))

    rows = (await aid.get("/v1/reports/daily-totals", day=today.isoformat(), format="json")).json()
    quiet = await aid.get("/v1/reports/daily-totals", day=(today - timedelta(days=30)).isoformat())

    assert rows == [
        {
            "#date": today.isoformat(), "#loc+code": "gym-5", "#item+code": "hygiene_kit",
            "#item+name": "Hygiene kit", "#item+unit": "kit", "#output+num": 0,
            "#output+num+distributions": 0, "#reached+ind": 0, "#item+num+received": 7,
            "#item+num+transferred_in": 0, "#item+num+transferred_out": 0,
            "#item+num+written_off": 0,
        }
    ]  # fmt: skip
    assert len(quiet.text.splitlines()) == 2  # the header and the hashtags, no rows
