"""`SandboxSettings`: every knob of the sandbox, changeable at runtime through the control API."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sandbox.primitives import JSON


@dataclass
class SandboxSettings:
    """Every knob of the sandbox; all can be changed at runtime through the control API.

    Durations are in seconds. Defaults follow Discord, except that any bot token is accepted and
    the heartbeat interval is shorter, so a zombie connection is noticed quickly.
    """

    token: str | None = None  # None: accept any non-empty bot token
    bot_name: str = "HotPapers"
    allowed_intents: int = 0  # privileged intents enabled "in the developer portal"
    heartbeat_interval: float = 41.25
    interaction_deadline: float = 3.0
    token_lifetime: float = 900.0
    nonce_window: float = 120.0
    validate: bool = True
    # The installation contexts the app supports (application.mdx:198-202, set in the developer
    # portal; 0 guild, 1 user). A new app has only [0] (:200 "By default, newly-created apps
    # only support installation to guilds"); HotPapers is configured with both. A command
    # synced without `integration_types` gets these (application-commands.mdx:38); one naming
    # a context not listed here is refused (:300 "as long as any included contexts are
    # already supported on the application-level").
    install_contexts: list[int] = field(default_factory=lambda: [0, 1])
    rate_limits: bool = True
    global_limit: int = 50
    global_window: float = 1.0
    route_limit: int = 50
    route_window: float = 1.0
    # "METHOD /template" -> (limit, window); Discord's message bucket is 5 per 5 s per channel.
    route_limits: dict[str, tuple[int, float]] = field(
        default_factory=lambda: {"POST /channels/{channel_id}/messages": (5, 5.0)}
    )
    # Gateway rules (sandbox/gateway.py; sandbox/README.md cites the doc line of each).
    heartbeat_tolerance: float = 1.1  # close (4009) after interval × this without a heartbeat
    heartbeat_ack_delay: float = 0.02  # a real round trip; an instant ACK races discord.py
    max_concurrency: int = 1  # IDENTIFYs per `identify_window`; more get op 9
    identify_window: float = 5.0
    identify_budget: int = 1000  # session starts per `identify_budget_window`; then token reset
    identify_budget_window: float = 86_400.0
    gateway_send_limit: int = 120  # frames a client may send per `gateway_send_window`; then 4008
    gateway_send_window: float = 60.0
    session_ttl: float = 120.0  # a detached session can be RESUMEd this long ("a few minutes")
    # Sharding (sandbox/shards.py): a session handling more guilds than this closes with 4011;
    # a shard count that is not a multiple of `shard_multiple` closes with 4010 (large bots).
    guilds_per_shard: int = 2500
    shard_multiple: int = 1
    guilds_per_recommended_shard: int = 1000  # GET /gateway/bot's `shards`: one per this many
    # The invalid-request limit (sandbox/cloudflare.py): this many 401/403/429 answers to one
    # client within `invalid_request_window` ban it for `invalid_request_ban` seconds.
    invalid_request_limit: int = 10_000
    invalid_request_window: float = 600.0
    invalid_request_ban: float = 3600.0

    def update(self, **changes: Any) -> None:
        """Change settings by name; an unknown name is a `KeyError`, not silently ignored."""
        names = {f.name for f in fields(self)}
        for key, value in changes.items():
            if key not in names:
                raise KeyError(f"unknown sandbox setting: {key}")
            if key == "route_limits":
                value = {k: (int(v[0]), float(v[1])) for k, v in dict(value).items()}
            setattr(self, key, value)

    def to_json(self) -> JSON:
        """The settings as JSON (for the control API)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["route_limits"] = {k: list(v) for k, v in self.route_limits.items()}
        return out
