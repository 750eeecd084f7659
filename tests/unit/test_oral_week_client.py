"""The Oral week's client (benchmarks/oral_week/client.py), against a small HTTP/1.1 server on
a real socket: a lost answer's request goes again with the same key and body, and a keep-alive
connection the server closed is replaced without counting as a retry."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from benchmarks.oral_week.client import Api

#: (status, close the connection after answering)
Script = Callable[[int], tuple[int, bool]]


@dataclass
class Server:
    """Answers the n-th request as ``script(n)`` says, with its body echoed back as JSON."""

    script: Script
    port: int = 0
    seen: list[tuple[str, bytes]] = field(default_factory=list)  # (Idempotency-Key, body)
    connections: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = dict(
                    line.split(": ", 1) for line in head.decode().split("\r\n")[1:] if ": " in line
                )
                body = await reader.readexactly(int(headers.get("Content-Length", "0")))
                self.seen.append((headers.get("Idempotency-Key", ""), body))
                status, close = self.script(len(self.seen))
                answer = json.dumps({"echo": body.decode()}).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
                if close:
                    break
        except asyncio.IncompleteReadError:
            pass  # the client closed the connection
        finally:
            writer.close()


Serve = Callable[[Script], Awaitable[Server]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[asyncio.Server] = []

    async def started(script: Script) -> Server:
        server = Server(script)
        listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        servers.append(listening)
        server.port = listening.sockets[0].getsockname()[1]
        return server

    yield started
    for listening in servers:
        listening.close()
        await listening.wait_closed()


def api_for(server: Server, retried: list[str]) -> Api:
    return Api({"aid": f"http://127.0.0.1:{server.port}"}, 2, "operator", retried.append)


async def test_a_lost_answer_is_asked_again_with_the_same_key_and_body(serve: Serve) -> None:
    server = await serve(lambda n: (503 if n == 1 else 201, False))
    retried: list[str] = []
    api = api_for(server, retried)

    answer = await api.post("aid", "/v1/distributions", {"item": "hot_meal"}, "key-1")

    assert answer.status_code == 201
    assert answer.json() == {"echo": '{"item": "hot_meal"}'}
    assert server.seen == [("key-1", b'{"item": "hot_meal"}')] * 2
    assert retried == ["/v1/distributions 503"]
    api.close()


async def test_a_connection_the_server_closed_is_replaced_without_a_retry(serve: Serve) -> None:
    # every answer closes its connection, as uvicorn does with one idle too long
    server = await serve(lambda n: (201, True))
    retried: list[str] = []
    api = api_for(server, retried)

    for n in range(3):
        answer = await api.post("aid", "/v1/support-requests", {"n": n}, f"key-{n}")
        assert answer.status_code == 201
        await asyncio.sleep(0.01)  # the server's close reaches the client

    assert [key for key, _ in server.seen] == ["key-0", "key-1", "key-2"]
    assert server.connections == 3
    assert retried == []
    api.close()


async def test_keep_alive_connections_are_reused(serve: Serve) -> None:
    server = await serve(lambda n: (200, False))
    api = api_for(server, [])

    for n in range(5):
        assert (await api.post("aid", "/v1/x", {"n": n}, f"k{n}")).status_code == 200

    assert server.connections == 1
    api.close()
