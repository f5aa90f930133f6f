"""Authorised requests and paged collections, shared by every part of the client.

The client's reads, commands, connections and subscriptions all send requests the same way: a
token from the auth object (renewed once when Smartcar rejects it), ``sc-user-id`` where v3 needs
it, and pages followed without ever sending the token to a host other than Smartcar's.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from yarl import URL

from . import _http, _json
from .const import HEADER_UNIT_SYSTEM, HEADER_USER_ID, MAX_PAGES, ApiVersion
from .errors import SmartcarAuthenticationError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from aiohttp import ClientSession

    from .auth import AbstractAuth
    from .const import Origins

_LOGGER = logging.getLogger(__package__)


class Transport:
    """One session, one token source and one API generation: everything a request needs."""

    def __init__(
        self,
        session: ClientSession,
        auth: AbstractAuth,
        *,
        api_version: ApiVersion,
        user_id: str | None,
        origins: Origins,
        timeout: float,
    ) -> None:
        """Remember what every request is sent with."""
        self.session = session
        self.auth = auth
        self.api_version = api_version
        self.user_id = user_id
        self.origins = origins
        self.timeout = timeout

    def require_user(self) -> str:
        """The Smartcar user v3 vehicle requests act for (``ValueError`` when unknown)."""
        if self.user_id is None:
            raise ValueError("Smartcar API v3 vehicle requests need a user_id")
        return self.user_id

    async def _send(
        self,
        token: str,
        *,
        method: str,
        url: str | URL,
        headers: Mapping[str, str],
        params: Mapping[str, str] | None,
        json_body: Any,
    ) -> _http.Response:
        return await _http.request(
            self.session,
            method,
            url,
            request_timeout=self.timeout,
            headers={**headers, "Authorization": f"Bearer {token}"},
            params=params,
            json_body=json_body,
        )

    async def request(
        self,
        method: str,
        url: str | URL,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        user: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> _http.Response:
        """Send an authorised request; a rejected token is renewed and the request sent again.

        ``user`` adds the ``sc-user-id`` header of the configured user.
        """
        all_headers: dict[str, str] = dict(headers or {})
        if user:
            all_headers[HEADER_USER_ID] = self.require_user()
        if self.api_version is ApiVersion.V2 and (method == "GET" or str(url).endswith("/batch")):
            all_headers[HEADER_UNIT_SYSTEM] = "metric"
        token = await self.auth.async_get_access_token()
        try:
            return await self._send(
                token,
                method=method,
                url=url,
                headers=all_headers,
                params=params,
                json_body=json_body,
            )
        except SmartcarAuthenticationError:
            if not await self.auth.async_invalidate(token):
                raise
            _LOGGER.debug("Access token rejected; retrying %s once with a new one", method)
        token = await self.auth.async_get_access_token()
        return await self._send(
            token, method=method, url=url, headers=all_headers, params=params, json_body=json_body
        )

    def resolve_link(self, current: URL, link: str) -> URL | None:
        """Resolve a link of a v3 answer; one pointing at another host is not followed."""
        base = URL(self.origins.v3_base)
        target = URL(link)
        if target.is_absolute():
            if target.origin() != base.origin():
                return None
            return target
        if link.startswith(base.path + "/"):
            return base.origin().join(target)
        if link.startswith("/"):
            return URL(f"{self.origins.v3_base}{link}")
        return current.join(target)

    def _next_page(
        self,
        current: URL,
        body: Any,
        count: int,
        paging: tuple[str, str] | None,
    ) -> URL | None:
        """The next page of a v3 collection: ``links.next`` if safe, else from ``meta``.

        ``paging`` names the page number and size query parameters the collection takes;
        ``None`` means only ``links.next`` is followed (the ``/signals`` convention).
        """
        if count == 0:
            return None
        body = _json.mapping(body)
        links = _json.mapping(body.get("links"))
        if (link := _json.text(links.get("next"))) is not None:
            target = self.resolve_link(current, link)
            if target is not None:
                return target
        elif "next" in links:
            return None
        if paging is None:
            return None
        number_key, size_key = paging
        meta = _json.mapping(body.get("meta"))
        page_meta = _json.mapping(meta.get("page"))
        number = (
            _json.integer(page_meta.get("number"))
            or _json.integer(meta.get("page"))
            or _json.integer(meta.get("pageNumber"))
            or _json.integer(current.query.get(number_key))
            or 1
        )
        size = (
            _json.integer(page_meta.get("size"))
            or _json.integer(meta.get("pageSize"))
            or _json.integer(current.query.get(size_key))
            or count
        )
        total_pages = _json.integer(page_meta.get("totalPages")) or _json.integer(
            meta.get("totalPages")
        )
        total = _json.integer(meta.get("totalCount"))
        if total is None:
            total = _json.integer(page_meta.get("totalCount"))
        if total_pages is not None:
            more = number < total_pages
        elif total is not None:
            more = number * size < total
        else:
            more = False
        if not more:
            return None
        return current.update_query({number_key: str(number + 1), size_key: str(size)})

    async def collection(
        self,
        url: URL,
        *,
        user: bool,
        paging: tuple[str, str] | None,
    ) -> list[Any]:
        """Fetch every page of a v3 collection and return the ``data`` items."""
        items: list[Any] = []
        seen: set[URL] = set()
        next_url: URL | None = url
        while next_url is not None and next_url not in seen and len(seen) < MAX_PAGES:
            seen.add(next_url)
            response = await self.request("GET", next_url, user=user)
            page = _json.array(_json.mapping(response.body).get("data"))
            items.extend(page)
            next_url = self._next_page(next_url, response.body, len(page), paging)
        return items
