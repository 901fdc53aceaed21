"""Run the bot: connect to Discord with DISCORD_TOKEN and the settings in a config file.

A missing or rejected token, disallowed intents and an invalid config each end the program with
one clear line and a non-zero exit code. SIGTERM and SIGINT stop it gracefully: the posts in
flight are finished first.

Before it connects to Discord: after a run of quick restarts it waits (crash-loop backoff,
`bot.app.startup`), then it takes the store's poster lease (`bot.app.lease`); if another
HotPapers process holds it, this one says so in one line and exits with code 2, so two
processes never post from one store and the second never opens a gateway session.

A sharded process (`[discord] shard_count`, `shard_ids`) takes one lease per shard it runs
(`bot.app.shard_lease`); while another live process holds any of them, it waits as a standby
(one log line), without a gateway session, and takes over when they are released or expire.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

import discord
import httpx

from bot.config import Config, config_path, load_config
from bot.errors import ConfigError, HotPapersError

HELP = "run the bot (token from DISCORD_TOKEN, settings from --config)"

log = logging.getLogger(__name__)


class StartupError(HotPapersError):
    """Discord refused to let the bot start (token, intents)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `hotpapers run`."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="a TOML config file (default: ./config.toml if present, else the defaults)",
    )


def explain_start_error(exc: BaseException) -> str | None:
    """One line for an error that stops the bot from starting, or None if it is a bug."""
    if isinstance(exc, discord.LoginFailure):
        return "Discord rejected the token: check DISCORD_TOKEN (Bot tab of the developer portal)"
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "Discord refused the requested gateway intents (close code 4014); enable them in the "
            "developer portal or request fewer"
        )
    if isinstance(exc, discord.ConnectionClosed) and exc.code == 4004:
        return "Discord rejected the token while connecting (close code 4004)"
    if isinstance(exc, discord.ConnectionClosed) and exc.code in (4013, 4014):
        return f"Discord refused the gateway intents (close code {exc.code})"
    if isinstance(exc, discord.HTTPException | OSError):
        return f"cannot reach Discord: {exc}"
    return None


def run(args: argparse.Namespace) -> int:
    """Load the config, check the token, serve until stopped."""
    config = load_config(config_path(args.config))
    if config.token is None:
        raise ConfigError("DISCORD_TOKEN is not set: export the bot token in that variable")
    from bot.sources import lazy  # the parsers are imported on first use: asked for now

    if absent := lazy.missing():
        raise StartupError(
            f"this installation lacks {', '.join(absent)} (the parsers of fetched data): "
            "reinstall hotpapers with its dependencies"
        )
    if not args.verbose:
        logging.getLogger().setLevel(config.log_level)
    return asyncio.run(serve(config))


async def serve(config: Config) -> int:
    """Open the store and the HTTP client, start the bot, and stop it on SIGTERM / SIGINT."""
    from bot.app.compose import build_bot
    from bot.app.endpoints import configure_endpoints
    from bot.app.lease import PosterLease
    from bot.app.shard_lease import ShardLeases
    from bot.app.startup import backoff_before_connecting
    from bot.sharding import Shards
    from bot.sources.base import SourceFactory
    from bot.store import open_store

    assert config.token is not None
    if config.discord.api_base or config.discord.gateway_url:
        configure_endpoints(config.discord.api_base or None, config.discord.gateway_url or None)
    async with (
        open_store(config.store.location) as store,
        httpx.AsyncClient(timeout=config.sources.timeout_seconds) as client,
    ):
        await backoff_before_connecting(store)
        shards = Shards.of(config.discord.shard_count, config.discord.shard_ids)
        lease: PosterLease | ShardLeases
        if shards.sharded:
            # A sharded process is its shards' standby until it holds every one's lease.
            lease = ShardLeases(store, shards)
            await lease.wait_for_all()
        else:
            lease = PosterLease(store)
            if not await lease.acquire():
                raise StartupError(lease.status_line())
        bot = build_bot(config, store, factory=SourceFactory(config.sources, client), lease=lease)
        loop = asyncio.get_running_loop()
        closing: list[asyncio.Task[None]] = []

        def stop(signame: str) -> None:
            if not closing:
                log.warning("%s received: finishing the posts in flight, then stopping", signame)
                closing.append(asyncio.create_task(bot.close(), name="hotpapers-shutdown"))

        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop, sig.name)
        try:
            await bot.start(config.token.get_secret_value())
        except Exception as exc:
            message = explain_start_error(exc)
            if message is None:
                raise
            raise StartupError(message) from None
        finally:
            if not bot.is_closed():
                await bot.close()
            for task in closing:
                await task
    log.info("stopped")
    return 0
