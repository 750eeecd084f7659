"""Spreadsheet import of arrivals against the real Postgres and Kafka: a result per row, the
same file again creates nothing, refusals name their row and column in the reader's language."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from services.intake.catalogue import text
from services.intake.imports import COLUMNS
from tests.conftest import RunningServices

pytestmark = pytest.mark.integration

ARRIVALS = "SELECT count(*) FROM events WHERE event_type = 'ArrivalRegistered'"
PEOPLE = "SELECT count(*) FROM person_details"
#: every 100th row is broken, each in one column, in one of these ways
BROKEN = (("birth_date", "31.02.1990"), ("sex", "robot"), ("family_name", None),
          ("arrival_date", "2999-01-01"))  # fmt: skip


@pytest.fixture
def service_names() -> tuple[str, ...]:
    return ("intake",)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Each row costs one request of the rate limit: room for the 2,000 rows, twice."""
    return {"rate_limit_per_second": 10_000.0, "rate_limit_burst": 10_000}


def good_row(index: int) -> dict[str, Any]:
    return {
        "arrival_date": "24.09.2022", "crossing_point": "syrym",
        "family_name": f"Импортов{index}", "given_name": "Пётр", "birth_date": "1990-05-17",
        "sex": "м", "languages": "ru, kk", "document_type": "russian_internal_passport",
        "document_number": f"45 12 {index:06d}", "consent_housing": "да",
    }  # fmt: skip


def workbook(rows: list[dict[str, Any]], language: str = "ru") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([text(language, f"column.{code}") for code in COLUMNS])  # type: ignore[arg-type]
    for row in rows:
        sheet.append([row.get(code) for code in COLUMNS])
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


async def upload(
    services: RunningServices, content: bytes, name: str, language: str = "ru"
) -> dict[str, Any]:
    answer = await services.intake.post(
        "/v1/arrival-imports",
        files={"file": (name, content)},
        headers={"X-API-Key": services.partner_key, "Accept-Language": language},
        timeout=600,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def count(services: RunningServices, sql: str) -> int:
    async with services.pool("intake").acquire() as conn:
        return int(await conn.fetchval(sql))


@pytest.mark.timeout(1800)  # 2,000 arrivals: minutes when the machine is busy
async def test_a_2000_row_workbook_with_20_bad_rows_creates_1980_and_the_same_file_nothing(
    services: RunningServices,
) -> None:
    rows: list[dict[str, Any]] = []
    broken: dict[int, str] = {}
    for index in range(2000):
        row = good_row(index)
        if index % 100 == 7:
            column, value = BROKEN[len(broken) % len(BROKEN)]
            row[column] = value
            broken[index + 2] = column  # the header is row 1
        rows.append(row)
    content = workbook(rows)

    first = await upload(services, content, "arrivals.xlsx")
    again = await upload(services, content, "arrivals.xlsx")

    assert first["counts"] == {"created": 1980, "already_known": 0, "refused": 20}
    refused = {row["row"]: row["errors"] for row in first["rows"] if row["status"] == "refused"}
    assert set(refused) == set(broken)
    for number, errors in refused.items():
        assert [error["column"] for error in errors] == [text("ru", f"column.{broken[number]}")]
        assert all(error["detail"] for error in errors)
    assert again["counts"] == {"created": 0, "already_known": 1980, "refused": 20}
    assert [row["row"] for row in first["rows"]] == list(range(2, 2002))
    assert await count(services, ARRIVALS) == 1980
    assert await count(services, PEOPLE) == 1980


async def test_a_russian_csv_with_groups_registers_each_group_as_one_arrival(
    services: RunningServices,
) -> None:
    header = ";".join(text("ru", f"column.{code}") for code in COLUMNS)

    def line(group: str, family: str, birth: str, sex: str = "ж") -> str:
        values = {
            "group": group,
            "arrival_date": "24.09.2022",
            "crossing_point": "syrym",
            "family_name": family,
            "given_name": "Анна",
            "birth_date": birth,
            "sex": sex,
        }
        return ";".join(values.get(code, "") for code in COLUMNS)  # fmt: skip

    lines = [header, line("A", "Семья", "01.01.1990"), line("A", "Семья", "02.02.2015"),
             line("B", "Друзья", "03.03.1991"), line("B", "Друзья", "не помню"),
             line("", "Одна", "04.04.1992")]  # fmt: skip
    content = "\r\n".join(lines).encode("cp1251")  # as Excel saves a Russian CSV

    result = await upload(services, content, "arrivals.csv", language="kk")

    statuses = [(row["row"], row["status"]) for row in result["rows"]]
    assert statuses == [(2, "created"), (3, "created"), (4, "refused"), (5, "refused"),
                        (6, "created")]  # fmt: skip
    group_a = {row["arrival_id"] for row in result["rows"][:2]}
    assert len(group_a) == 1
    bad = result["rows"][3]["errors"]
    assert bad == [{"column": "дата_рождения", "detail": text("kk", "error.date")}]
    assert result["rows"][2]["errors"][0]["detail"] == text("kk", "error.group_refused", row=5)
    assert await count(services, ARRIVALS) == 2
    assert await count(services, PEOPLE) == 3
    again = await upload(services, content, "arrivals.csv", language="kk")
    assert again["counts"] == {"created": 0, "already_known": 3, "refused": 2}
    assert await count(services, ARRIVALS) == 2


async def test_the_template_in_each_language_is_read_back_as_it_is_downloaded(
    services: RunningServices,
) -> None:
    for language in ("ru", "kk", "en"):
        for kind in ("xlsx", "csv"):
            template = await services.intake.get(
                "/v1/arrival-imports/template", params={"lang": language, "format": kind}
            )
            assert template.status_code == 200
            if kind == "xlsx":
                sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
                assert sheet.cell(1, 4).value == text(language, "column.family_name")
            result = await upload(services, template.content, f"t.{kind}")
            assert result["counts"]["refused"] == 0, result
    assert await count(services, ARRIVALS) == 1  # the example row, six times


async def test_a_file_that_is_no_spreadsheet_or_lacks_columns_is_refused_before_any_row(
    services: RunningServices,
) -> None:
    headers = {"X-API-Key": services.partner_key, "Accept-Language": "ru"}
    garbage = await services.intake.post(
        "/v1/arrival-imports", files={"file": ("x.xlsx", b"PK\x03\x04broken")}, headers=headers
    )
    no_columns = await services.intake.post(
        "/v1/arrival-imports", files={"file": ("x.csv", b"a,b\n1,2\n")}, headers=headers
    )

    assert garbage.status_code == 422 and garbage.json()["title"] == "Файл не читается"
    assert no_columns.status_code == 422
    assert "arrival_date" in no_columns.json()["detail"]
    assert await count(services, ARRIVALS) == 0
