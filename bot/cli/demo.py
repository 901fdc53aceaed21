"""Try the bot offline: a local Discord sandbox and the real bot, in one process.

The bundled sample digest (Hot Papers 2021-03-12) is imported into a temporary store; a
moderator subscribes the #papers channel for 09:00 UTC, and adds a second digest there: a
weekly cs.CV top of the week, on Saturdays at 09:05, that pings the @cv-readers role and lets
members take that role from its 🔔 button; the clock is set to 09:00 on the next day (a
Saturday) and the real scheduler posts the day's digest, then at 09:05 the week's; the
sandbox's record of who that ping reached is shown; a member takes the role from the button;
then a member runs `/hot`, `/hot category:cs.CV` and `/paper 2103.06874`. Prints a
transcript, or with `--json` one JSON object: {"messages": [{"channel_id", "payload"}],
"interactions": [{"command", "options", "response", "latency_ms"}], "pings": [{"message_id",
"channel_id", "roles", "users", "everyone"}], "names": {id: name}} (`names`: the channels',
roles' and members' names by id). Nothing leaves 127.0.0.1.

With `--web` the demo also subscribes #papers-detailed in the detailed format (a header and a
thread), and afterwards the sandbox and the bot stay up: it prints the address of the web view
(`http://127.0.0.1:PORT/?channel=ID`, the channel it posted in), where the posts and replies
are rendered as Discord shows them and a command box runs any of the bot's commands, until
Ctrl-C stops both cleanly. `--port` picks the port (default: a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import re
import signal
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.errors import HotPapersError

HELP = "run the bot against a local Discord sandbox on the sample digest (offline)"

MANAGE_GUILD = 1 << 5
MANAGE_ROLES = 1 << 28  # the bot's own role: members take @cv-readers from the 🔔 button
DEMO_TIME = datetime(2021, 3, 13, 8, 59, tzinfo=UTC)  # a minute before the daily post
SATURDAY = 5  # 2021-03-13: the weekly digest's day
WEEKLY_ROLE = "cv-readers"
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("hot", {}),
    ("hot", {"category": "cs.CV"}),
    ("paper", {"id": "2103.06874"}),
]


# Called, with the demo's result so far, the sandbox, and the names of its channels, once the
# demo is done; `hotpapers demo --web` waits there (the bot still connected) until Ctrl-C.
Serve = Callable[[dict[str, Any], Any, dict[str, str]], Awaitable[None]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers demo`."""
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--web",
        action="store_true",
        help="then keep the sandbox up and print the address of its web view, where the posts "
        "(compact in #papers, detailed with its thread in #papers-detailed) and replies are "
        "shown as Discord shows them and a command box runs the bot's commands; Ctrl-C stops",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="with --web: the port to serve on (default: any free)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its transcript (with --web, then serve until Ctrl-C)."""
    logging.getLogger("discord").setLevel(logging.ERROR)  # no voice-support warnings

    def show(result: dict[str, Any], names: dict[str, str]) -> None:
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
        else:
            print(transcript(result, names), end="", flush=True)

    if not args.web:
        show(*asyncio.run(run_demo()))
        return 0

    async def serve(result: dict[str, Any], sandbox: Any, names: dict[str, str]) -> None:
        show(result, names)
        papers = next(i for i, name in names.items() if name == "papers")
        print(
            f"\nThe sandbox is up: open {sandbox.base_url}/?channel={papers} in a browser "
            "(Ctrl-C stops).",
            flush=True,
        )
        await asyncio.Event().wait()

    # SIGTERM (a service manager, `kill`) stops it as Ctrl-C does: the bot and the sandbox
    # close and the temporary store is removed (the default action left it behind).
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        asyncio.run(run_demo(serve=serve, port=args.port))
    except KeyboardInterrupt:
        print("Stopped: the bot and the sandbox are closed.", flush=True)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise HotPapersError(f"demo: port {args.port} is in use; pick another with --port") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


async def demo() -> dict[str, Any]:
    """Run the whole demo; returns {"messages": [...], "interactions": [...]}."""
    return (await run_demo())[0]


