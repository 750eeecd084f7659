"""The OpenAPI document says what the services really answer: every error as RFC 9457
problem details (``application/problem+json``) with an example, and the API key as a
security scheme, so that /docs offers its Authorize button.

The error statuses of an operation follow from what the operation takes, the way
shared/http.py and the middlewares answer them: a key (401, 403, 429), parameters or a body
(422), a body (400 unreadable, 413 too large), a path id or a body naming records (404), an
``Idempotency-Key`` (409 reused for another body, 410 a retry whose person was erased since,
503 when one record is too contended).
Routes may declare more with :func:`problem_responses`. An operation that takes an
``Idempotency-Key`` declares the ``Idempotent-Replayed`` header on the answers a retry may get
again: its successes, its refusal (422) and the 410 of a request whose person was erased.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

PROBLEM_JSON = "application/problem+json"
SCHEME = "ApiKey"
KEY_HELP = "A partner's key, or the coordination centre's operator key."
PROBLEM_REF = "#/components/schemas/Problem"

#: the header that marks an answer given before to the same Idempotency-Key (and body)
REPLAYED = "Idempotent-Replayed"
REPLAYED_HEADER: dict[str, Any] = {
    "description": "Present, as true, when this is the answer first given to the same "
    "Idempotency-Key and body: the retry changed nothing. Absent from a first answer.",
    "schema": {"type": "string", "enum": ["true"]},
}
#: the answers a key keeps for its retries, beside every success (shared/idempotent_post.py)
KEPT_REFUSALS = (410, 422)

#: RFC 9457 §3, with the ``errors`` list our 422 answers carry
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "Problem details (RFC 9457): what was wrong and what to do.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string", "description": "A short summary of the kind of problem."},
        "status": {"type": "integer", "description": "The HTTP status code."},
        "detail": {"type": "string", "description": "What was wrong and what to do about it."},
        "errors": {
            "type": "array",
            "description": "One entry per invalid field (422).",
            "items": {
                "type": "object",
                "required": ["pointer", "detail"],
                "properties": {
                    "pointer": {"type": "string", "description": "Where: a JSON pointer."},
                    "detail": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

#: (title, detail) of each status, as the services word them
EXAMPLES: dict[int, tuple[str, str]] = {
    400: ("Invalid request", "The body is not valid JSON. Send a JSON object."),
    401: ("Missing API key", "Send your key in the X-API-Key header."),
    403: ("Not allowed", "This key may not do this; ask the coordination centre."),
    404: ("Not found", "No such record, or not one of yours."),
    409: ("Idempotency-Key reused", "The key was already used for a different request body."),
    410: ("Erased", "A person this request carried was erased; send a new request if needed."),
    413: ("Request body too large", "The body exceeds 4194304 bytes; split it."),
    422: ("Invalid request", "1 field(s) are invalid: #/members/0/sex. Correct them."),
    429: ("Too many requests", "Over this key's rate; retry after the Retry-After seconds."),
    500: ("Internal error", "Something failed on our side; retry later with the same key."),
    503: ("Busy", "Too many changes to the same record at once; retry after Retry-After s."),
}


def problem_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one error status."""
    title, detail = EXAMPLES.get(status, ("Problem", "See the detail."))
    example: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if status == 422:
        example["errors"] = [{"pointer": "#/members/0/sex", "detail": "Input should be ..."}]
    return {
        "description": title,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}, "example": example}},
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's ``responses=``: error statuses beyond those implied by its inputs."""
    return {status: problem_response(status) for status in statuses}


def implied_statuses(operation: dict[str, Any], path: str) -> set[int]:
    """The error statuses an operation can answer, from what it takes."""
    names = {parameter["name"] for parameter in operation.get("parameters", [])}
    statuses = {500}
    if operation.get("security"):
        statuses |= {401, 403, 429}
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if "{" in path or "requestBody" in operation:  # a body names records too (a merge's persons)
        statuses.add(404)
    if "Idempotency-Key" in names:  # reused for another body; busy; its person since erased
        statuses |= {409, 410, 503}
    return statuses


def _takes_a_key(operation: dict[str, Any]) -> bool:
    return any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))


def _declare_replays(responses: dict[str, Any]) -> None:
    """The answers a retry with the same key may get again say they may be marked replayed."""
    for code, response in responses.items():
        if code.startswith("2") or code in {str(status) for status in KEPT_REFUSALS}:
            response.setdefault("headers", {})[REPLAYED] = REPLAYED_HEADER


def declare_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Rewrite ``document`` in place: every error response as problem details."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            statuses = implied_statuses(operation, path) | {
                int(code) for code in responses if code.isdigit() and int(code) >= 400
            }
            for status in sorted(statuses):
                declared = responses.get(str(status), {}).get("description")
                responses[str(status)] = problem_response(status)
                if declared and status != 422:  # a route's own words for its refusal
                    responses[str(status)]["description"] = declared
            if _takes_a_key(operation):
                _declare_replays(responses)
    schemas = document["components"]["schemas"]
    # FastAPI's own 422 shape is never sent: our handler answers problem details instead
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare problem details for every error (built once, cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            # FastAPI's own document (with every setting of the app), then ours on top
            app.openapi_schema = declare_problems(FastAPI.openapi(app))
        return app.openapi_schema

    replace: Callable[[], dict[str, Any]] = openapi
    app.openapi = replace  # type: ignore[method-assign]
