"""The real bot in a child process, pointed at a sandbox: so its CPU and memory are its own.

    python bench/_botproc.py --api-base URL --gateway URL --store PATH --now ISO [--tick]

Runs `HotPapersBot` (default config, the store at PATH, a clock fixed at `--now`, its posting
loop off) until stdin closes. After READY, once its guild count has held for a second
(`settled_guilds`), and, with `--tick`, one scheduler tick, it prints
one JSON line: {"ready": true, "guilds", "channels", "rss_mb", "peak_rss_mb"}, where peak is
the kernel's high-water mark of the resident set (VmHWM) since the process started; with
`--tick`, also the tick's wall-clock start and end (`time.time()`), its outcomes by status and
the resident set just before it (`--tick-delay` seconds after READY). With `--barrier` it first
prints {"connected": true, "guilds"} and waits for a line on stdin, so several children tick
together. `--shards N --shard-id I` runs it as shard I of N with `global_rate_share` 1/N
(`bench/fanout.py --processes N`).
`start_bot()` is the parent's side. With `BENCH_PROFILE=PATH` in the environment, the child
runs under cProfile and writes its stats to PATH when it stops (for finding causes).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TOKEN = "sandbox-token"  # sandbox.testing.SANDBOX_TOKEN, not imported: see serve()


def memory_mb(pid: int | str = "self") -> dict[str, float]:
    """Current and peak resident set of a process (this one), in MB (10^6 bytes)."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = round(
                    int(value.split()[0]) * 1024 / 1e6, 1
                )
    return out


async def settled_guilds(client: Any, hold: float = 1.0) -> int:
    """Wait until `client`'s guild count has held for `hold` seconds; returns it.

    READY may come before the last GUILD_CREATEs (`guild_ready_timeout`: discord.py stops
    waiting after a 0.5 s gap), so a process measured right after READY may hold fewer guilds
    than the world has. The bot and the floor both wait here before they are measured (and
    the bot before its tick), so each holds every guild it is sent.
    """
    seen = -1
    while seen != len(client.guilds):
        seen = len(client.guilds)
        await asyncio.sleep(hold)
    return seen


async def serve(args: argparse.Namespace) -> None:
    """Run the bot until stdin closes."""
    from _common import FakeClock, make_config, quiet

    from bot.app.bot import intents
    from bot.app.compose import build_bot
    from bot.app.endpoints import configure_endpoints
    from bot.store import open_store

    # Nothing from `sandbox` is imported here: its modules would count in the bot's memory.
    quiet()
    configure_endpoints(args.api_base, args.gateway)
    sections: dict[str, Any] = {}
    if args.all_shards > 1:  # one process running every shard (past 2,500 guilds)
        sections["discord"] = {"shard_count": args.all_shards}
    elif args.shards > 1:
        share = 1.0 / args.shards
        sections["discord"] = {
            "shard_count": args.shards,
            "shard_ids": [args.shard_id],
            "global_rate_share": share,
        }
    async with open_store(args.store) as store:
        bot = build_bot(
            make_config(**sections),
            store,
            clock=FakeClock(datetime.fromisoformat(args.now)),
            run_scheduler=False,
            intents=intents(),
            guild_ready_timeout=0.5,
            chunk_guilds_at_startup=False,
        )

        async def no_wait(shard_id: int | None, *, initial: bool = False) -> None:
            """Re-IDENTIFY at once (discord.py sleeps 5 s)."""

        bot.before_identify_hook = no_wait  # type: ignore[method-assign]
        task = asyncio.create_task(bot.start(args.token))
        while not bot.is_ready():
            if task.done():
                task.result()  # the start-up error
                raise RuntimeError("the bot stopped before READY")
            await asyncio.sleep(0.01)
        await settled_guilds(bot)
        tick: dict[str, Any] = {}
        loop = asyncio.get_running_loop()
        if args.barrier:  # several children: each says it is connected, all tick on "go"
            print(json.dumps({"connected": True, "guilds": len(bot.guilds)}), flush=True)
            await loop.run_in_executor(None, sys.stdin.readline)
        if args.tick:
            await asyncio.sleep(args.tick_delay)
            tick["rss_before_tick_mb"] = memory_mb()["rss_mb"]
            tick["tick_started"] = time.time()
            outcome = await bot.scheduler.tick()
            tick["tick_ended"] = time.time()
            tick["outcomes"] = dict(Counter(o.status for o in outcome.outcomes))
        gc.collect()
        report: dict[str, Any] = {
            "ready": True,
            **tick,
            "guilds": len(bot.guilds),
            "channels": sum(len(g.channels) for g in bot.guilds),
            **memory_mb(),
        }
        print(json.dumps(report), flush=True)
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
        await bot.close()
        await asyncio.wait_for(task, 10)


