"""Problem details in the language the request asks for (Accept-Language: ru, kk or en).

English stays as the shared handlers write it; for ru and kk the title, the detail and each
field's reason come from the message catalogues, and the pointers stay as they are, so a client
can place each reason next to its field."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.intake.catalogue import DEFAULT, Language, error_key, has, negotiate, text
from shared.http import Problem, json_pointer, problem_response


def language_of(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")


def localized(language: Language, problem: Problem) -> JSONResponse:
    """A problem with its title (and detail, where the catalogue holds one) in ``language``."""
    key = f"problem.{_slug(problem.title)}"
    title, detail = problem.title, problem.detail
    if language != DEFAULT and has(f"{key}.title"):
        title = text(language, f"{key}.title")
        if has(f"{key}.detail"):
            detail = text(language, f"{key}.detail", **problem.extra)
    response = problem_response(problem.status, title, detail, problem.kind, **problem.extra)
    response.headers["Content-Language"] = language
    return response


def field_errors(language: Language, issues: list[Any]) -> list[dict[str, str]]:
    return [
        {
            "pointer": json_pointer(tuple(issue["loc"])),
            "detail": issue["msg"] if language == DEFAULT else text(language, error_key_of(issue)),
        }
        for issue in issues
    ]


def error_key_of(issue: Any) -> str:
    return error_key(str(issue.get("type", "")), str(issue.get("msg", "")))


def install(app: FastAPI) -> None:
    """Replace the shared handlers of invalid requests and problems with localized ones."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        language = language_of(request)
        errors = field_errors(language, list(error.errors()))
        where = ", ".join(entry["pointer"] for entry in errors[:5])
        title = text(language, "problem.invalid_request.title")
        detail = text(language, "problem.invalid_request.detail", count=len(errors), where=where)
        response = problem_response(422, title, detail, errors=errors)
        response.headers["Content-Language"] = language
        return response

    @app.exception_handler(Problem)
    async def problem(request: Request, error: Problem) -> JSONResponse:
        return localized(language_of(request), error)
