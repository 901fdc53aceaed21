"""The validated settings model and its loader (TOML file + environment).

Settings are loaded once in the entry point and injected; nothing reads them at import time.
The Discord token only ever comes from the `DISCORD_TOKEN` environment variable.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from bot.checks import Section, listen_address
from bot.checks import url as _url
from bot.errors import ConfigError
from bot.sources import registry
from bot.sources.registry import DEFAULT as DEFAULT_SOURCE
from bot.sources.spec import SourceSettings

log = logging.getLogger(__name__)

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PSEUDO_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@functools.cache
def _iana_zones() -> frozenset[str]:
    """The zone names of the IANA database as shipped by `tzdata` (a dependency).

    Not `zoneinfo.available_timezones()`: that lists every file under the system's zoneinfo
    folder, so `localtime` (whatever the host is set to), `posixrules` and `posix/…` copies
    pass, and a config that means "the server's zone" would silently follow the server.
    """
    text = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8")
    return frozenset(text.split()) - _PSEUDO_ZONES


def is_iana_zone(name: str) -> bool:
    """Whether `name` is a zone of the IANA database (not a host file such as `localtime`)."""
    return name in _iana_zones()


def iana_zone(value: str) -> str:
    """`value` if it is an IANA time zone name that loads; else ValueError saying what is."""
    if value not in _iana_zones():
        raise ValueError(
            f"{value!r} is not an IANA time zone name (e.g. Europe/Berlin, America/New_York, UTC)"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"{value!r}: time zone data not found") from exc
    return value


def store_path_problem(path: str) -> str | None:
    """Why `path` cannot hold the store, or None. Checked at load, not at the first write.

    Refused: an empty path (SQLite would open a private temporary database), `:memory:` and
    other special names (nothing would survive a restart, and a second process could not see
    the poster lease), a directory, and a file whose folder does not exist (on a host where the
    persistent disk is not mounted, creating the folder would put the store on the ephemeral
    one). A missing file in an existing folder is fine: it is created and migrated.
    """
    if not path.strip():
        return "is empty; give the SQLite file, e.g. hotpapers.sqlite3"
    if path.startswith((":", "file:")):
        return f"{path!r} is not a file path (the store must be a file that outlives the process)"
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        parent = p.parent
        if not parent.is_dir():
            return f"{path}: the folder {parent} does not exist"
        return None
    except OSError as exc:
        return f"{path}: cannot be examined ({exc.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return f"{path} is a directory; give a file inside it, e.g. {p / 'hotpapers.sqlite3'}"
    if not stat.S_ISREG(st.st_mode):
        return f"{path} is not a regular file"
    return None


_Section = Section


class DiscordConfig(_Section):
    """How to reach Discord. Empty URLs mean the real Discord."""

    dev_guild_id: int | None = None  # sync commands to this guild only (instant, for development)
    # The application's id (the OAuth2 client id) for `hotpapers invite`; None: read from
    # DISCORD_TOKEN, whose first part is the bot's id (the application's, for every bot).
    application_id: int | None = Field(default=None, ge=1)
    api_base: str = ""  # e.g. http://127.0.0.1:8765/api/v10 for the local sandbox
    gateway_url: str = ""  # e.g. ws://127.0.0.1:8765/gateway
    # Enough posts in flight to cover the round trip and the ledger writes at the global limit
    # (with 8 the fan-out waited on round trips: docs/benchmarks.md, "Fourth pass: fan-out").
    max_concurrent_posts: int = Field(default=32, ge=1, le=50)
    # Posting requests per second, spaced evenly. Discord's global limit is 50/s per bot, and
    # discord.py only learns of it from a 429; 48 leaves room for network jitter, and the
    # pacer's window (`bot.app.pacing.Pacer`) keeps any bunching under the limit as well.
    requests_per_second: float = Field(default=48.0, gt=0, le=1000)
    # The longest rate-limit wait one post may sit out (discord.py's max_ratelimit_timeout,
    # which it floors at 30 s). A longer 429 reschedules that post instead of holding it.
    max_ratelimit_seconds: float = Field(default=30.0, ge=30, le=600)
    # More than one process (docs/scaling.md): this process runs shards `shard_ids` (default
    # all) of `shard_count`; every process on one store must give the same `shard_count`.
    # None: one process, unsharded.
    shard_count: int | None = Field(default=None, ge=1, le=4096)
    shard_ids: list[int] | None = None
    # This process's share of Discord's one global request budget (per bot, not per process):
    # two processes 0.5 each; each paces at its share, less headroom for its own jitter
    # (bot.app.pacing.shared_rate: 0.5 of 48 is 23/s). Unset: the share of the shards this
    # process runs (`len(shard_ids) / shard_count`, 1.0 unsharded), so two processes left at
    # the default no longer pace at twice the limit together; 1.0 behind a shared REST proxy.
    global_rate_share: float | None = Field(default=None, gt=0, le=1)

    @field_validator("shard_ids")
    @classmethod
    def _shards(cls, value: list[int] | None, info: ValidationInfo) -> list[int] | None:
        if value is None:
            return None
        count = info.data.get("shard_count")
        if count is None:
            raise ValueError("needs discord.shard_count (how many shards there are in all)")
        if not value:
            raise ValueError("must name at least one shard")
        if len(set(value)) != len(value):
            raise ValueError(f"names a shard twice: {value}")
        outside = [i for i in value if not 0 <= i < count]
        if outside:
            raise ValueError(f"shard ids {outside} are not within 0..{count - 1} (shard_count)")
        return sorted(value)

    @property
    def rate_share(self) -> float:
        """The share of the global budget this process paces at (`global_rate_share`'s
        default is its shards' share)."""
        if self.global_rate_share is not None:
            return self.global_rate_share
        if self.shard_count is None or self.shard_ids is None:
            return 1.0
        return len(self.shard_ids) / self.shard_count

    @field_validator("api_base")
    @classmethod
    def _http(cls, value: str) -> str:
        return _url(value, ("http", "https"), empty_ok=True)

    @field_validator("gateway_url")
    @classmethod
    def _ws(cls, value: str) -> str:
        return _url(value, ("ws", "wss"), empty_ok=True)


# Database URL schemes `store.url` accepts (`bot.store.backends.BACKENDS` opens each).
STORE_URL_SCHEMES = ("postgresql", "postgres", "sqlite")


class StoreConfig(_Section):
    """Where the store lives: a SQLite file (`path`, the default) or a database `url`."""

    path: str = "hotpapers.sqlite3"
    # A database URL, e.g. "postgresql://hotpapers@db.example:5432/hotpapers"; when set, it is
    # the store and `path` is unused. Its password is best left out of the file: PostgreSQL's
    # PGPASSWORD or ~/.pgpass supply it. Errors show its scheme and host only.
    url: str = ""

    @property
    def location(self) -> str:
        """What `bot.store.open_store` opens: the URL when given, else the SQLite path."""
        return self.url or self.path

    @field_validator("url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value
        scheme, sep, rest = value.partition("://")
        if not sep or scheme.lower() not in STORE_URL_SCHEMES or not rest.strip():
            known = ", ".join(f"{s}://…" for s in STORE_URL_SCHEMES)
            shown = f"{scheme}://" if sep else "it"
            raise ValueError(f"must be a database URL ({known}); {shown} is not")
        return value

    @field_validator("path")
    @classmethod
    def _file(cls, value: str) -> str:
        problem = store_path_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class SourcesConfig(_Section):
    """Settings every source shares, under `[sources]`; each source's own settings are its
    section, `[sources.<name>]` (`[sources.hf]`, `[sources.arxiv]`, `[sources.hotpapers-md]`),
    declared by the source's module and validated with it (`bot.sources.registry`).

    The sections are in `sections` (by source name), not fields here, so adding a source
    changes nothing in this file. Keys of the old flat layout (`hf_base_url`, …) are still
    read, with a warning naming where each moved (`bot.sources.spec.SourceSpec.moved`).
    """

    default: str = DEFAULT_SOURCE
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # The most one upstream request may take in all: throttle wait, connect, every read, retries.
    request_deadline_seconds: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=4, ge=0, le=10)
    # Member requests (commands) waiting for an upstream at once; more are told to retry later.
    member_requests_waiting: int = Field(default=4, ge=1, le=100)
    # How long an unknown arXiv id or a day upstream has no post for is remembered.
    negative_cache_minutes: int = Field(default=30, ge=1, le=10080)
    # Days older than this are never fetched for a member's command: the store or "not kept".
    fetch_horizon_days: int = Field(default=14, ge=1, le=3650)
    today_refresh_minutes: int = Field(default=60, ge=1)
    day_lag_days: int = Field(default=1, ge=0, le=7)  # "the day" = today - lag (latest complete)
    _sections: dict[str, SourceSettings] = PrivateAttr(default_factory=dict)

    @property
    def sections(self) -> Mapping[str, SourceSettings]:
        """Each source's validated `[sources.<name>]` section (defaults when absent)."""
        return self._sections

    def read_environment(self, env: Mapping[str, str]) -> None:
        """Complete each section from the environment where its source asks (`from_env`)."""
        for spec in registry.REGISTRY.specs:
            if spec.from_env is not None:
                self._sections[spec.name] = spec.from_env(spec.section(self._sections), env)

    @model_validator(mode="wrap")
    @classmethod
    def _split(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> SourcesConfig:
        """Validate the shared keys here and each `[sources.<name>]` with its source's model."""
        if isinstance(data, SourcesConfig) or not isinstance(data, dict):
            return cast(SourcesConfig, handler(data))
        reg = registry.REGISTRY
        own, given = _moved_keys(dict(data), reg)
        for key, value in list(own.items()):
            if key not in cls.model_fields and isinstance(value, dict):
                base, plus, extra = key.partition("+")
                if plus and base in reg.by_name and extra in reg.by_name:
                    raise _error(
                        key,
                        value,
                        f"{key} has no section of its own: it is {base} with {extra}, "
                        f"configured in [sources.{base}] and [sources.{extra}]",
                    )
                raise _error(
                    key,
                    value,
                    f"no source is called {key!r} (sections: "
                    f"{', '.join(s.name for s in reg.specs)})",
                )
        config = cast(SourcesConfig, handler(own))
        config._sections = reg.validate_sections(given)
        return config

    @field_validator("default")
    @classmethod
    def _known(cls, value: str) -> str:
        return registry.REGISTRY.check(value)


def _error(key: str, value: object, message: str) -> ValidationError:
    """A validation error at `sources.<key>` with `message` as its whole text."""
    return ValidationError.from_exception_data(
        "SourcesConfig",
        [InitErrorDetails(type=PydanticCustomError("sources", message), loc=(key,), input=value)],
    )


def _moved_keys(
    data: dict[str, Any], reg: registry.Registry
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split `[sources]` into (its own keys, the sections), moving old flat keys into theirs.

    An old key is read with a warning; given together with its new place it is an error.
    """
    given: dict[str, Any] = {s.name: data.pop(s.name) for s in reg.specs if s.name in data}
    for spec in reg.specs:
        for old, new in spec.moved.items():
            if old not in data:
                continue
            value = data.pop(old)
            section = given.setdefault(spec.name, {})
            if not isinstance(section, dict):
                continue  # the section's own error says what is wrong with it
            if new in section:
                raise _error(
                    old,
                    value,
                    f"moved to sources.{spec.name}.{new}, which is set too; remove {old}",
                )
            log.warning(
                "config: sources.%s is deprecated; write it as %s under [sources.%s]",
                old,
                new,
                spec.name,
            )
            given[spec.name] = {**section, new: value}
    return data, given


class ScheduleConfig(_Section):
    """The posting loop."""

    tick_seconds: float = Field(default=60.0, gt=0, le=3600)
    catch_up_hours: float = Field(default=12.0, ge=0, le=48)
    # Each unit of work has its own deadline: fetching one (source, day), posting one
    # (channel, day). A unit past it is cut off, recorded as failed and retried later.
    fetch_deadline_seconds: float = Field(default=120.0, gt=0, le=3600)
    post_deadline_seconds: float = Field(default=180.0, gt=0, le=3600)
    # How far back a restart looks for days that were missed while the bot was down.
    missed_lookback_days: int = Field(default=31, ge=1, le=366)
    default_time: str = "09:00"
    default_timezone: str = "UTC"

    @field_validator("default_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be HH:MM in 24-hour time, e.g. 09:00")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return iana_zone(value)


class OpsConfig(_Section):
    """The local endpoint for `/healthz` and `/metrics` (docs/operations.md); off by default.

    `listen` is `host:port` on an IP address or `localhost`; one that is not loopback is
    refused unless `allow_remote` says so, because neither page asks who is reading.
    """

    allow_remote: bool = False  # before `listen`: its check reads this
    listen: str = ""  # e.g. "127.0.0.1:9108"; empty: no endpoint

    @field_validator("listen")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        _host, _port, loopback = listen_address(value)
        if not loopback and not info.data.get("allow_remote", False):
            raise ValueError(
                f"{value!r} is not a loopback address; /healthz and /metrics have no "
                "authentication, so listen on 127.0.0.1 (or set ops.allow_remote = true "
                "behind a firewall)"
            )
        return value

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) to listen on, or None when the endpoint is off."""
        if not self.listen:
            return None
        host, port, _loopback = listen_address(self.listen)
        return host, port


class Config(_Section):
    """All settings. Every field has a default, so an empty file is a valid config."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    ops: OpsConfig = Field(default_factory=OpsConfig)
    token: SecretStr | None = Field(default=None, exclude=True)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"{field}: {err['msg'].removeprefix('Value error, ')}"


def parse_config(data: dict[str, Any], *, env: dict[str, str] | None = None) -> Config:
    """Validate a parsed TOML mapping; raise ConfigError naming the first bad field.

    The message is one line: `invalid config: <field>: <why>`.
    """
    if "token" in data:
        raise ConfigError(
            "invalid config: token: never put the token in a file; set DISCORD_TOKEN instead"
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid config: {_first_error(exc)}") from None
    environ = os.environ if env is None else env
    config.sources.read_environment(environ)  # e.g. Bluesky's account: never from the file
    token = environ.get("DISCORD_TOKEN", "").strip()
    if token:
        config = config.model_copy(update={"token": SecretStr(token)})
    return config


DEFAULT_PATH = "config.toml"


def config_path(given: str | None) -> str | None:
    """The config file to use: the one given, else `./config.toml` if there is one, else None.

    So `hotpapers run` (the Procfile's command) picks up the deployment's config.toml without
    a flag, and a checkout without one runs on the defaults.
    """
    if given is not None:
        return given
    return DEFAULT_PATH if Path(DEFAULT_PATH).is_file() else None


def _read_config_file(p: Path) -> str:
    """The text of a config file; ConfigError (field `--config`) for anything but a file.

    Checked before opening: opening a FIFO would wait for a writer forever, and a directory
    or an unreadable file would otherwise surface as a traceback.
    """
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ConfigError(f"invalid config: --config: {p}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"invalid config: --config: {p}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"invalid config: --config: {p} is a directory, not a TOML file")
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"invalid config: --config: {p} is not a regular file")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"invalid config: --config: {p}: not valid TOML (not UTF-8)") from None
    except OSError as exc:
        raise ConfigError(f"invalid config: --config: {p}: cannot read ({exc.strerror})") from None


def load_config(path: str | Path | None, *, env: dict[str, str] | None = None) -> Config:
    """Load `path` (TOML) or, if None, the defaults; the token comes from the environment.

    Every error is one line, `invalid config: <field>: <why>`, followed by the file it is in.
    """
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        text = _read_config_file(p)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid config: --config: {p}: not valid TOML: {exc}") from None
    try:
        return parse_config(data, env=env)
    except ConfigError as exc:
        raise ConfigError(f"{exc} (in {path})" if path else str(exc)) from None
