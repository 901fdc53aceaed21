"""The one permission list (`bot.permissions`): its bits, the invite link, the README's table.

The bits are checked against discord.py's own flags (an independent source); the invite's
integers are pinned for every format set; the README's table and integers are read from the
README and compared with the list, so the two cannot drift apart.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import discord
import pytest

from bot.cli import main
from bot.delivery.targets import TARGETS
from bot.permissions import PERMISSIONS, Permission, invite_url, needed, value
from bot.services.texts import needed_permissions

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ID = 1234567890123456789
COMPACT = 84992  # View Channel, Send Messages, Embed Links, Read Message History
DETAILED = COMPACT + (1 << 35) + (1 << 38)  # Create Public Threads, Send Messages in Threads
ROLES = 1 << 28  # Manage Roles


def test_every_bit_is_discords() -> None:
    for p in PERMISSIONS:
        assert getattr(discord.Permissions(p.value), p.name) is True, p.name
        assert discord.Permissions(p.value).value == p.value
    assert (
        discord.Permissions(
            view_channel=True, send_messages=True, embed_links=True, read_message_history=True
        ).value
        == COMPACT
    )


def test_titles_are_what_discord_shows() -> None:
    assert [p.title for p in PERMISSIONS] == [
        "View Channel",
        "Send Messages",
        "Embed Links",
        "Read Message History",
        "Create Public Threads",
        "Send Messages in Threads",
        "Manage Roles",
        "Mention Everyone",
    ]


def test_every_target_permission_is_on_the_list() -> None:
    names = {p.name for p in PERMISSIONS}
    for target in TARGETS.values():
        assert set(target.permissions) <= names, target.name


def test_the_subscribe_check_reads_the_same_list() -> None:
    assert needed_permissions("compact") == needed()
    assert needed_permissions("detailed") == needed(TARGETS["detailed"].permissions)
    assert value(needed_permissions("compact")) == COMPACT
    assert value(needed_permissions("detailed")) == DETAILED
    assert value(needed_permissions("detailed", self_roles=True)) == DETAILED | ROLES


def test_mention_everyone_is_never_in_the_invite() -> None:
    url = invite_url(ID, [*needed(), "mention_everyone"])
    assert url.endswith(f"permissions={COMPACT}")


def _invite(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(["invite", *argv]) == 0
    return capsys.readouterr().out.splitlines()


def _url(permissions: int, client_id: int = ID) -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={client_id}"
        f"&scope=bot+applications.commands&permissions={permissions}"
    )


@pytest.mark.parametrize(
    ("argv", "integer"),
    [
        ([], DETAILED),
        (["--formats", "compact"], COMPACT),
        (["--formats", "detailed"], DETAILED),
        (["--formats", "compact,detailed"], DETAILED),
        (["--formats", "compact", "--roles"], COMPACT | ROLES),
        (["--roles"], DETAILED | ROLES),
    ],
)
def test_invite_url_has_the_exact_integer(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    integer: int,
) -> None:
    monkeypatch.chdir(tmp_path)
    lines = _invite(capsys, *argv, "--client-id", str(ID))
    assert lines[0] == _url(integer)
    assert len(lines) == 1 + bin(integer).count("1")  # one line of why per permission asked


def test_invite_explains_each_permission(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _invite(capsys, "--formats", "compact", "--client-id", str(ID))[1:] == [
        "  View Channel: see the digest's channel",
        "  Send Messages: post the digest",
        "  Embed Links: a digest's papers are embeds",
        "  Read Message History: a restarted bot reads back what it already posted, so no day "
        "is posted twice",
    ]


def test_client_id_from_the_config_then_the_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    bot_id = 987654321098765432
    token = base64.b64encode(str(bot_id).encode()).decode().rstrip("=") + ".GaBcDe.secret"
    monkeypatch.setenv("DISCORD_TOKEN", token)
    assert _invite(capsys, "--formats", "compact")[0] == _url(COMPACT, bot_id)
    (tmp_path / "config.toml").write_text("[discord]\napplication_id = 42\n", encoding="utf-8")
    assert _invite(capsys, "--formats", "compact")[0] == _url(COMPACT, 42)


def test_no_client_id_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    assert main(["invite"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "hotpapers invite: error: no client id: pass --client-id ID (the Application ID on the "
        "developer portal's General Information page), set discord.application_id in the "
        "config, or set DISCORD_TOKEN\n"
    )
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-token")
    assert main(["invite"]) == 2
    assert "DISCORD_TOKEN does not start with a bot id" in capsys.readouterr().err


def test_unknown_format_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["invite", "--formats", "compact,fancy", "--client-id", "1"])
    assert exit_.value.code == 2
    assert "unknown format 'fancy' (known: compact, detailed)" in capsys.readouterr().err


NEEDS = {"post": "every digest", "self_roles": "`self_roles`"}


def needed_for(p: Permission) -> str:
    """The README's "needed for" of a permission: from the list and the targets' table."""
    if p.need == "format":
        return ", ".join(f"`{f}`" for f, t in TARGETS.items() if p.name in t.permissions)
    if p.need == "ping":
        return "a ping of a role that is not mentionable"
    return NEEDS[p.need]


def test_readme_table_is_the_list() -> None:
    start = README.index("| permission | bit | needed for | why |")
    rows = []
    for line in README[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    assert rows == [[p.title, f"1 << {p.bit}", needed_for(p), p.why] for p in PERMISSIONS]


def test_readme_integers_are_the_invites() -> None:
    found = re.search(r"`compact` (\d+), both formats (\d+), both with\s+`--roles` (\d+)", README)
    assert found is not None
    assert [int(n) for n in found.groups()] == [COMPACT, DETAILED, DETAILED | ROLES]
