"""What the services' own ASGI middlewares share: they act on HTTP requests only."""

from __future__ import annotations

from abc import ABC, abstractmethod

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware(ABC):
    """A pure ASGI middleware that acts on HTTP requests; anything else (the lifespan, a
    websocket) and whatever :meth:`passes_over` names go straight to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def passes_over(self, scope: Scope) -> bool:
        """Whether the request goes to the app untouched."""
        return bool(scope["type"] != "http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.passes_over(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    @abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Act on one HTTP request, passing it on to ``self.app`` when it goes ahead."""
