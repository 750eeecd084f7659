"""HTTP conventions shared by the services: RFC 9457 problem details, the operator key, and
what a route takes from its service's app (the pool, the store)."""

from __future__ import annotations

import hmac
import logging
import re
from typing import Annotated, Any

import asyncpg
from fastapi import FastAPI, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator
from starlette.exceptions import HTTPException

from shared.eventstore import Conflict, EventStore
from shared.idempotency import MAX_KEY_LENGTH
from shared.openapi import KEY_HELP, REPLAYED, SCHEME, document_problems
from shared.openapi import PROBLEM_JSON as PROBLEM_JSON  # where the services import it from

log = logging.getLogger(__name__)


class Problem(Exception):
    """An error the client can act on: what was wrong and what to do."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        kind: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.headers = headers or {}
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any
) -> JSONResponse:
    body = {"type": kind, "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class EncodedJSON(JSONResponse):
    """A JSON answer given as the text JSONResponse would write of it (the same bytes and
    headers), so that an answer already encoded is not encoded again."""

    def render(self, content: Any) -> bytes:
        text: str = content
        return text.encode()


def stored_answer(
    status_code: int, content: Any, *, replayed: bool = False, text: str | None = None
) -> JSONResponse:
    """A POST's answer, first or replayed: a refusal kept with its key (a 422, or the 410 of a
    request whose person was erased) leaves as problem details, as the OpenAPI says; a replay
    says so in its ``Idempotent-Replayed`` header. ``text``: ``content`` already encoded
    (shared.idempotency.answer_text writes what JSONResponse would), sent as it is."""
    media_type = PROBLEM_JSON if status_code >= 400 else "application/json"
    headers = {REPLAYED: "true"} if replayed else None
    if text is not None:
        return EncodedJSON(text, status_code=status_code, media_type=media_type, headers=headers)
    return JSONResponse(content, status_code=status_code, media_type=media_type, headers=headers)


def json_pointer(location: tuple[int | str, ...]) -> str:
    """``("body", "members", 0, "age")`` -> ``#/members/0/age`` (RFC 6901, as RFC 9457 shows)."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header"):
        source = parts.pop(0)
        if source != "body":
            return f"{source}:{'/'.join(str(part) for part in parts)}"
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped)


def install_problem_details(app: FastAPI) -> None:
    """Every error leaves as ``application/problem+json`` naming what and where, and the
    OpenAPI document says so."""
    document_problems(app)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"pointer": json_pointer(tuple(issue["loc"])), "detail": issue["msg"]}
            for issue in error.errors()
        ]
        where = ", ".join(entry["pointer"] for entry in errors[:5])
        return problem_response(
            422,
            "Invalid request",
            f"{len(errors)} field(s) are invalid: {where}. Correct them and send again.",
            errors=errors,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        return problem_response(error.status_code, str(error.detail), str(error.detail))

    @app.exception_handler(Problem)
    async def problem(_: Request, error: Problem) -> JSONResponse:
        response = problem_response(
            error.status, error.title, error.detail, error.kind, **error.extra
        )
        response.headers.update(error.headers)
        return response

    @app.exception_handler(Conflict)
    async def contended(_: Request, error: Conflict) -> JSONResponse:
        # still losing races after every retry: too many changes to one thing at once
        log.warning("gave up after repeated conflicts: %s", error)
        response = problem_response(
            503,
            "Busy",
            "Too many changes to the same record at once (a shelter, a stock); nothing was "
            "changed. Retry after the Retry-After seconds with the same Idempotency-Key.",
        )
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def unexpected(_: Request, error: Exception) -> JSONResponse:
        # the details go to the log (with the trace id), never to the client
        log.exception("unhandled error")
        return problem_response(
            500,
            "Internal error",
            "Something failed on our side; retry later with the same "
            "Idempotency-Key, or tell the coordination centre the time of the request.",
        )


def admit_browser_origins(app: FastAPI, origins: list[str]) -> None:
    """Let pages served from ``origins`` (the field app, which intake serves) call this service
    from a browser: CORS for the methods and headers the app sends, nothing more."""
    app.add_middleware(
        CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
        allow_headers=["X-API-Key", "Idempotency-Key", "Content-Type", "Accept-Language"],
        expose_headers=[REPLAYED], max_age=600,
    )  # fmt: skip


def pool_of(request: Request) -> asyncpg.Pool:
    """The pool of the service answering ``request`` (its ``ServiceRuntime``)."""
    pool: asyncpg.Pool = request.app.state.runtime.pool
    return pool


def store_of(request: Request) -> EventStore:
    """The event store the service's main module wired into its app."""
    store: EventStore = request.app.state.store
    return store


def keys_match(given: str, expected: SecretStr) -> bool:
    return hmac.compare_digest(given.encode(), expected.get_secret_value().encode())


def require_operator(expected: SecretStr, given: str | None) -> None:
    if not given:
        raise Problem(401, "Missing API key", "Send the operator key in the X-API-Key header.")
    if not keys_match(given, expected):
        raise Problem(401, "Unknown API key", "The X-API-Key is not a valid operator key.")


#: the caller's key, declared as a security scheme: /docs offers Authorize, and each route that
#: takes it lists it under ``security``; a missing key is ours to refuse (401 problem details)
API_KEY = APIKeyHeader(name="X-API-Key", scheme_name=SCHEME, description=KEY_HELP, auto_error=False)
ApiKeyHeader = Annotated[str | None, Security(API_KEY)]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _refuse_unstorable_text(value: Any) -> None:
    """Refuse text Postgres cannot store and UTF-8 cannot encode: a NUL character, or a lone
    surrogate (JSON may write one as an escape, "\\ud800"). Walked without recursion, so a
    body nested as deep as the JSON parser allows costs no stack; the message says where. The
    places are named only once something was found: every request body is walked, nearly
    always to find nothing, and a path made for every value was most of the walk."""
    if _holds_unstorable_text(value):
        _refuse_where(value)


def _holds_unstorable_text(value: Any) -> bool:
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def _refuse_where(value: Any) -> None:
    pending: list[tuple[str, Any]] = [("#", value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if (found := _UNSTORABLE.search(item)) and found.group() == "\x00":
                raise ValueError(f"text must not contain NUL (\\u0000) characters (at {where})")
            if found:
                raise ValueError(f"text must be valid Unicode: a lone surrogate (at {where})")
        elif isinstance(item, dict):
            for key, inner in item.items():
                # the key is checked before the value whose path names it
                pending.append((f"{where}/{key}", inner))
                pending.append((where, key))
        elif isinstance(item, list | tuple):
            pending.extend((f"{where}/{index}", inner) for index, inner in enumerate(item))


class RequestBody(BaseModel):
    """The base of every request body: unknown fields are refused, and so is text that
    Postgres cannot store (a NUL character, a lone surrogate), as a 422 naming the field
    rather than a 500."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def no_nul_characters(cls, data: Any) -> Any:
        _refuse_unstorable_text(data)
        return data


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A request body's ``model_config`` that shows ``bodies`` as its examples in the OpenAPI
    document (and, as in every RequestBody, refuses unknown fields)."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": list(bodies)})


IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        description="A key of your choice per request; a retry with the same key and body "
        "returns the first answer (a success or a refusal, marked Idempotent-Replayed: true) "
        "and changes nothing; the same key with another body is a 409.",
    ),
]
