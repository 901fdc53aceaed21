"""The floor: a bare discord.py bot in a child process, what HotPapers is measured against.

    python bench/_floor.py --api-base URL --gateway URL [--answer PATH]

A `discord.Client` with the same intents and cache options as `HotPapersBot` (the `guilds`
intent, no member chunking, no message cache) and nothing else: no store, no scheduler, no
services. Its garbage collector is settled after READY as the bot's is (`settle_gc`: freeze
and a higher threshold), unless `--default-gc`. With `--answer`, it registers one slash command,
`/hot`, with the same options as HotPapers' `/hot` (so discord.py parses the same
interaction), and answers every invocation with the message in PATH (a JSON object with
`content` and `embeds`: a real `/hot` answer, so the bytes on the wire are the same), built
into `discord.Embed`s per command as any bot does. Without it the client only connects: the
floor of memory. Like `_botproc.py`, it prints one JSON line after READY, once its guild count
has held for a second (`settled_guilds`, as the bot), and runs until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
from pathlib import Path
from typing import Any, Literal

import discord
import discord.gateway
import discord.http
import yarl
from _botproc import TOKEN, memory_mb, settled_guilds
from discord import app_commands

# Only discord.py is imported (not `bot`, not `sandbox`, not even `_common`): the floor's
# memory is discord.py's own.


def bare_client(answer: dict[str, Any] | None, shards: int = 1) -> discord.Client:
    """The bare client; with `answer`, its one `/hot` command; with `shards` > 1, discord.py's
    own `AutoShardedClient` over that many shards (as the bot runs them past 2,500 guilds)."""
    intents = discord.Intents.none()
    intents.guilds = True
    kind = discord.AutoShardedClient if shards > 1 else discord.Client
    extra: dict[str, Any] = {"shard_count": shards} if shards > 1 else {}
    client = kind(
        **extra,
        intents=intents,
        guild_ready_timeout=0.5,
        chunk_guilds_at_startup=False,
        max_messages=None,
        allowed_mentions=discord.AllowedMentions.none(),
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
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    logging.getLogger("discord").setLevel(logging.ERROR)
    discord.http.Route.BASE = args.api_base.rstrip("/")  # as bot.app.endpoints does
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway)
    answer = json.loads(args.answer.read_text()) if args.answer else None
    client = bare_client(answer, args.shards)

    async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
        """Re-IDENTIFY at once (discord.py sleeps 5 s)."""

    client.before_identify_hook = no_wait  # type: ignore[method-assign]
    task = asyncio.create_task(client.start(args.token))
    while not client.is_ready():
        if task.done():
            task.result()
            raise RuntimeError("the floor client stopped before READY")
        await asyncio.sleep(0.01)
    if not args.default_gc:
        # As `bot.app.bot.settle_gc` does after READY (copied, not imported: see above), so
        # the ratio is what HotPapers' code adds, not a collector setting.
        gc.collect()
        gc.freeze()
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(50_000, gen1, gen2)
    await settled_guilds(client)  # every guild, as the bot waits for them
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
    parser.add_argument("--api-base", required=True, help="the sandbox's REST base URL")
    parser.add_argument("--gateway", required=True, help="the sandbox's gateway URL")
    parser.add_argument("--answer", type=Path, help="JSON message to answer /hot with")
    parser.add_argument(
        "--default-gc", action="store_true", help="keep CPython's collector thresholds"
    )
    parser.add_argument("--shards", type=int, default=1, help="shard count (1: unsharded)")
    parser.add_argument("--token", default=TOKEN, help="the bot token the sandbox accepts")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
