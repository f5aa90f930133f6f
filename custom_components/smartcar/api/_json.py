"""Lenient readers for decoded JSON, shared by the client's request modules.

Smartcar's answers are read defensively: a field of the wrong type is treated as missing rather
than failing a whole read, so each reader returns an empty or ``None`` value instead of raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import _convert


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a JSON object, else an empty mapping."""
    return value if isinstance(value, Mapping) else {}


def array(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """``value`` when it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def integer(value: Any) -> int | None:
    """``value`` as an int when it is numeric."""
    result = _convert.number(value)
    return None if result is None else int(result)


def resource(body: Any) -> Mapping[str, Any]:
    """Unwrap a JSON:API document (``{"data": {...}}``) to its resource; accept it bare too."""
    body = mapping(body)
    data = body.get("data")
    return data if isinstance(data, Mapping) else body
