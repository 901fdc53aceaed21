"""Serve a local stand-in for Discord until stopped (Ctrl-C or SIGTERM).

The real bot connects to it unchanged when pointed at its API base and gateway URL (both printed
at start). A JSON control API under /_sandbox adds guilds and channels, runs slash commands as a
member and returns what the bot answered, lists messages, injects faults and resets; see the
docstring of `sandbox` or the README. Example:

  hotpapers sandbox --port 8765 --guilds 2 --channels 3
  curl -s -X POST localhost:8765/_sandbox/interactions \\
       -d '{"command": "hot", "options": {"category": "cs.CV"}}'
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from typing import Any

HELP = "serve a local Discord sandbox for trying and testing the bot offline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers sandbox`."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8765, help="port to bind (default 8765; 0: any)"
    )
    parser.add_argument("--guilds", type=int, default=1, metavar="N", help="guilds to create (1)")
    parser.add_argument(
        "--channels", type=int, default=1, metavar="N", help="text channels per guild (1)"
    )
    parser.add_argument("--token", default=None, help="the only bot token accepted (default: any)")
    parser.add_argument(
        "--no-rate-limits", action="store_true", help="never answer 429 (default: Discord's limits)"
    )
    parser.add_argument(
        "--global-limit", type=int, default=50, metavar="N", help="global requests per second (50)"
    )
    parser.add_argument(
        "--route-limit",
        type=int,
        default=None,
        metavar="N",
        help="requests per window for every route bucket (default: Discord-like per route)",
    )
    parser.add_argument(
        "--route-window", type=float, default=None, metavar="S", help="bucket window in seconds"
    )
    parser.add_argument(
        "--interaction-deadline",
        type=float,
        default=3.0,
        metavar="S",
        help="seconds the bot has for its first response (3)",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="accept bodies Discord would reject"
    )


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print its endpoints, serve until SIGINT/SIGTERM."""
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from sandbox.app import Sandbox  # aiohttp and jsonschema load only for this command

    settings: dict[str, Any] = {
        "token": args.token,
        "rate_limits": not args.no_rate_limits,
        "global_limit": args.global_limit,
        "interaction_deadline": args.interaction_deadline,
        "validate": not args.no_validate,
    }
    if args.route_limit is not None or args.route_window is not None:
        settings["route_limits"] = {}
        settings["route_limit"] = args.route_limit if args.route_limit is not None else 50
        settings["route_window"] = args.route_window if args.route_window is not None else 1.0
    sandbox = Sandbox(**settings)
    try:
        await sandbox.start(args.host, args.port)
    except OSError as exc:
        print(
            f"hotpapers sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 2
    for g in range(args.guilds):
        names = [f"channel-{c + 1}" if c else "general" for c in range(max(args.channels, 1))]
        await sandbox.control.add_guild(f"Sandbox Guild {g + 1}", channels=names)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print(
        json.dumps(
            {
                "api_base": sandbox.api_base,
                "gateway_url": sandbox.gateway_url,
                "control": sandbox.control_url,
                "web": sandbox.web_url,
                "application_id": str(sandbox.state.application_id),
                "guilds": [
                    {"id": str(g.id), "name": g.name, "channels": [str(c) for c in g.channels]}
                    for g in sandbox.control.guilds()
                ],
            },
            indent=2,
        ),
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0
