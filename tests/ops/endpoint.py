"""Shared by the ops tests: scraping a running bot's endpoint and reading what it says."""

from __future__ import annotations

from typing import Any, cast

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.app.bot import HotPapersBot
from bot.app.cogs.ops import OpsCog
from bot.ops.server import OpsServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def ops_server(bot: HotPapersBot) -> OpsServer:
    cog = bot.get_cog("OpsCog")
    assert isinstance(cog, OpsCog), "the bot was built without [ops] listen"
    return cog.server


async def scrape_metrics(bot: HotPapersBot) -> tuple[Samples, dict[str, str], str]:
    """Every sample of /metrics by (name, labels), each family's type, and the raw text."""
    async with httpx.AsyncClient(base_url=ops_server(bot).url) as client:
        r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    types: dict[str, str] = {}
    for family in text_string_to_metric_families(r.text):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types, r.text


async def scrape_health(bot: HotPapersBot) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(base_url=ops_server(bot).url) as client:
        r = await client.get("/healthz")
    assert r.headers["content-type"] == "application/json"
    return r.status_code, cast(dict[str, Any], r.json())


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]
