"""The example subscriber's figures (examples/statistics) read back with libhxl, in CSV and in
HXL JSON: each column under its hashtag, each value where it was written."""

from __future__ import annotations

import io
import json

import hxl  # type: ignore[import-untyped]
import pytest

from examples.statistics.figures import COLUMNS, FIGURES, Figure, as_csv, as_hxl_json


def read_back(content: str) -> list[dict[str, str]]:
    dataset = hxl.data(io.BytesIO(content.encode()))
    tags = [column.display_tag for column in dataset.columns]
    return [dict(zip(tags, row.values, strict=True)) for row in dataset]


@pytest.mark.parametrize("figure", FIGURES)
def test_each_figure_reads_back_with_libhxl_in_csv_and_in_json(figure: Figure) -> None:
    row = {header: f"{header}-1" for header, _ in COLUMNS[figure]}
    expected = [{hashtag: row[header] for header, hashtag in COLUMNS[figure]}]

    assert read_back(as_csv(figure, [row])) == expected
    assert read_back(json.dumps(as_hxl_json(figure, [row]))) == expected
