"""Daily totals per site and item for partners and the city, as CSV or JSON with HXL hashtags
(https://hxlstandard.org): in CSV a row of hashtags sits under the header row; in JSON each
row is an object keyed by its hashtags, as HXL JSON's object style has it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.aid.domain.item_rules import UNITS
from shared.schemas.aid import AidItem

#: (column header, HXL hashtag with attributes)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("date", "#date"),
    ("site", "#loc+code"),
    ("item", "#item+code"),
    ("item_name", "#item+name"),
    ("unit", "#item+unit"),
    ("quantity_issued", "#output+num"),
    ("distributions", "#output+num+distributions"),
    ("people_reached", "#reached+ind"),
    ("quantity_received", "#item+num+received"),
    ("quantity_transferred_in", "#item+num+transferred_in"),
    ("quantity_transferred_out", "#item+num+transferred_out"),
    ("quantity_written_off", "#item+num+written_off"),
)


def rows_of(day: date, totals: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per site and item, keyed by column header."""
    return [
        {
            "date": day.isoformat(),
            "site": total["site_id"],
            "item": total["item"],
            "item_name": total["item"].replace("_", " ").capitalize(),
            "unit": UNITS[AidItem(total["item"])],
            "quantity_issued": total["issued"],
            "distributions": total["distributions"],
            "people_reached": total["people"],
            "quantity_received": total["received"],
            "quantity_transferred_in": total["transferred_in"],
            "quantity_transferred_out": total["transferred_out"],
            "quantity_written_off": total["written_off"],
        }
        for total in totals
    ]


def as_hxl_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in COLUMNS])
    writer.writerow([hashtag for _, hashtag in COLUMNS])
    for row in rows:
        writer.writerow([row[header] for header, _ in COLUMNS])
    return out.getvalue()


def as_hxl_json(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{hashtag: row[header] for header, hashtag in COLUMNS} for row in rows]