async def run_demo(
    serve: Serve | None = None, port: int = 0
) -> tuple[dict[str, Any], dict[str, str]]:
    """The demo's result and the names of its channels by id (for the transcript).

    With `serve`, #papers-detailed is subscribed too (the detailed format), and `serve` is
    awaited at the end with the bot still connected (`--web`)."""
    from bot.app.bot import intents
    from bot.app.compose import build_bot
    from bot.cli.preview import sample_digest
    from bot.config import parse_config
    from bot.schedule import ManualClock
    from bot.store import open_store
    from sandbox.app import Sandbox
    from sandbox.testing import running_bot, sandbox_bot_options

    config = parse_config(
        {"sources": {"default": "hotpapers-md"}, "schedule": {"catch_up_hours": 1}}, env={}
    )
    clock = ManualClock(DEMO_TIME)
    interactions: list[dict[str, Any]] = []
    sandbox = Sandbox()
    sandbox.port = port  # entered, it binds 127.0.0.1 on this port (0: a free one)
    with tempfile.TemporaryDirectory(prefix="hotpapers-demo-") as tmp:
        async with sandbox, open_store(Path(tmp) / "demo.sqlite3") as store:
            await store.save_digest(sample_digest(), final=True)
            channels = ["papers", "papers-detailed"] if serve else ["papers"]
            guild = await sandbox.control.add_guild("HotPapers demo", channels=channels)
            papers, *detailed = list(guild.channels)
            readers = await sandbox.control.add_role(guild.id, WEEKLY_ROLE, mentionable=True)
            own = await sandbox.control.add_role(guild.id, "HotPapers", MANAGE_ROLES)
            await sandbox.control.give_role(guild.id, sandbox.state.bot_user.id, own.id)
            await sandbox.control.add_member(guild.id, "reader", role_ids=[readers.id])
            bot = build_bot(
                config,
                store,
                clock=clock,
                run_scheduler=False,
                **sandbox_bot_options(intents=intents()),
            )
            async with running_bot(sandbox, bot):

                async def call(command: str, options: dict[str, Any], perms: int | None) -> None:
                    r = await sandbox.control.invoke(command, options, permissions=perms)
                    if r.status != "answered":
                        raise HotPapersError(f"demo: /{command} was not answered ({r.status})")
                    interactions.append(
                        {
                            "command": command,
                            "options": options,
                            "response": {"type": r.response_type, "data": r.response},
                            "latency_ms": r.latency_ms,
                        }
                    )

                await call(
                    "digest subscribe",
                    {"channel": str(papers), "time": "09:00", "timezone": "UTC"},
                    MANAGE_GUILD,
                )
                await call(
                    "digest subscribe",
                    {
                        "channel": str(papers),
                        "name": "weekly",
                        "cadence": "weekly",
                        "weekday": SATURDAY,
                        "time": "09:05",
                        "timezone": "UTC",
                        "categories": "cs.CV",
                        "role": str(readers.id),
                        "ping": "always",
                        "self_roles": True,
                    },
                    MANAGE_GUILD,
                )
                for channel in detailed:
                    await call(
                        "digest subscribe",
                        {"channel": str(channel), "time": "09:00", "format": "detailed"},
                        MANAGE_GUILD,
                    )
                for minutes, expected in ((1, len(channels)), (5, 1)):  # 09:00, then 09:05
                    clock.advance(timedelta(minutes=minutes))
                    report = await bot.scheduler.tick()
                    if report.sent != expected:
                        raise HotPapersError(f"demo: the scheduled post did not go out ({report})")
                pings = sandbox.control.pings()
                await click_bell(sandbox, papers, interactions)
                for command, options in CALLS:
                    await call(command, options, None)
                messages = [
                    {"channel_id": r.path.split("/")[-2], "payload": r.body}
                    for r in sandbox.control.requests(
                        "POST /channels/{channel_id}/messages", status=200
                    )
                ]
                names = {str(c.id): c.name for c in guild.channels.values()}
                names.update({str(r.id): r.name for r in guild.roles.values()})
                names.update({str(i): m.user.username for i, m in guild.members.items()})
                result = {
                    "messages": messages,
                    "interactions": interactions,
                    "pings": pings,
                    "names": names,
                }
                if serve is not None:
                    await serve(result, sandbox, names)
    return result, names


