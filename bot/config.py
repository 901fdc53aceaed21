"""The validated settings model and its loader (TOML file + environment).

Settings are loaded once in the entry point and injected; nothing reads them at import time.
The Discord token only ever comes from the `DISCORD_TOKEN` environment variable.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from bot.errors import ConfigError

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscordConfig(_Section):
    """How to reach Discord. Empty URLs mean the real Discord."""

    dev_guild_id: int | None = None  # sync commands to this guild only (instant, for development)
    api_base: str = ""  # e.g. http://127.0.0.1:8765/api/v10 for the local sandbox
    gateway_url: str = ""  # e.g. ws://127.0.0.1:8765/gateway
    max_concurrent_posts: int = Field(default=8, ge=1, le=50)
    # Posting requests per second, spaced evenly. Discord's global limit is 50/s per bot, and
    # discord.py only learns of it from a 429; 48 leaves room for network jitter.
    requests_per_second: float = Field(default=48.0, gt=0, le=1000)
    # The longest rate-limit wait one post may sit out (discord.py's max_ratelimit_timeout,
    # which it floors at 30 s). A longer 429 reschedules that post instead of holding it.
    max_ratelimit_seconds: float = Field(default=30.0, ge=30, le=600)


class StoreConfig(_Section):
    """Where the SQLite database lives."""

    path: str = "hotpapers.sqlite3"


class SourcesConfig(_Section):
    """Upstream sources: which one is the default and where each lives."""

    default: str = "hf+arxiv"
    hf_base_url: str = "https://huggingface.co"
    arxiv_base_url: str = "https://export.arxiv.org"
    hf_page_size: int = Field(default=100, ge=1, le=100)  # items per daily_papers request
    hotpapers_dir: str = ""  # a folder of Hot Papers markdown posts
    hotpapers_url_template: str = ""  # e.g. https://example.org/posts/{date}---Hot-Papers.md
    timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    # The most one upstream request may take in all: throttle wait, connect, every read, retries.
    request_deadline_seconds: float = Field(default=30.0, gt=0, le=600)
    max_retries: int = Field(default=4, ge=0, le=10)
    arxiv_min_interval_seconds: float = Field(default=3.0, ge=0)
    # Member requests (commands) waiting for an upstream at once; more are told to retry later.
    member_requests_waiting: int = Field(default=4, ge=1, le=100)
    # How long an unknown arXiv id or a day upstream has no post for is remembered.
    negative_cache_minutes: int = Field(default=30, ge=1, le=10080)
    # Days older than this are never fetched for a member's command: the store or "not kept".
    fetch_horizon_days: int = Field(default=14, ge=1, le=3650)
    today_refresh_minutes: int = Field(default=60, ge=1)
    day_lag_days: int = Field(default=1, ge=0, le=7)  # "the day" = today - lag (latest complete)


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
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("must be an IANA time zone such as Europe/Berlin or UTC") from exc
        return value


class Config(_Section):
    """All settings. Every field has a default, so an empty file is a valid config."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    discord: DiscordConfig = Field(default_factory=DiscordConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    token: SecretStr | None = Field(default=None, exclude=True)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"{field}: {err['msg'].removeprefix('Value error, ')}"


def parse_config(data: dict[str, Any], *, env: dict[str, str] | None = None) -> Config:
    """Validate a parsed TOML mapping; raise ConfigError naming the first bad field."""
    if "token" in data:
        raise ConfigError("token: never put the token in a file; set DISCORD_TOKEN instead")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid config: {_first_error(exc)}") from None
    environ = os.environ if env is None else env
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


def load_config(path: str | Path | None, *, env: dict[str, str] | None = None) -> Config:
    """Load `path` (TOML) or, if None, the defaults; the token comes from the environment."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: config file not found") from None
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    try:
        return parse_config(data, env=env)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}" if path else str(exc)) from None
