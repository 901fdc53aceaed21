"""A post's topic role: the one mention a post may make, and the 🔔 button that gives the role.

A subscription may name a role (`role_id`) and when to ping it (`ping`): `always` (every post
with papers), `score` (a post with at least one paper scoring `ping_min_score` or more), or
`off`. An empty-day notice never pings: there is nothing to read. When a post pings, its first
message starts with the role's mention and its `allowed_mentions` is exactly
`{"parse": [], "roles": ["<role id>"]}`; every other message, and every post that does not
ping, keeps `{"parse": []}` (`bot.render.NO_MENTIONS`), so paper text never pings anyone:
it is escaped (`bot.render.escape`) and a mention that got through would not be allowed.

With `self_roles`, the post's first message also carries a 🔔 button (`role_button`) whose
custom id names the subscription, `hp:role:<subscription id>`: stable, so a click on a post
made before a restart is handled the same way (the bot reads the subscription again at click
time, `bot.services.roles`). Its label names the digest's topic (its categories), since the
plan is pure and knows the role by id only; the private answer to a click names the role.

Pure: applied to a target's plan (`plan_with_ping`), so every target pings the same way and
the engine and `/digest preview` see the same payloads (and a resumed post the same
fingerprints).
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot import limits
from bot.components import BUTTON, SECONDARY, Payload
from bot.delivery.plan import Plan
from bot.models import Digest, Subscription
from bot.render import truncate

ROLE_PREFIX = "hp:role:"
ROLE_CUSTOM_ID = re.compile(r"hp:role:(?P<id>[1-9][0-9]{0,19})")
BELL = "🔔"
LABEL = 80  # a button label's limit (components/reference.mdx)


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
    text = truncate(f"<@&{role_id}> {content}".rstrip(), limits.CONTENT)
    payload = {**first.payload, "content": text, "allowed_mentions": allow_role(role_id)}
    steps = tuple(replace(s, payload=payload) if s is first else s for s in plan.steps)
    return Plan(steps)


def plan_with_ping(sub: Subscription, view: Digest, plan: Plan) -> Plan:
    """A target's plan for `view` with the subscription's role ping, if this post pings."""
    return with_ping(plan, ping_role(sub, view))


def role_custom_id(subscription_id: int) -> str:
    """The 🔔 button's custom id: `hp:role:<subscription id>`."""
    return f"{ROLE_PREFIX}{subscription_id}"


def parse_role_custom_id(text: str) -> int | None:
    """The subscription id a 🔔 custom id names, or None if it is not one."""
    m = ROLE_CUSTOM_ID.fullmatch(text)
    return int(m["id"]) if m else None


def topic(sub: Subscription) -> str:
    """The digest's topic in a few words: its categories, else "digest"."""
    included = [c for c in sub.categories if not c.startswith("-")]
    return ", ".join(included) if included else "digest"


def role_button(sub: Subscription) -> Payload | None:
    """The 🔔 toggle for a subscription with `self_roles` and a role (None otherwise)."""
    if not sub.self_roles or sub.role_id is None or sub.id is None:
        return None
    label = f"Get {topic(sub)} pings"
    if len(label) > LABEL:
        label = label[: LABEL - 7].rstrip(", ") + "… pings"
    return {
        "type": BUTTON,
        "style": SECONDARY,
        "label": label,
        "emoji": {"name": BELL},
        "custom_id": role_custom_id(sub.id),
    }