async def click_bell(sandbox: Any, channel: int, interactions: list[dict[str, Any]]) -> None:
    """The member "tester" clicks the 🔔 button of the weekly post in `channel`."""
    for message in sandbox.control.messages(channel):
        for row in message.get("components") or []:
            for button in row.get("components") or []:
                if str(button.get("custom_id", "")).startswith("hp:role:"):
                    r = await sandbox.control.click(int(message["id"]), button["custom_id"])
                    if r.status != "answered":
                        raise HotPapersError(f"demo: the 🔔 click was not answered ({r.status})")
                    interactions.append(
                        {
                            "command": "click",
                            "options": {"button": f"🔔 {button['label']}"},
                            "response": {"type": r.response_type, "data": r.response},
                            "latency_ms": r.latency_ms,
                        }
                    )
                    return
    raise HotPapersError("demo: the weekly post has no 🔔 button")


def transcript(result: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """The demo as readable text: what was posted where, and what each command answered."""
    from bot.textview import payload_to_text

    names = names or {}

    def when(match: re.Match[str]) -> str:
        moment = datetime.fromtimestamp(int(match.group(1)), UTC)
        if match.group(2) != "R":
            return moment.strftime("%Y-%m-%d %H:%M UTC")
        # Discord shows style R relative to the reader's now: the demo's clock.
        minutes = round((moment - DEMO_TIME).total_seconds() / 60)
        span = f"{abs(minutes)} min" if abs(minutes) < 120 else f"{abs(minutes) // 60} h"
        return f"in {span}" if minutes >= 0 else f"{span} ago"

    def readable(text: str) -> str:
        text = re.sub(r"<#(\d+)>", lambda m: "#" + names.get(m.group(1), m.group(1)), text)
        text = re.sub(r"<@&(\d+)>", lambda m: "@" + names.get(m.group(1), m.group(1)), text)
        return re.sub(r"<t:(\d+):(\w)>", when, text)

    def option(key: str, value: Any) -> str:
        shown = names.get(str(value), value)
        return f"{key}:@{shown}" if key == "role" else f"{key}:{shown}"

    def interaction(i: dict[str, Any]) -> list[str]:
        opts = " ".join(option(k, v) for k, v in i["options"].items())
        head = f"── /{i['command']} {opts}".rstrip()
        if i["command"] == "click":
            head = f"── tester clicks {i['options']['button']}"
        data = i["response"]["data"] or {}
        return [f"{head} (answered in {i['latency_ms']:.0f} ms) ──", payload_to_text(data), ""]

    def who(ids: list[str], mark: str = "") -> str:
        return ", ".join(mark + names.get(i, i) for i in ids) or "nobody"

    setup = [i for i in result["interactions"] if i["command"].startswith("digest")]
    clicks = [i for i in result["interactions"] if i["command"] == "click"]
    asked = [i for i in result["interactions"] if i not in setup and i not in clicks]
    out = ["HotPapers demo: a local Discord sandbox, the real bot, the sample digest.", ""]
    out.append(
        "A moderator subscribes #papers to the daily digest, and adds a weekly cs.CV one there "
        "that pings @cv-readers (the clock reads 2021-03-13 08:59 UTC, a Saturday):"
    )
    for i in setup:
        out += interaction(i)
    out.append(
        "At 09:00 UTC the scheduler posts the digest of 2021-03-12; at 09:05 the weekly top "
        "of the week:"
    )
    for m in result["messages"]:
        out.append(f"── in #{names.get(m['channel_id'], m['channel_id'])} ──")
        out += [payload_to_text(m["payload"]), ""]
    out.append("Who was pinged (the sandbox's record: only what allowed_mentions lists):")
    for p in result.get("pings", []):
        out.append(f"  {who(p['roles'], '@')} → {who(p['users'])}")
    out.append("")
    for i in clicks:
        out += interaction(i)
    out.append("Members ask:")
    for i in asked:
        out += interaction(i)
    return readable("\n".join(out).rstrip() + "\n")
