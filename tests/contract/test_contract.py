"""The contract check itself: it knows every type it names, and it does catch violations."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from sandbox.state import SandboxSettings, SandboxState

_spec = importlib.util.spec_from_file_location(
    "contract_check_t", Path(__file__).with_name("check.py")
)
assert _spec is not None and _spec.loader is not None
check: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


@pytest.mark.parametrize("type_name", sorted({*check.GATEWAY.values(), *check.REST.values()}))
def test_every_mapped_type_is_in_the_vendored_schema(type_name: str) -> None:
    assert type_name.strip("[]") in check.definitions()


def test_a_guild_create_missing_a_required_field_is_caught() -> None:
    state = SandboxState(SandboxSettings())
    guild = state.add_guild("Lab")
    state.add_channel(guild.id, "general")
    payload = guild.to_json()
    assert check.violations("gateway", "GUILD_CREATE", payload) == []
    del payload["premium_progress_bar_enabled"]
    payload["roles"][0]["permissions"] = 8  # a number, not a string
    found = check.violations("gateway", "GUILD_CREATE", payload)
    assert any("premium_progress_bar_enabled" in p for p in found), found
    assert any("roles/0/permissions" in p for p in found), found


def test_a_message_with_a_wrong_type_is_caught() -> None:
    state = SandboxState(SandboxSettings())
    guild = state.add_guild("Lab")
    channel = state.add_channel(guild.id, "general")
    from sandbox.state import Message

    message = Message(id=1, channel_id=channel.id, guild_id=guild.id, author=state.bot_user)
    payload = message.to_json()
    assert check.violations("rest", "POST /channels/{channel_id}/messages", payload) == []
    payload["type"] = "DEFAULT"
    assert check.violations("rest", "POST /channels/{channel_id}/messages", payload)


def test_unmapped_payloads_are_not_checked() -> None:
    assert check.violations("gateway", "SOMETHING_NEW", {"x": 1}) == []
    watcher = check.ContractCheck()
    watcher("gateway", "READY", {})
    assert watcher.problems and watcher.seen == {"gateway READY": 1}
