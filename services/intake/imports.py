"""Arrivals from a spreadsheet: a partner's CSV or XLSX file, one person per row; rows that
share a ``group`` form one arrival travelling together. Files are read by openpyxl and the csv
module; this module only maps cells to the fields of ``POST /v1/arrivals`` and pydantic's
complaints back to the columns they came from, in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from pydantic import ValidationError

from services.intake.catalogue import LANGUAGES, Language, error_key, text
from services.intake.requests import ArrivalRequest

COLUMNS = (
    "group", "arrival_date", "crossing_point", "family_name", "given_name", "patronymic",
    "birth_date", "age", "sex", "relation", "languages", "document_type", "document_number",
    "needs", "contact_phone", "consent_housing", "consent_aid", "consent_statistics",
)  # fmt: skip
REQUIRED = ("arrival_date", "crossing_point", "family_name", "given_name", "sex")
MAX_ROWS = 5000
EXAMPLE = (
    "A1", "2022-09-24", "syrym", "Смирнов", "Алексей", "Иванович", "1994-03-02", "", "male",
    "self", "ru, en", "russian_internal_passport", "45 12 345678", "", "+7 701 000 00 00",
    "yes", "yes", "no",
)  # fmt: skip
_SEX = {"м": "male", "муж": "male", "мужской": "male", "ж": "female", "жен": "female",
        "женский": "female", "ер": "male", "әйел": "female"}  # fmt: skip
_TRUE = {"1", "true", "y"} | {text(language, "value.yes") for language in LANGUAGES}
_FALSE = {"0", "false", "n"} | {text(language, "value.no") for language in LANGUAGES}


class UnreadableFile(Exception):
    """Neither an XLSX workbook nor a CSV text."""


class TooManyRows(Exception):
    pass


class MissingColumns(Exception):
    def __init__(self, columns: list[str]) -> None:
        super().__init__(", ".join(columns))
        self.columns = columns


@dataclass
class Row:
    number: int  # as the spreadsheet shows it: the header is row 1
    values: dict[str, Any]


@dataclass
class Refusal:
    column: str | None  # the column's code; its header as written comes from the sheet
    reason: str  # a catalogue key
    values: dict[str, Any] = field(default_factory=dict)


def cells(content: bytes) -> list[list[Any]]:
    """Every row of the first sheet (XLSX) or of the text (CSV: comma or semicolon, UTF-8 or
    Windows-1251, as Excel saves them in Russian)."""
    if content.startswith(b"PK\x03\x04"):  # a zip archive, as every XLSX is
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
        except Exception as error:  # a zip that is no workbook
            raise UnreadableFile(str(error)) from error
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            decoded = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile("not UTF-8 nor Windows-1251 text")
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(decoded), dialect)]


def _label(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def header_map(header: list[Any]) -> dict[int, str]:
    """Column index -> column code, for headers written in any of the three languages."""
    known = {code: code for code in COLUMNS}
    for language in LANGUAGES:
        known.update({_label(text(language, f"column.{code}")): code for code in COLUMNS})
    labels = [_label(cell) for cell in header]
    found = {index: known[label] for index, label in enumerate(labels) if label in known}
    missing = [code for code in REQUIRED if code not in found.values()]
    if missing:
        raise MissingColumns(missing)
    return found


def rows_of(content: bytes) -> tuple[dict[str, str], list[Row]]:
    """The headers as written (by column code) and the non-empty rows."""
    table = cells(content)
    if not table:
        raise MissingColumns(list(REQUIRED))
    columns = header_map(table[0])
    headers = {code: str(table[0][index]).strip() for index, code in columns.items()}
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {code: raw[index] for index, code in columns.items() if index < len(raw)}
        if any(str(value or "").strip() for value in values.values()):
            rows.append(Row(number, values))
    if len(rows) > MAX_ROWS:
        raise TooManyRows(len(rows))
    return headers, rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a spreadsheet cell
    return str(value).strip() or None


def _day(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    typed = _text(value)
    if typed is not None:
        try:
            return datetime.strptime(typed, "%d.%m.%Y").date().isoformat()
        except ValueError:
            pass  # ISO dates and anything else go to the model, which names what is wrong
    return typed


def _listed(value: Any) -> list[str]:
    typed = _text(value) or ""
    return [part.strip() for part in typed.replace(";", ",").split(",") if part.strip()]


def _consent(value: Any, default: bool) -> bool | None:
    typed = (_text(value) or "").lower()
    if not typed:
        return default
    return True if typed in _TRUE else False if typed in _FALSE else None


def member_of(values: dict[str, Any]) -> dict[str, Any]:
    """One row as a member of ``POST /v1/arrivals``: blank cells left out, so the model's
    defaults apply and its complaints name the field."""
    member: dict[str, Any] = {
        name: _text(values.get(name))
        for name in ("given_name", "family_name", "patronymic", "relation", "contact_phone")
    }
    sex = (_text(values.get("sex")) or "").lower()
    member.update(
        sex=_SEX.get(sex, sex) or None, age=_text(values.get("age")),
        birth_date=_day(values.get("birth_date")),
        languages=[code.lower() for code in _listed(values.get("languages"))],
        needs=_listed(values.get("needs")),
    )  # fmt: skip
    kind, number = _text(values.get("document_type")), _text(values.get("document_number"))
    if kind or number:
        member["documents"] = [{"type": kind or "other", "number": number}]
    return {name: value for name, value in member.items() if value not in (None, [])}


def _column_of(location: tuple[Any, ...]) -> str | None:
    """The column a pydantic error location points at (members/0/... -> that member's row)."""
    names = [part for part in location if isinstance(part, str)]
    if "documents" in names:
        return "document_number" if names[-1] == "number" else "document_type"
    for name in reversed(names):
        if name in COLUMNS:
            return name
    if names and names[0] == "consents":
        return "consent_housing"
    return "birth_date" if names == ["members"] else None


def arrival_of(rows: list[Row]) -> tuple[ArrivalRequest | None, dict[int, list[Refusal]]]:
    """One arrival from the rows of a group (or a single row), or the refusals by row."""
    first = rows[0].values
    refusals: dict[int, list[Refusal]] = {}
    consents = []
    for purpose, column, default in (
        ("housing", "consent_housing", True), ("aid", "consent_aid", True),
        ("anonymous_statistics", "consent_statistics", False),
    ):  # fmt: skip
        given = _consent(first.get(column), default)
        if given is None:
            refusals.setdefault(rows[0].number, []).append(Refusal(column, "error.yes_no"))
        elif given:
            consents.append(purpose)
    body = {
        "arrival_date": _day(first.get("arrival_date")),
        "crossing_point": _text(first.get("crossing_point")),
        "keep_together": len(rows) > 1,
        "members": [member_of(row.values) for row in rows],
        "consents": consents,
    }
    try:
        request = ArrivalRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as error:
        for issue in error.errors(include_url=False):
            location = tuple(issue["loc"])
            index = location[1] if location[:1] == ("members",) and len(location) > 1 else 0
            row = rows[index].number if isinstance(index, int) else rows[0].number
            reason = error_key(issue["type"], issue["msg"])
            refusals.setdefault(row, []).append(Refusal(_column_of(location), reason))
        return None, refusals
    return (None, refusals) if refusals else (request, {})


def groups_of(rows: Iterable[Row]) -> list[list[Row]]:
    """Rows with the same ``group`` travel together; a row without one travels alone."""
    grouped: dict[str, list[Row]] = {}
    alone: list[list[Row]] = []
    for row in rows:
        name = _text(row.values.get("group"))
        if name is None:
            alone.append([row])
        else:
            grouped.setdefault(name, []).append(row)
    return sorted([*grouped.values(), *alone], key=lambda group: group[0].number)


def template(language: Language, kind: str) -> bytes:
    """An empty arrivals sheet with its headers in ``language`` and one example row."""
    headers = [text(language, f"column.{code}") for code in COLUMNS]
    if kind == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerow(EXAMPLE)
        return out.getvalue().encode("utf-8-sig")  # Excel opens Cyrillic right with the BOM
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = text(language, "template.sheet")
    sheet.append(headers)
    sheet.append(list(EXAMPLE))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()
