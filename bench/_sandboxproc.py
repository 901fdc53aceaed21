"""The sandbox in a process of its own, for bench/fanout.py `--sandbox-process`.

Discord is not on the bot's machine; run in the benchmark's own process, the sandbox shares
that process's core with the RSS sampler, the store fill and the tally, and on a loaded
machine its answers (not the bot) set the pace. As a child, it has an interpreter to itself:
the limits, the latency and the bookkeeping are the same `Sandbox` (nothing is loosened);
only where it runs changes.

The parent (`RemoteSandbox`) speaks JSON lines over the child's stdin and stdout: the child
prints its addresses once started, then answers one line per command (`add_channels`,
`latency`, `tally`), computed in the child from its own state with fanout.py's own
functions, so both modes count the same way.

    python bench/_sandboxproc.py --settings '{"global_limit": 50}'

With `SANDBOX_PROFILE=PATH` in the environment, the child runs under cProfile into PATH.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LINE_LIMIT = 1 << 26  # 10,000 channel ids and their guilds are one line


class RemoteSandbox:
    """The parent's handle on a sandbox child: its addresses and its commands."""

    def __init__(self, proc: asyncio.subprocess.Process, hello: dict[str, Any]) -> None:
        self.proc = proc
        self.api_base: str = hello["api_base"]
        self.gateway_url: str = hello["gateway_url"]

    @classmethod
    async def start(cls, **settings: Any) -> RemoteSandbox:
        """Start the child with these `Sandbox` settings and wait until it listens."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(HERE / "_sandboxproc.py"),
            "--settings",
            json.dumps(settings),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            limit=LINE_LIMIT,
        )
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError(f"the sandbox child exited ({await proc.wait()}) before starting")
        return cls(proc, json.loads(line))

    async def call(self, op: str, **args: Any) -> Any:
        """One command and its answer."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox child exited ({await self.proc.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"sandbox child: {answer['error']}")
        return answer["result"]

    async def add_channels(self, prefix: str, n: int, shards: int = 1) -> list[tuple[int, int]]:
        """N text channels in guilds (fanout.add_channels): (channel id, guild id) each."""
        pairs = await self.call("add_channels", prefix=prefix, n=n, shards=shards)
        return [(int(c), int(g)) for c, g in pairs]

    async def latency(self, ms: float) -> None:
        """A latency fault on every route, until the end."""
        await self.call("latency", ms=ms)

    async def tally(
        self, channels: list[int], since: float, until: float, limit: int, per: int
    ) -> dict[str, Any]:
        """fanout.tally, in the child."""
        result: dict[str, Any] = await self.call(
            "tally", channels=channels, since=since, until=until, limit=limit, per=per
        )
        return result

    async def stop(self) -> None:
        """Close its stdin and wait for it (killed after 15 s)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 15)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


async def serve(settings: dict[str, Any]) -> None:
    """The child: one sandbox, commands from stdin until it closes."""
    from _common import quiet
    from fanout import add_channels, tally

    from sandbox.testing import running_sandbox

    quiet()
    loop = asyncio.get_running_loop()
    async with running_sandbox(**settings) as sandbox:
        hello = {"api_base": sandbox.api_base, "gateway_url": sandbox.gateway_url}
        print(json.dumps(hello), flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            cmd = json.loads(line)
            try:
                op = cmd.pop("op")
                if op == "add_channels":
                    ids = await add_channels(sandbox, **cmd)
                    result: Any = [(c, sandbox.state.channels[c].guild_id) for c in ids]
                elif op == "latency":
                    sandbox.control.inject_fault("*", latency_ms=cmd["ms"], times=None)
                    result = None
                elif op == "tally":
                    result = tally(sandbox, **cmd)
                else:
                    raise ValueError(f"unknown op {op!r}")
                answer: dict[str, Any] = {"result": result}
            except Exception as exc:  # the parent raises it
                answer = {"error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(answer), flush=True)


def main() -> None:
    """The child's command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="{}", help="Sandbox settings as JSON")
    args = parser.parse_args()
    profile = os.environ.get("SANDBOX_PROFILE")  # a path: cProfile this child into it
    if not profile:
        asyncio.run(serve(json.loads(args.settings)))
        return
    import cProfile

    with cProfile.Profile() as prof:
        asyncio.run(serve(json.loads(args.settings)))
    prof.dump_stats(profile)


if __name__ == "__main__":
    main()
