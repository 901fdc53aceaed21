"""Bluesky sign-in: credentials from the environment only, one session, refreshed, guarded.

`app.bsky.feed.searchPosts` needs an authenticated account on the services that answer it
(its lexicon: "may require authentication … for some service providers"; bsky.social does).
The account is an app password, `BSKY_HANDLE` and `BSKY_APP_PASSWORD`, read from the
environment by `bot.config.parse_config` (through `bluesky.SOURCE.from_env`) and never from
the config file. `Credentials` never shows them: not in its repr, not in a log line, not in an
error message (the handle neither: it says whose bot this is).

The session follows the XRPC procedures (lexicons shipped in
tests/corpus/upstream/bluesky/lexicons):

- `com.atproto.server.createSession` `{identifier, password}` → `{accessJwt, refreshJwt,
  handle, did}`, once: Bluesky limits it (~30 per 5 minutes per account, 300 a day);
- when a call answers `ExpiredToken`, `com.atproto.server.refreshSession` with the refresh
  JWT as the bearer gives a new pair; if the refresh token is dead too, a new session;
- `SessionGuard` refuses a 26th createSession within 5 minutes (a clear `SourceError`, no
  request), so no bug and no hostile answer can make the bot hammer the sign-in.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from bot.errors import SourceError, UpstreamFormatError
from bot.sources.crowds import json_object
from bot.sources.http import Fetched, Http

TITLE = "Bluesky"
ENV_HANDLE = "BSKY_HANDLE"
ENV_PASSWORD = "BSKY_APP_PASSWORD"  # the variable's name
SESSIONS_PER_WINDOW = 25  # below Bluesky's ~30 createSession per 5 minutes
WINDOW_SECONDS = 300.0
_JWT = re.compile(r"[A-Za-z0-9._~+/=-]{1,10000}")
_ACCEPT = (200, 400, 401)  # XRPC errors are JSON bodies `{error, message}` on 400/401


@dataclass(frozen=True)
class Credentials:
    """An account's handle and app password, shown nowhere."""

    handle: SecretStr
    password: SecretStr

    def __repr__(self) -> str:
        return "Credentials(<from the environment, hidden>)"

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: dict[str, str] | Any) -> Credentials | None:
        """Both variables set (not blank): credentials; otherwise None (Bluesky stays off)."""
        handle = str(env.get(ENV_HANDLE, "") or "").strip().removeprefix("@")
        password = str(env.get(ENV_PASSWORD, "") or "").strip()
        if not handle or not password:
            return None
        return cls(SecretStr(handle), SecretStr(password))


@dataclass
class SessionGuard:
    """At most `limit` sessions created within `seconds` (monotonic clock)."""

    limit: int = SESSIONS_PER_WINDOW
    seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    created: deque[float] = field(default_factory=deque)

    def admit(self) -> None:
        """Note one more createSession, or SourceError (no request) when over the limit."""
        now = self.clock()
        while self.created and now - self.created[0] >= self.seconds:
            self.created.popleft()
        if len(self.created) >= self.limit:
            wait = self.seconds - (now - self.created[0])
            raise SourceError(
                f"{TITLE}: signed in {self.limit} times within {self.seconds / 60:g} minutes; "
                f"not signing in again for {wait:.0f} s (Bluesky limits sign-ins).",
                detail="createSession guard",
            )
        self.created.append(now)


def xrpc_error(fetched: Fetched) -> str:
    """The XRPC error name of a 400/401 answer ("ExpiredToken"), "" when there is none."""
    try:
        data = json_object(fetched, TITLE)
    except UpstreamFormatError:
        return ""
    error = data.get("error")
    return error[:100] if isinstance(error, str) else ""


class Session:
    """The one session of a Bluesky signal: `get` with a bearer that is created or refreshed."""

    def __init__(self, http: Http, base_url: str, credentials: Credentials) -> None:
        self.http = http
        self.base = base_url.rstrip("/") + "/xrpc/"
        self._credentials = credentials
        self._access: str | None = None
        self._refresh: str | None = None
        self.guard = SessionGuard(clock=http.clock)

    def __repr__(self) -> str:
        return f"Session({self.base!r}, signed in: {self._access is not None})"

    async def get(self, method: str, params: dict[str, str | int]) -> Fetched:
        """An authenticated XRPC query; SourceError for anything but a 200 in the end."""
        if self._access is None:
            await self._create()
        fetched = await self._query(method, params)
        if fetched.status != 200 and xrpc_error(fetched) in ("ExpiredToken", "InvalidToken"):
            await self._renew()
            fetched = await self._query(method, params)
        if fetched.status != 200:
            error = xrpc_error(fetched) or f"HTTP {fetched.status}"
            if fetched.status == 401:
                self._access = None  # the next call signs in again (guarded)
            raise SourceError(
                f"{TITLE} refused the search ({error}).",
                detail=f"{method}: HTTP {fetched.status}: {error}",
            )
        return fetched

    async def _query(self, method: str, params: dict[str, str | int]) -> Fetched:
        headers = {"Authorization": f"Bearer {self._access}"}
        return await self.http.get(
            self.base + method, params=params, headers=headers, accept=_ACCEPT
        )

    async def _create(self) -> None:
        self.guard.admit()
        body = {
            "identifier": self._credentials.handle.get_secret_value(),
            "password": self._credentials.password.get_secret_value(),
        }
        fetched = await self.http.post(
            self.base + "com.atproto.server.createSession", json=body, accept=_ACCEPT, retries=0
        )
        if fetched.status != 200:
            error = xrpc_error(fetched) or f"HTTP {fetched.status}"
            raise SourceError(
                f"{TITLE} refused the sign-in ({error}); check {ENV_HANDLE} and {ENV_PASSWORD}.",
                detail=f"createSession: HTTP {fetched.status}: {error}",
            )
        self._take(fetched)

    async def _renew(self) -> None:
        if self._refresh is not None:
            fetched = await self.http.post(
                self.base + "com.atproto.server.refreshSession",
                headers={"Authorization": f"Bearer {self._refresh}"},
                accept=_ACCEPT,
                retries=0,
            )
            if fetched.status == 200:
                self._take(fetched)
                return
        self._access = self._refresh = None
        await self._create()

    def _take(self, fetched: Fetched) -> None:
        data = json_object(fetched, TITLE)
        access, refresh = data.get("accessJwt"), data.get("refreshJwt")
        if not (isinstance(access, str) and isinstance(refresh, str) and access and refresh):
            raise UpstreamFormatError(
                f"{TITLE} sent a session without its tokens.",
                detail=f"session answer keys: {sorted(data)[:10]}",
            )
        # A JWT is base64url and dots. Anything else in a header makes h11 raise with the whole
        # value in its message ("Illegal header value b'Bearer …'"), and that reaches the logs.
        if not (_JWT.fullmatch(access) and _JWT.fullmatch(refresh)):
            raise UpstreamFormatError(f"{TITLE} sent a session token that cannot be used.")
        self._access, self._refresh = access, refresh
