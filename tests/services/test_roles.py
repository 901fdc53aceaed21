"""Topic roles as plain data: the pre-check before saving, and what a 🔔 click does."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import UserInputError
from bot.services.roles import Click, RoleFacts, RoleService, check_role
from bot.services.subscriptions import Changes, SubscriptionService
from bot.store.base import Store
from tests.services.conftest import EVERY_PERMISSION, GUILD, HERE, subscription, where

ROLE = 555
GOOD = RoleFacts(ROLE, "cs-cv", mentionable=True, below_bot=True, bot_manage_roles=True)


def lookup(**changes: Any) -> Any:
    facts = RoleFacts(**{**GOOD.__dict__, **changes})
    return lambda role_id: facts if role_id == ROLE else None


def refusal(role: Any, granted: frozenset[str] | None = EVERY_PERMISSION, **sub: Any) -> str:
    with pytest.raises(UserInputError) as exc:
        check_role(subscription(**sub), role, granted)
    return str(exc.value)


def test_a_good_role_passes() -> None:
    for options in ({"ping": "always"}, {"ping": "score"}, {"self_roles": True}, {}):
        check_role(subscription(role_id=ROLE, **options), lookup(), EVERY_PERMISSION)
    check_role(subscription(), None, None)  # no role, nothing asked of it


@pytest.mark.parametrize(
    ("role", "sub", "granted", "text"),
    [
        (
            lookup(),
            {"ping": "always"},
            EVERY_PERMISSION,
            "ping needs a role: pick one with the role option.",
        ),
        (
            lookup(),
            {"self_roles": True},
            EVERY_PERMISSION,
            "self_roles needs a role: pick one with the role option.",
        ),
        (
            lookup(),
            {"role_id": 9, "ping": "always"},
            EVERY_PERMISSION,
            "The role of this digest (id 9) no longer exists: pick another with the role option.",
        ),
        (
            lookup(everyone=True),
            {"role_id": ROLE, "ping": "always"},
            EVERY_PERMISSION,
            "Pick a role other than @everyone: a digest never pings everyone.",
        ),
        (
            lookup(mentionable=False),
            {"role_id": ROLE, "ping": "score"},
            EVERY_PERMISSION,
            f"I cannot ping the role `cs-cv` in <#{HERE}>: the role is not mentionable. Make it "
            "mentionable (Server Settings → Roles → the role → Allow anyone to @mention this "
            f"role), or give me Mention Everyone in <#{HERE}>.",
        ),
        (
            lookup(bot_manage_roles=False),
            {"role_id": ROLE, "self_roles": True},
            EVERY_PERMISSION,
            "Members cannot take the role `cs-cv` from the post's button: I am missing Manage "
            "Roles in this server. Give me that permission, or set self_roles off.",
        ),
        (
            lookup(below_bot=False),
            {"role_id": ROLE, "self_roles": True},
            EVERY_PERMISSION,
            "I cannot give the role `cs-cv`: it is not below my highest role. Move my role "
            "above it (Server Settings → Roles), or set self_roles off.",
        ),
        (
            lookup(managed=True),
            {"role_id": ROLE, "self_roles": True},
            EVERY_PERMISSION,
            "Members cannot take the role `cs-cv`: it belongs to an integration. Pick another "
            "role, or set self_roles off.",
        ),
    ],
)
def test_each_refusal_says_what_to_do(
    role: Any, sub: dict[str, Any], granted: frozenset[str], text: str
) -> None:
    assert refusal(role, granted, **sub) == text


def test_mention_everyone_lets_an_unmentionable_role_ping() -> None:
    quiet = lookup(mentionable=False)
    check_role(
        subscription(role_id=ROLE, ping="always"), quiet, EVERY_PERMISSION | {"mention_everyone"}
    )
    check_role(subscription(role_id=ROLE, ping="off", self_roles=True), quiet, EVERY_PERMISSION)


async def test_subscribe_checks_the_role_before_saving(store: Store, clock: Any) -> None:
    service = SubscriptionService(
        store, clock=clock, lag_days=0, default_time="09:00", default_timezone="UTC"
    )
    await store.upsert_subscription(subscription(id=None, role_id=ROLE, ping="always"))
    with pytest.raises(UserInputError, match="not mentionable"):
        await service.subscribe(where(role=lookup(mentionable=False)), Changes())
    (stored,) = await store.list_subscriptions(GUILD)
    assert stored.role_id == ROLE and stored.enabled  # nothing changed


async def test_a_click_toggles_or_refuses(store: Store) -> None:
    service = RoleService(store)
    sub = await store.upsert_subscription(
        subscription(id=None, role_id=ROLE, self_roles=True, ping="always")
    )
    assert sub.id is not None

    def click(has: bool = False, guild: int = GUILD, **role: Any) -> Click:
        return Click(sub.id or 0, guild, has=lambda r: has and r == ROLE, role=lookup(**role))

    added = await service.toggle(click())
    assert (added.action, added.role_id) == ("add", ROLE)
    assert added.text == f"You'll get <@&{ROLE}> pings. Click again to stop."
    removed = await service.toggle(click(has=True))
    assert (removed.action, removed.text) == (
        "remove",
        f"You won't get <@&{ROLE}> pings any more. Click again to rejoin.",
    )
    lost = await service.toggle(click(bot_manage_roles=False))
    assert (lost.action, lost.text) == (
        "none",
        f"I cannot give <@&{ROLE}> right now: I am missing Manage Roles in this server. Ask "
        "a moderator.",
    )
    low = await service.toggle(click(below_bot=False))
    assert low.action == "none" and "not below my highest role" in low.text
    elsewhere = await service.toggle(click(guild=GUILD + 1))
    assert elsewhere.action == "none"
    await store.upsert_subscription(sub.model_copy(update={"self_roles": False}))
    off = await service.toggle(click())
    assert (off.action, off.text) == (
        "none",
        "A moderator turned self roles off for this digest: ask them for the role.",
    )
    await store.delete_subscription(sub.id)
    gone = await service.toggle(click())
    assert (gone.action, gone.text) == (
        "none",
        "This digest was removed: there is no role to take.",
    )
