"""A local stand-in for Discord that the real, unchanged discord.py bot connects to.

One aiohttp application on one port serves:

- ``/api/v10/...``: the REST routes a bot uses (login, application info, command sync, channel
  messages, threads, interaction callbacks, webhook follow-ups and edits), with request bodies
  validated against Discord's OpenAPI spec (``spec/``) plus the rules the spec lacks, Discord's
  rate limits (per-route buckets with ``X-RateLimit-*`` headers, a global limit, 429 with
  ``retry_after``), message nonces under ``enforce_nonce``, and injectable faults;
- ``/gateway``: the Gateway websocket (HELLO, IDENTIFY → READY → GUILD_CREATE, heartbeats,
  RESUME with replay, RECONNECT, INVALID_SESSION, close codes 4004 and 4014);
- ``/_sandbox/...``: a JSON control API for tests and tools (below).

The sandbox's README (``sandbox/README.md``, shipped with the package) says what it models and
where it is stricter than Discord, how tests use it, and how its modules are layered.

Point the bot at it with ``bot.app.endpoints.configure_endpoints(api_base, gateway_url)``. Start
it with ``hotpapers sandbox --port 8765``, or in tests with
``sandbox.testing.running_sandbox()`` (in-process: ``sandbox.control`` has a method for every
control route, see ``sandbox.control.Control``).

Control API (JSON in, JSON out; ids are strings; errors are 400 ``{"error": "..."}``)::

    GET    /_sandbox                          snapshot: bot, guilds, commands, counters, sessions,
                                               settings
    POST   /_sandbox/guilds                   {"name", "channels": ["general"],
                                               "everyone_permissions", "shard": [i, n]}
    POST   /_sandbox/guilds/{id}/channels     {"name", "type": 0, "parent_id" (threads),
                                               "flags": 16 (REQUIRE_TAG), "tags": ["news"]}
    POST   /_sandbox/guilds/{id}/roles        {"name", "permissions": "32", "mentionable": false,
                                               "position"}
    PATCH  /_sandbox/guilds/{id}/roles/{role_id}  {"mentionable": true, "permissions"}
    POST   /_sandbox/guilds/{id}/members      {"username", "permissions": 32, "role_ids": []}
    PUT    /_sandbox/guilds/{id}/members/{member_id}/roles/{role_id}   give a role (the bot's
                                              too), as a moderator
    DELETE /_sandbox/guilds/{id}/members/{member_id}/roles/{role_id}   take it back
    DELETE /_sandbox/channels/{id}            delete: the bot then gets 404 / 10003 there
    POST   /_sandbox/channels/{id}/forbid     {"forbidden": true}: the bot gets 403 / 50013 there
    POST   /_sandbox/users/{id}/install       {"installed": true}: the user's own install
    POST   /_sandbox/users/{id}/dms           {"open": false}: their DMs closed to the bot
    PUT    /_sandbox/channels/{id}/permissions/{role_or_member_id}
                                              {"allow": "0", "deny": "2048", "type": 0|1}
    PATCH  /_sandbox/channels/{id}/thread     {"archived": true, "locked": true}
    POST   /_sandbox/clock/advance            {"seconds": 3600}: idle threads auto-archive
    GET    /_sandbox/channels/{id}/messages   oldest first, ephemeral ones included
    GET    /_sandbox/pings?channel_id=        every message that notified anyone: roles, members
                                              reached, @everyone
    POST   /_sandbox/interactions             run a slash command (or autocomplete, see below)
    POST   /_sandbox/click                    {"message_id", "custom_id", "user_id",
                                               "component_type": 2, "values"}: click a button
    GET    /_sandbox/commands?guild_id=       the commands the bot synced
    GET    /_sandbox/requests?route=&status=&method=   every REST request the bot made
    GET    /_sandbox/faults                   the active faults
    POST   /_sandbox/faults                   {"route": "POST /channels/*/messages", "status": 500,
                                               "code", "message", "latency_ms", "times": 1,
                                               "retry_after", "global", "after", "drop"}
                                              (route "*": all)
    DELETE /_sandbox/faults[/{id}]            clear faults
    POST   /_sandbox/cloudflare               {"route": "*", "status": 502 | 504, "times": 1}:
                                              Cloudflare's HTML error page instead of Discord
    POST   /_sandbox/gateway/{action}         reconnect | drop | silence |
                                              invalid_session {"resumable": false}
    GET    /_sandbox/settings                 every `SandboxSettings` field
    PATCH  /_sandbox/settings                 change any of them, e.g.
                                              {"interaction_deadline": 3.0, "token_lifetime": 900,
                                               "nonce_window": 120, "global_limit": 50,
                                               "rate_limits": true, "allowed_intents": 0,
                                               "route_limits": {
                                                 "POST /channels/{channel_id}/messages": [5, 5.0]}}
    POST   /_sandbox/reset                    {"full": false}: forget messages, requests, faults;
                                              full: also guilds, commands and gateway sessions

``POST /_sandbox/interactions`` takes ``{"command": "papers today", "options": {"limit": 3},
"guild_id", "channel_id", "user_id", "permissions", "followups": 0, "timeout": 10, "settle": 0,
"context": "guild"}`` (context "dm": from the user's DM with the bot; "private": a DM with someone
else, through a user install; subcommands are separated by spaces; omitted guild, channel and
user default to the first guild, its first channel and its member "tester"), or, for
autocomplete, the same with ``"focused": "option name"``. It answers with what the bot did::

    $ curl -s -X POST localhost:8765/_sandbox/interactions \\
           -d '{"command": "echo", "options": {"text": "hi"}, "followups": 1}'
    {"status": "answered", "command": "echo", "interaction_id": "1575...", "response_type": 4,
     "response": {"content": "hi"}, "original": {"id": "...", "content": "hi", ...},
     "followups": [{"content": "done", ...}], "choices": null, "ephemeral": false,
     "ack_latency_ms": 2.1, "latency_ms": 2.1}

``status`` is "answered", "deferred" (acknowledged, never completed), "no_response" (nothing
within the interaction deadline), "denied" (the member lacks the command's
``default_member_permissions``, so Discord would not deliver it), "unavailable" (Discord does not
offer the command in that context) or "unknown_command".
"""
