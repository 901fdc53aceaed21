"""Discord-shaped HTTP answers: JSON with the exact Content-Type, and errors with their codes.

Trap: discord.py parses a body as JSON only if `Content-Type` is exactly `application/json`, so
every answer is built by `json_response`, never by `web.json_response` (which adds a charset).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer in Discord's shape: {"message", "code"} (+ "errors" for 50035)."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> web.Response:
        """The HTTP answer."""
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return json_response(body, status=self.status)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer whose Content-Type is exactly `application/json`, as discord.py requires."""
    response = web.Response(body=json.dumps(data).encode(), status=status, headers=headers)
    response.content_type = "application/json"
    return response


def unknown_channel() -> ApiError:
    """Discord's 404 for a missing or deleted channel."""
    return ApiError(404, 10003, "Unknown Channel")


def unknown_message() -> ApiError:
    """Discord's 404 for a missing message."""
    return ApiError(404, 10008, "Unknown Message")
