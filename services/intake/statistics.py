"""Intake's arrival statistics as HXL-tagged CSV (https://hxlstandard.org): the header row,
then a row of hashtags, then the counts; what the humanitarian tools (HDX, HXL Proxy) read."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from services.intake.queries import Grouping

#: the grouping's column: (header, HXL hashtag with attributes)
GROUP_COLUMNS: dict[Grouping, tuple[str, str]] = {
    "day": ("day", "#date+arrived"),
    "crossing_point": ("crossing_point", "#loc+code+crossing"),
    "partner": ("partner", "#org+code+reporting"),
}
#: the counts, the same for every grouping
COUNT_COLUMNS = (("people", "#affected+ind+arrived"), ("arrivals", "#affected+num+arrivals"))


def columns(by: Grouping) -> list[tuple[str, str]]:
    return [GROUP_COLUMNS[by], *COUNT_COLUMNS]


def as_hxl_csv(by: Grouping, rows: Sequence[Mapping[str, Any]]) -> str:
    chosen = columns(by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header for header, _ in chosen])
    writer.writerow([hashtag for _, hashtag in chosen])
    # the query answers the grouping under its own name (day, crossing_point, partner)
    writer.writerows([row[by], row["people"], row["arrivals"]] for row in rows)
    return out.getvalue()