class BotProcess:
    """The parent's handle on a bot child process."""

    def __init__(self, proc: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self.proc = proc
        self.ready = ready

    async def go(self) -> None:
        """Let a `barrier` child tick."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        await self.proc.stdin.drain()

    async def report(self, within: float) -> dict[str, Any]:
        """A `barrier` child's READY line, after its tick (waiting at most `within` s)."""
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), within)
        if not line:
            raise RuntimeError(f"the bot child exited ({await self.proc.wait()}) before its tick")
        self.ready = json.loads(line)
        return self.ready

    async def stop(self) -> None:
        """Close its stdin and wait for it (killed after 15 s)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def start_bot(
    api_base: str,
    gateway: str,
    store: Path | str,
    now: datetime,
    *,
    tick: bool = False,
    tick_delay: float = 0.0,
    barrier: bool = False,
    shard: tuple[int, int] | None = None,
    all_shards: int = 1,
    ready_timeout: float = 120.0,
    on_spawn: Callable[[int], None] | None = None,
) -> BotProcess:
    """Start the child and wait for its READY line (after the tick, with `tick`; with
    `barrier`, its "connected" line: then `go()` it and `report()`); `shard` =
    (shard_id, shard_count) runs it as that shard, at its share of the global budget;
    `all_shards` = N runs all N shards in this one process (Discord requires sharding past
    2,500 guilds: the sandbox closes an unsharded session with 4011 there)."""
    args = ["--api-base", api_base, "--gateway", gateway, "--store", str(store)]
    args += ["--now", now.isoformat(), *(["--tick"] if tick else [])]
    args += ["--tick-delay", str(tick_delay)]
    if barrier:
        args += ["--barrier"]
    if shard is not None:
        args += ["--shard-id", str(shard[0]), "--shards", str(shard[1])]
    if all_shards > 1:
        args += ["--all-shards", str(all_shards)]
    return await start_child(
        HERE / "_botproc.py", args, ready_timeout=ready_timeout, on_spawn=on_spawn
    )


async def start_child(
    script: Path,
    args: list[str],
    *,
    ready_timeout: float = 120.0,
    on_spawn: Callable[[int], None] | None = None,
) -> BotProcess:
    """Start `python script args…` (this one, or `_floor.py`) and wait for its READY line.

    `on_spawn(pid)` is called as soon as the child exists (e.g. to watch its memory).
    """
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        *args,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    if on_spawn is not None:
        on_spawn(proc.pid)
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), ready_timeout)
    except TimeoutError:
        proc.kill()
        raise
    if not line:
        await proc.wait()
        raise RuntimeError(f"{script.name} exited ({proc.returncode}) before READY")
    return BotProcess(proc, json.loads(line))


def main() -> None:
    """The child's command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-base", required=True, help="the sandbox's REST base URL")
    parser.add_argument("--gateway", required=True, help="the sandbox's gateway URL")
    parser.add_argument("--store", required=True, help="a SQLite path or a database URL")
    parser.add_argument("--now", required=True, help="the bot's clock, ISO 8601")
    parser.add_argument("--tick", action="store_true", help="one scheduler tick after READY")
    parser.add_argument("--tick-delay", type=float, default=0.0, help="seconds before the tick")
    parser.add_argument("--barrier", action="store_true", help="say connected, tick on a line")
    parser.add_argument("--shards", type=int, default=1, help="shard count (1: unsharded)")
    parser.add_argument("--shard-id", type=int, default=0, help="this child's shard")
    parser.add_argument(
        "--all-shards", type=int, default=1, help="run all N shards in this process"
    )
    parser.add_argument("--token", default=TOKEN, help="the bot token the sandbox accepts")
    args = parser.parse_args()
    profile = os.environ.get("BENCH_PROFILE")  # a path: cProfile the whole child into it
    if not profile:
        asyncio.run(serve(args))
        return
    import cProfile

    with cProfile.Profile() as prof:
        asyncio.run(serve(args))
    prof.dump_stats(profile)


if __name__ == "__main__":
    main()
