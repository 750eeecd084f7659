"""The HXL export of daily totals: a header row, a hashtag row under it, then the data."""

from __future__ import annotations

import csv
import io
from datetime import date

from services.aid.reports import COLUMNS, as_hxl_csv, as_hxl_json, rows_of

DAY = date(2022, 9, 26)
TOTAL = {"site_id": "atameken-camp", "item": "food_parcel", "issued": 212, "distributions": 212,
         "people": 212, "received": 300, "transferred_in": 0, "transferred_out": 40,
         "written_off": 6}  # fmt: skip


def test_the_csv_has_the_hashtag_row_under_the_header() -> None:
    header, hashtags, row = list(csv.reader(io.StringIO(as_hxl_csv(rows_of(DAY, [TOTAL])))))
    assert header == [name for name, _ in COLUMNS]
    assert hashtags == [tag for _, tag in COLUMNS]
    assert all(tag.startswith("#") and " " not in tag for tag in hashtags)
    assert dict(zip(header, row, strict=True)) == {
        "date": "2022-09-26", "site": "atameken-camp", "item": "food_parcel",
        "item_name": "Food parcel", "unit": "parcel", "quantity_issued": "212",
        "distributions": "212", "people_reached": "212", "quantity_received": "300",
        "quantity_transferred_in": "0", "quantity_transferred_out": "40",
        "quantity_written_off": "6",
    }  # fmt: skip


def test_every_column_has_its_own_hashtag() -> None:
    assert len({tag for _, tag in COLUMNS}) == len(COLUMNS)


def test_the_json_rows_are_keyed_by_hashtag() -> None:
    [row] = as_hxl_json(rows_of(DAY, [TOTAL]))
    assert row["#date"] == "2022-09-26"
    assert row["#loc+code"] == "atameken-camp"
    assert row["#output+num"] == 212 and row["#reached+ind"] == 212


def test_a_day_without_totals_is_the_two_header_rows() -> None:
    assert as_hxl_csv([]).splitlines() == [
        ",".join(name for name, _ in COLUMNS),
        ",".join(tag for _, tag in COLUMNS),
    ]
