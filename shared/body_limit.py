"""A request body over the limit is refused with 413 before it costs memory."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.asgi import HttpMiddleware
from shared.http import problem_response

#: a batch of 1,000 arrivals is about 1-2 MB; anything far larger is refused before it is read
MAX_BODY_BYTES = 4 * 1024 * 1024


class _TooLarge(Exception):
    pass


class BodySizeLimit(HttpMiddleware):
    """Refuse a request body over ``max_bytes`` with 413 before it costs memory: by its declared
    Content-Length, or while it streams in when none is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        tripped = refused = False

        async def counted() -> Message:
            nonlocal received, tripped
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    tripped = True
                    raise _TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal refused
            if not tripped:
                await send(message)
            elif message["type"] == "http.response.start" and not refused:
                # FastAPI turns an error while reading the body into its own 400 ("error
                # parsing the body"); the client is owed the 413 instead
                refused = True
                await self._refuse(scope, receive, send)

        try:
            await self.app(scope, counted, sending)
        except _TooLarge:
            if not refused:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Request body too large",
            f"The body exceeds {self.max_bytes} bytes; split it (a batch takes 1,000 items).",
        )
        await response(scope, receive, send)
