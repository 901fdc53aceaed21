"""Role pings: the one mention a post may make, and only in its first message.

A subscription may name a role (`role_id`) and when to ping it (`ping`): `always` (every post
with papers), `score` (a post with at least one paper scoring `ping_min_score` or more), or
`off`. An empty-day notice never pings: there is nothing to read. When a post pings, its first
message starts with the role's mention and its `allowed_mentions` is exactly
`{"parse": [], "roles": ["<role id>"]}`; every other message, and every post that does not
ping, keeps `{"parse": []}` (`bot.render.NO_MENTIONS`), so paper text never pings anyone:
it is escaped (`bot.render.escape`) and even a mention that got through would not be allowed.

Pure: applied to a target's plan (`plan_with_ping`), so every target pings the same way and
the engine and `/digest preview` see the same payloads (and a resumed post the same
fingerprints).
"""

from __future__ import annotations

from dataclasses import replace

from bot import limits
from bot.delivery.plan import Plan
from bot.models import Digest, Subscription
from bot.render import truncate


def ping_role(sub: Subscription, view: Digest) -> int | None:
    """The role this post of `view` pings, or None."""
    if sub.role_id is None or sub.ping == "off" or not view.papers:
        return None
    if sub.ping == "always":
        return sub.role_id
    threshold = sub.ping_min_score
    if any(p.score is not None and p.score >= threshold for p in view.papers):
        return sub.role_id
    return None


def allow_role(role_id: int) -> dict[str, list[str]]:
    """`allowed_mentions` that lets exactly this role ping (message.mdx "Allowed Mentions")."""
    return {"parse": [], "roles": [str(role_id)]}


def with_ping(plan: Plan, role_id: int | None) -> Plan:
    """The plan with its first message mentioning `role_id` (None: the plan unchanged)."""
    if role_id is None or not plan.messages:
        return plan
    first = plan.messages[0]
    content = str(first.payload.get("content") or "")
    mention = f"<@&{role_id}>"
    text = truncate(f"{mention} {content}".rstrip(), limits.CONTENT)
    payload = {**first.payload, "content": text, "allowed_mentions": allow_role(role_id)}
    steps = tuple(replace(s, payload=payload) if s is first else s for s in plan.steps)
    return Plan(steps)


def plan_with_ping(sub: Subscription, view: Digest, plan: Plan) -> Plan:
    """A target's plan for `view` with the subscription's role ping, if this post pings."""
    return with_ping(plan, ping_role(sub, view))


__all__ = ["allow_role", "ping_role", "plan_with_ping", "with_ping"]
