"""A started app behind a real uvicorn on a free loopback port, for the tests that need what
only a real server does (its access log, client addresses, concurrent connections)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI


@asynccontextmanager
async def served_over_tcp(app: FastAPI, *, access_log: bool = False) -> AsyncIterator[str]:
    """The app (already started: lifespan off) served until the block ends; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_config=None,
                            access_log=access_log)  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
