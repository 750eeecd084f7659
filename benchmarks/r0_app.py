"""Baseline R0: the least an HTTP endpoint can do on the services' framework and server.

FastAPI + uvicorn started the way ``shared.runtime.serve`` starts a service (``uvicorn.run``
with the same event loop and HTTP parser, ``log_config=None``), in its own process;
``POST /v1/arrivals`` reads the body and answers 202 with no body.

    python -m benchmarks.r0_app PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request, Response

from shared.runtime import server_choice

app = FastAPI(title="R0")


@app.post("/v1/arrivals", status_code=202)
async def accept(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


if __name__ == "__main__":
    loop, http = server_choice()
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None,
                loop=loop, http=http)  # fmt: skip
