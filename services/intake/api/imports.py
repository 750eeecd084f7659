"""Partners upload a spreadsheet of arrivals (CSV or XLSX); each row gets a result. Every
arrival goes through the same once-per-key path as ``POST /v1/arrivals``, under a key derived
from its content (a keyed hash: the key holds nothing readable), so uploading the same file
again creates nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from services.intake.api.arrivals import _registration
from services.intake.api.deps import CurrentPartner, once, vault_of
from services.intake.api.languages import language_of
from services.intake.catalogue import Language, text
from services.intake.imports import (
    MAX_ROWS,
    MissingColumns,
    Refusal,
    Row,
    TooManyRows,
    UnreadableFile,
    arrival_of,
    groups_of,
    rows_of,
    template,
)
from services.intake.partners import Partner, Scope
from services.intake.requests import ArrivalRequest
from shared.http import Problem
from shared.ratelimit import charge

router = APIRouter(prefix="/v1/arrival-imports", tags=["arrivals"])
#: arrivals registered at once: as the batch endpoint does
CONCURRENCY = 4
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _refused(
    language: Language, headers: dict[str, str], row: int, refusals: list[Refusal]
) -> dict[str, Any]:
    return {
        "row": row,
        "status": "refused",
        "errors": [
            {"column": headers.get(refusal.column, refusal.column) if refusal.column else None,
             "detail": text(language, refusal.reason, **refusal.values)}
            for refusal in refusals
        ],
    }  # fmt: skip


async def _register(
    request: Request, partner: Partner, arrival: ArrivalRequest
) -> tuple[str, dict[str, Any]]:
    content = json.dumps(arrival.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    key = "import-" + vault_of(request).blind("import-arrival", content)[:48]
    outcome = await once(request, partner, key, arrival, _registration(request, partner, arrival))
    if outcome.status_code >= 400:  # a refusal kept with the key, or its person erased since
        problem = outcome.response
        raise Problem(outcome.status_code, problem["title"], problem["detail"])
    return ("already_known" if outcome.replayed else "created"), outcome.response


async def _group_results(
    request: Request, partner: Partner, headers: dict[str, str], group: list[Row]
) -> list[dict[str, Any]]:
    language = language_of(request)
    arrival, refusals = arrival_of(group)
    if arrival is None:
        first_bad = min(refusals)
        return [
            _refused(language, headers, row.number, refusals.get(row.number)
                     or [Refusal("group", "error.group_refused", {"row": first_bad})])
            for row in group
        ]  # fmt: skip
    try:
        status, answer = await _register(request, partner, arrival)
    except Problem as problem:
        column = "arrival_date" if "arrival_date" in problem.detail else None
        reason = "error.future_date" if column else "error.invalid"
        return [_refused(language, headers, row.number, [Refusal(column, reason)]) for row in group]
    return [
        {"row": row.number, "status": status, "arrival_id": answer["arrival_id"],
         "person_id": answer["person_ids"][index]}
        for index, row in enumerate(group)
    ]  # fmt: skip


@router.post(
    "",
    responses={
        200: {"description": "A result per row: created, already_known or refused (column and "
              "reason, in the Accept-Language: ru, kk or en)."},
        403: {"description": "The key may not register arrivals."},
        422: {"description": "The file is not a spreadsheet, or lacks required columns."},
    },
)  # fmt: skip
async def post_import(
    request: Request, partner: CurrentPartner, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Upload arrivals as CSV or XLSX (the template: `GET /v1/arrival-imports/template`); up to
    5,000 rows. Rows sharing a `group` are one arrival travelling together. The same file
    again creates nothing: its rows come back `already_known`. Each row costs one request of
    your rate limit."""
    partner.require(Scope.REGISTER_ARRIVALS)
    try:
        headers, rows = rows_of(await file.read())
    except UnreadableFile as error:
        raise Problem(422, "Unreadable file", str(error)) from error
    except MissingColumns as error:
        raise Problem(422, "Missing columns", f"The header row lacks {error}.",
                      columns=", ".join(error.columns)) from error  # fmt: skip
    except TooManyRows as error:
        raise Problem(422, "Too many rows", f"{error} rows; split the file (up to {MAX_ROWS}).",
                      limit=MAX_ROWS) from error  # fmt: skip
    charge(request, len(rows) - 1)  # each row is a person, as in a batch; the upload took one
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(group: list[Row]) -> list[dict[str, Any]]:
        async with gate:
            return await _group_results(request, partner, headers, group)

    results = [row for rows_of_group in await asyncio.gather(*map(one, groups_of(rows)))
               for row in rows_of_group]  # fmt: skip
    results.sort(key=lambda result: int(result["row"]))
    counts = {status: 0 for status in ("created", "already_known", "refused")}
    for result in results:
        counts[result["status"]] += 1
    return {"counts": counts, "rows": results}


@router.get("/template", response_class=Response)
async def get_template(
    lang: Annotated[Language, Query(description="Language of the headers")] = "ru",
    format: Annotated[Literal["csv", "xlsx"], Query()] = "xlsx",
) -> Response:
    """The arrivals template: the headers in Russian, Kazakh or English and one example row.
    Any of the three languages' headers (or the codes) are read back."""
    name = f"arrivals-{lang}.{format}"
    return Response(
        template(lang, format), media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip
