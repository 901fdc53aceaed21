"""Local stand-ins for the crowds (Hacker News' Algolia search, Bluesky, Hugging Face).

One `httpx.MockTransport` handler answers every host the crowd tests use and keeps each
request, so tests count requests per upstream (the request budget) and read what was asked.
No test touches the network. Bluesky's stand-in (`bsky.test`) follows the lexicons shipped in
tests/corpus/upstream/bluesky/lexicons: createSession, refreshSession, searchPosts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

UPSTREAM = Path(__file__).parent.parent / "corpus" / "upstream"
Handler = Callable[[httpx.Request], httpx.Response]


def corpus_json(*parts: str) -> Any:
    """A fixture from tests/corpus/upstream, parsed."""
    return json.loads(UPSTREAM.joinpath(*parts).read_text(encoding="utf-8"))


def query(request: httpx.Request) -> dict[str, list[str]]:
    """The request's query parameters."""
    return parse_qs(urlsplit(str(request.url)).query)


@dataclass
class Crowds:
    """Fake hn.test, bsky.test and hf.test; overrides replace one host's answers."""

    hn_pages: list[dict[str, Any]] = field(default_factory=list)  # page P answers hn_pages[P]
    bsky_pages: list[dict[str, Any]] = field(default_factory=list)  # by cursor "0", "1", …
    hf_days: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    overrides: dict[str, Handler] = field(default_factory=dict)  # host -> handler
    requests: list[httpx.Request] = field(default_factory=list)
    sessions: int = 0  # createSession calls that succeeded
    refreshes: int = 0
    access: str = "access-1"  # the access token the stand-in accepts now
    expire_next_search: bool = False  # answer the next search "ExpiredToken"

    def count(self, host: str, path: str = "") -> int:
        """Requests made to one fake host (and path prefix)."""
        return sum(1 for r in self.requests if r.url.host == host and r.url.path.startswith(path))

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Route a request to the stand-in of its host."""
        self.requests.append(request)
        host = request.url.host
        if host in self.overrides:
            return self.overrides[host](request)
        if host == "hn.test" and request.url.path.startswith("/api/v1/search"):
            page = int(query(request).get("page", ["0"])[0])
            if page < len(self.hn_pages):
                return httpx.Response(200, json=self.hn_pages[page])
            return httpx.Response(200, json={"hits": [], "page": page, "nbPages": page})
        if host == "hf.test" and request.url.path == "/api/daily_papers":
            return httpx.Response(200, json=self.hf_days.get(query(request)["date"][0], []))
        if host == "bsky.test":
            return self._bluesky(request)
        return httpx.Response(404, text="not found")

    def _bluesky(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/xrpc/com.atproto.server.createSession" and request.method == "POST":
            body = json.loads(request.content)
            if body.get("identifier") != "hot.test" or body.get("password") != "app-pass":
                return _xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
            self.sessions += 1
            self.access = f"access-{self.sessions}"
            return httpx.Response(200, json=_session(self.access, f"refresh-{self.sessions}"))
        if path == "/xrpc/com.atproto.server.refreshSession" and request.method == "POST":
            if not request.headers.get("authorization", "").startswith("Bearer refresh-"):
                return _xrpc_error(400, "InvalidToken", "Token could not be verified")
            self.refreshes += 1
            self.access = f"access-r{self.refreshes}"
            return httpx.Response(200, json=_session(self.access, f"refresh-r{self.refreshes}"))
        if path == "/xrpc/app.bsky.feed.searchPosts":
            if request.headers.get("authorization") != f"Bearer {self.access}":
                return _xrpc_error(401, "AuthenticationRequired", "Authentication Required")
            if self.expire_next_search:
                self.expire_next_search = False
                return httpx.Response(400, json=corpus_json("bluesky", "error_ExpiredToken.json"))
            raw = query(request).get("cursor", ["0"])[0]
            cursor = int(raw) if raw.isdigit() else 1
            if cursor < len(self.bsky_pages):
                return httpx.Response(200, json=self.bsky_pages[cursor])
            return httpx.Response(200, json={"posts": []})
        return httpx.Response(404, json={"error": "MethodNotImplemented", "message": path})


def _session(access: str, refresh: str) -> dict[str, Any]:
    return {
        "accessJwt": access,
        "refreshJwt": refresh,
        "handle": "hot.test",
        "did": "did:plc:hotpapersbot0000000000",
        "active": True,
    }


def _xrpc_error(status: int, error: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": error, "message": message})
