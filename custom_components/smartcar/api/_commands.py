"""Remote commands over v2 (``status`` bodies) and v3 (``command-execution`` resources).

A v3 command the car takes a while for answers 202 with a PENDING execution. Smartcar documents
no way to look such an execution up, only that the final body may follow on the same response,
so a command whose answer stays PENDING is reported as sent but not confirmed rather than as a
failure; when the answer does carry a link on Smartcar's own host, it is re-read for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import logging
import time
from typing import TYPE_CHECKING, Any, Final

from . import _json
from .errors import SmartcarCommandError, SmartcarResponseError, error_from_payload
from .models import CommandResult

if TYPE_CHECKING:
    from yarl import URL

    from . import _http
    from ._transport import Transport

_LOGGER = logging.getLogger(__package__)

_SUCCESS: Final = frozenset({"SUCCESS", "SUCCEEDED", "SUCCESSFUL", "COMPLETED", "COMPLETE", "OK"})
#: Statuses of a command the car has accepted but not finished.
_PENDING: Final = frozenset({"PENDING", "QUEUED", "IN_PROGRESS", "RUNNING", "SENT", "ACCEPTED"})
#: First re-read of a running command after this many seconds, then less and less often.
COMMAND_POLL_INTERVAL: Final = 5.0
COMMAND_POLL_MAX_INTERVAL: Final = 30.0


async def v2_command(transport: Transport, url: str, body: Mapping[str, Any]) -> CommandResult:
    """Send a v2 command; anything but a success status raises ``SmartcarCommandError``."""
    response = await transport.request("POST", url, json_body=body)
    answer = _json.mapping(response.body)
    status = _json.text(answer.get("status"))
    message = _json.text(answer.get("message"))
    if status is None or status.upper() not in _SUCCESS:
        raise SmartcarCommandError(
            message or "The vehicle did not confirm the command",
            code=status.upper() if status else None,
            status=response.status,
            request_id=response.headers.get("sc-request-id"),
        )
    return CommandResult(status=status, message=message, command_id=None)


async def v3_command(
    transport: Transport, url: URL, body: Any, *, poll_interval: float
) -> CommandResult:
    """Send a v3 command and return its outcome, ``confirmed=False`` while it stays pending.

    A running command with a link to its execution (on Smartcar's host) is re-read until it
    ends or the client's timeout has passed; without a link, the answer is taken as it is.
    """
    response = await transport.request("POST", url, json_body=body, user=True)
    deadline = time.monotonic() + transport.timeout
    delay = poll_interval
    while (pending := _pending(response)) is not None:
        link = _execution_link(transport, url, response.body)
        if link is None or time.monotonic() + delay > deadline:
            _LOGGER.debug("Command %s was sent; the vehicle has not confirmed it", url.path)
            return pending
        _LOGGER.debug("Command %s is running; checking again", url.path)
        await asyncio.sleep(delay)
        delay = min(delay * 2, COMMAND_POLL_MAX_INTERVAL)
        response = await transport.request("GET", link, user=True)
    return _outcome(response)


def _execution_link(transport: Transport, current: URL, body: Any) -> URL | None:
    """The link of a running command's execution, if Smartcar gave one on its own host."""
    resource = _json.resource(body)
    for links in (
        _json.mapping(resource.get("links")),
        _json.mapping(_json.mapping(body).get("links")),
    ):
        if (link := _json.text(links.get("self"))) is not None:
            return transport.resolve_link(current, link)
    return None


def _status(response: _http.Response) -> tuple[str | None, str | None, Mapping[str, Any]]:
    """The status value, message and status object of a command answer."""
    resource = _json.resource(response.body)
    attributes = _json.mapping(resource.get("attributes"))
    raw_status = attributes.get("status", resource.get("status"))
    status_object = _json.mapping(raw_status)
    value = _json.text(status_object.get("value")) if status_object else _json.text(raw_status)
    message = _json.text(status_object.get("message")) or _json.text(attributes.get("message"))
    return value, message, status_object


def _pending(response: _http.Response) -> CommandResult | None:
    """The unconfirmed result of an answer that is still pending, else ``None``."""
    value, message, _status_object = _status(response)
    if value is None or value.upper() not in _PENDING:
        return None
    resource = _json.resource(response.body)
    return CommandResult(
        status=value,
        message=message,
        command_id=_json.text(resource.get("id")),
        confirmed=False,
    )


def _outcome(response: _http.Response) -> CommandResult:
    """The result of a finished v3 command answer; a failure raises its error."""
    value, message, status_object = _status(response)
    resource = _json.resource(response.body)
    attributes = _json.mapping(resource.get("attributes"))
    request_id = response.headers.get("sc-request-id")
    if value is not None and value.upper() in _SUCCESS:
        return CommandResult(
            status=value, message=message, command_id=_json.text(resource.get("id"))
        )
    error = status_object.get("error") or attributes.get("error")
    if isinstance(error, Mapping) and error:
        raise error_from_payload(response.status, response.headers, error)
    if value is None:
        raise SmartcarResponseError(
            "The command answer carries no status",
            status=response.status,
            request_id=request_id,
        )
    raise SmartcarCommandError(
        message or f"The command ended with status {value}",
        code=value.upper(),
        status=response.status,
        request_id=request_id,
    )
