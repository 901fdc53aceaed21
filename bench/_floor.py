"""The floor: a bare discord.py bot in a child process, what HotPapers is measured against.

    python bench/_floor.py --api-base URL --gateway URL [--answer PATH]

A `discord.Client` with the same intents and cache options as `HotPapersBot` (the `guilds`
intent, no member chunking, no message cache) and nothing else: no store, no scheduler, no
services, the collector at CPython's defaults. With `--answer`, it registers one slash command,
`/hot`, with the same options as HotPapers' `/hot` (so discord.py parses the same
interaction), and answers every invocation with the message in PATH (a JSON object with
`content` and `embeds`: a real `/hot` answer, so the bytes on the wire are the same), built
into `discord.Embed`s per command as any bot does. Without it the client only connects: the
floor of memory. Like `_botproc.py`, it prints one JSON line after READY and runs until stdin
closes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from pathlib import Path
from typing import Any, Literal

import discord
from _botproc import memory_mb
from discord import app_commands

from bot.app.endpoints import configure_endpoints
from sandbox.testing import SANDBOX_TOKEN, sandbox_bot_options


def bare_client(answer: dict[str, Any] | None) -> discord.Client:
    """The bare client; with `answer`, its one `/hot` command."""
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.Client(
        **sandbox_bot_options(
            intents=intents,
            guild_ready_timeout=0.5,
            max_messages=None,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    )
    if answer is None:
        return client
    tree = app_commands.CommandTree(client)
    content = answer.get("content")
    embeds = answer.get("embeds") or []

    @tree.command(name="hot", description="The most-discussed arXiv papers (a constant answer).")
    async def hot(
        interaction: discord.Interaction,
        category: str | None = None,
        date: str | None = None,
        window: Literal["day", "week", "month"] = "day",
        limit: app_commands.Range[int, 1, 25] = 10,
    ) -> None:
        await interaction.response.send_message(
            content=content, embeds=[discord.Embed.from_dict(e) for e in embeds]
        )

    async def setup_hook() -> None:
        await tree.sync()

    client.setup_hook = setup_hook  # type: ignore[method-assign]
    return client


async def serve(args: argparse.Namespace) -> None:
    """Run the bare client until stdin closes."""
    from _common import quiet

    quiet()
    configure_endpoints(args.api_base, args.gateway)
    answer = json.loads(args.answer.read_text()) if args.answer else None
    client = bare_client(answer)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        """Re-IDENTIFY at once (discord.py sleeps 5 s)."""

    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    task = asyncio.create_task(client.start(SANDBOX_TOKEN))
    while not client.is_ready():
        if task.done():
            task.result()
            raise RuntimeError("the floor client stopped before READY")
        await asyncio.sleep(0.01)
    gc.collect()
    report: dict[str, Any] = {
        "ready": True,
        "guilds": len(client.guilds),
        "channels": sum(len(g.channels) for g in client.guilds),
        **memory_mb(),
    }
    print(json.dumps(report), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await client.close()
    await asyncio.wait_for(task, 10)


def main() -> None:
    """The child's command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-base", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--answer", type=Path, help="JSON message to answer /hot with")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
