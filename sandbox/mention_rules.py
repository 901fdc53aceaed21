"""Which mentions in a message may notify anyone: Discord's `allowed_mentions` rules.

message.mdx "Allowed Mentions Object" (lines 710-830 at c98d64b):
- a mention notifies only if it is in the content *and* allowed: by `parse` (its type), or by
  the `users` / `roles` lists (ids listed but absent from the content are silently ignored,
  :821);
- without `allowed_mentions`, a regular message parses every type, an interaction response or
  a webhook message only users (:734, :742);
- a role notifies only if it is `mentionable` or the sender has MENTION_EVERYONE; @everyone
  and @here only with MENTION_EVERYONE (:714-715).

This module knows the text and the request, not the guild: `allowed` says what the request
lets through; the routes then apply the role and permission rules (`sandbox.routes.posting`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

USER = re.compile(r"<@!?(\d{1,20})>")
ROLE = re.compile(r"<@&(\d{1,20})>")
EVERYONE = re.compile(r"@(?:everyone|here)")
EVERY_TYPE = ("users", "roles", "everyone")  # a regular message's default (message.mdx:734)
INTERACTION_DEFAULT = ("users",)  # interactions and webhooks (message.mdx:742)


@dataclass(frozen=True)
class Allowed:
    """The mentions of a message's content its `allowed_mentions` lets through."""

    users: tuple[int, ...] = ()
    roles: tuple[int, ...] = ()
    everyone: bool = False


def _ids(values: Any) -> set[int]:
    return {int(v) for v in values or () if str(v).isdigit()}


def allowed(content: str, mentions: Any, *, default: tuple[str, ...] = EVERY_TYPE) -> Allowed:
    """What in `content` the request's `allowed_mentions` (None: not sent) lets notify,
    each id once, in the order the content names them."""
    rules = mentions if isinstance(mentions, dict) else {"parse": list(default)}
    parse = rules.get("parse") or []
    users = [int(m) for m in USER.findall(content)]
    roles = [int(m) for m in ROLE.findall(content)]
    listed_users, listed_roles = _ids(rules.get("users")), _ids(rules.get("roles"))
    return Allowed(
        users=tuple(dict.fromkeys(u for u in users if "users" in parse or u in listed_users)),
        roles=tuple(dict.fromkeys(r for r in roles if "roles" in parse or r in listed_roles)),
        everyone="everyone" in parse and EVERYONE.search(content) is not None,
    )
