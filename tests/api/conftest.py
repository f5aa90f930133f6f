"""A canned Smartcar on a loopback port, and clients pointed at it.

Each test registers the answers it needs (recorded-shape JSON from ``fixtures/``) for a method
and path; every request is recorded so tests can check exactly what the client sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.smartcar.api import (
    ApiVersion,
    Origins,
    SmartcarClient,
    StaticTokenAuth,
)

if TYPE_CHECKING:
    from multidict import CIMultiDictProxy, MultiMapping

FIXTURES = Path(__file__).parent / "fixtures"

V2_TOKEN = "v2-access-token"
APP_TOKEN = "v3-application-token"
USER_ID = "93b3ea96-0d51-4e0c-8a0b-6c3f2a1e5f10"
VEHICLE_ID = "36ab27d0-fd9d-4455-823a-ce30af709ffc"


def load(name: str) -> Any:
    """Read a JSON fixture."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load_bytes(name: str) -> bytes:
    """Read a fixture's raw bytes (webhook bodies are signed as sent)."""
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    """One canned answer: JSON (or raw bytes), status, headers, and an optional delay."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False


type Handler = Callable[[web.Request], Awaitable[Reply]]


@dataclass
class Recorded:
    """A request the fake server received."""

    method: str
    path: str
    query: MultiMapping[str]
    headers: CIMultiDictProxy[str]
    body: bytes
    raw_path: str

    def json(self) -> Any:
        """The request body as JSON."""
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        """The request body as a form."""
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode()))


class FakeSmartcar:
    """Canned answers per (method, path); the last answer of a route repeats."""

    def __init__(self) -> None:
        """Start with no routes."""
        self.routes: dict[tuple[str, str], list[Reply | Handler]] = {}
        self.requests: list[Recorded] = []
        self.release = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self.server = TestServer(self.app, host="127.0.0.1", port=0)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return str(self.server.make_url("")).rstrip("/")

    @property
    def origins(self) -> Origins:
        """Every Smartcar service on this one server."""
        return Origins(
            api=self.origin,
            auth_token_url=f"{self.origin}/oauth/token",
            connect=self.origin,
            management=self.origin,
            vehicle_v3=self.origin,
            iam=self.origin,
            management_v3=self.origin,
        )

    def add(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer ``method path`` with ``replies`` in turn (the last one repeats)."""
        self.routes[method, path] = list(replies)

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        """The recorded requests, optionally of one method and/or path."""
        return [
            item
            for item in self.requests
            if (method is None or item.method == method) and (path is None or item.path == path)
        ]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                request.query,
                request.headers,
                body,
                request.raw_path,
            )
        )
        replies = self.routes.get((request.method, request.path))
        if not replies:
            return web.json_response({"test": "no route"}, status=599)
        item = replies.pop(0) if len(replies) > 1 else replies[0]
        reply = item if isinstance(item, Reply) else await item(request)
        if reply.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), reply.delay)
        if reply.drop:
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        raw = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        if reply.raw is None and reply.body is None:
            raw = b""
        return web.Response(
            body=raw,
            status=reply.status,
            headers=reply.headers,
            content_type=reply.content_type,
        )


@pytest.fixture
async def fake(socket_enabled: None) -> AsyncIterator[FakeSmartcar]:
    """A started fake Smartcar, closed after the test (loopback sockets only)."""
    server = FakeSmartcar()
    await server.server.start_server()
    try:
        yield server
    finally:
        server.release.set()
        await server.server.close()


@pytest.fixture
async def session() -> AsyncIterator[ClientSession]:
    """An aiohttp session, closed after the test."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
def v2_client(fake: FakeSmartcar, session: ClientSession) -> SmartcarClient:
    """A v2 client with a fixed per-vehicle token."""
    return SmartcarClient(
        session, StaticTokenAuth(V2_TOKEN), api_version=ApiVersion.V2, origins=fake.origins
    )


@pytest.fixture
def v3_client(fake: FakeSmartcar, session: ClientSession) -> SmartcarClient:
    """A v3 client with a fixed application token acting for ``USER_ID``."""
    return SmartcarClient(
        session,
        StaticTokenAuth(APP_TOKEN),
        api_version=ApiVersion.V3,
        user_id=USER_ID,
        origins=fake.origins,
    )
