"""A REST request's parts the routes share: the parsed body, uploaded files, the path prefix.

`sandbox.rest`'s middleware reads the body once (`read_body`) and keeps it on the request under
`BODY`, files under `FILES`; routes read them from there.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.primitives import JSON
from sandbox.records import Message
from sandbox.responses import ApiError

API_PREFIX = "/api/v10"
BODY = web.RequestKey("body", object)  # the parsed JSON body (or multipart payload_json)
FILES = web.RequestKey("files", list)  # attachments of a multipart body


def file_count(request: web.Request) -> int:
    """How many files a multipart body carried."""
    return len(request.get(FILES, []))


async def read_body(request: web.Request) -> Any:
    """The JSON body, or `payload_json` of a multipart body (files are noted on the request)."""
    if not request.can_read_body:
        return None
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        files: list[JSON] = []
        for name, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                files.append(
                    {
                        "field": name,
                        "filename": value.filename,
                        "size": len(content),
                        "content_type": value.content_type,
                    }
                )
        request[FILES] = files
        raw = form.get("payload_json")
        return json.loads(raw) if isinstance(raw, str) else None
    text = await request.text()
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


def read_back(message: Message) -> JSON:
    """A message as Discord returns it when read (GET): without the nonce, which Discord
    echoes only in the create answer and MESSAGE_CREATE (message.mdx:1081)."""
    out = message.to_json()
    out.pop("nonce", None)
    return out
