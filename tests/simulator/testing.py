"""Helpers for tests that talk to the simulator: blocking clients in threads, Connect by form.

The official SDK is synchronous; `in_thread` runs it on a plain thread that is always joined,
so the simulator keeps serving on the test's event loop and no thread outlives the test.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any

from yarl import URL

from . import const

if TYPE_CHECKING:
    from collections.abc import Callable

    import aiohttp


async def in_thread[T](function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking call on its own thread and await its result (the thread is joined)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def deliver(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = function(*args, **kwargs)
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(deliver, None, err)
        else:
            loop.call_soon_threadsafe(deliver, result, None)

    thread = threading.Thread(target=run, name="simulator-test-client", daemon=True)
    thread.start()
    try:
        return await future
    finally:
        thread.join()


async def approve(
    session: aiohttp.ClientSession,
    authorize_url: str,
    *,
    email: str = const.DEMO_USER_EMAIL,
    vehicle_ids: list[str] | None = None,
    action: str = "approve",
) -> URL:
    """Open the consent page, submit its form and return the redirect target."""
    async with session.get(authorize_url, allow_redirects=False) as page:
        assert page.status == 200, await page.text()
        html = await page.text()
        assert 'name="action" value="approve"' in html
    form: list[tuple[str, str]] = [("email", email), ("action", action)]
    form.extend(("vehicle_id", vehicle_id) for vehicle_id in vehicle_ids or [])
    async with session.post(authorize_url, data=form, allow_redirects=False) as response:
        assert response.status == 302, await response.text()
        return URL(response.headers["Location"])


class Reply:
    """An HTTP answer read completely: status, headers and parsed body."""

    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        """Store the parts of the answer."""
        self.status = status
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        """Show status and body (assert messages)."""
        return f"Reply({self.status}, {self.body!r})"


async def call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> Reply:
    """Send a request (with an optional bearer token) and read the JSON (or text) answer."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    async with session.request(method, url, headers=sent, **kwargs) as response:
        text = await response.text()
        body: Any = text
        if response.content_type == "application/json" and text:
            body = await response.json()
        return Reply(response.status, dict(response.headers), body)
