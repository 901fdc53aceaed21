"""docs/operations.md lists exactly the metrics the bot exports (name, type, labels) and exactly
the fields `/healthz` answers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.models import Subscription
from bot.ops.health import Health, Part
from bot.ops.metrics import Metrics
from bot.store import open_store

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "operations.md").read_text("utf-8")
NOW = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)


def section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def exported() -> dict[str, tuple[str, frozenset[str]]]:
    """Every metric of a bot's registry after each hook ran once: name → (type, labels)."""
    metrics = Metrics()
    sub = Subscription(guild_id=1, channel_id=2, post_time="09:00", timezone="UTC")
    metrics.post_finished(sub, date(2021, 3, 12), "sent", NOW)
    metrics.fanout_queued(1)
    metrics.fanout_started()
    metrics.rate_limited("global")
    metrics.command_finished("hot", 0.2, ok=True)
    metrics.source_request("hf", ok=False)
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for family in metrics.registry.collect():
        name = f"{family.name}_total" if family.type == "counter" else family.name
        labels = {k for s in family.samples for k in s.labels if k != "le"}
        out[name] = (family.type, frozenset(labels))
    return out


def test_the_doc_lists_exactly_the_exported_metrics() -> None:
    documented: dict[str, tuple[str, frozenset[str]]] = {}
    for name, kind, labels, meaning in table_rows(section("`GET /metrics`")):
        names = frozenset(re.findall(r"`(\w+)`", labels))
        documented[name.strip("`")] = (kind, names)
        assert meaning, name
    assert documented == exported()


async def test_the_doc_lists_exactly_the_fields_healthz_answers(tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.sqlite3") as store:
        await store.record_source_health("hf", ok=True, at=NOW)

        async def lease() -> Part:
            return Part(True, {"required": True, "held": True, "status": "held"})

        health = Health(
            store,
            gateway=lambda: Part(True, {"connected": True, "latency_ms": 40.0}),
            lease=lease,
            holder="test",
            clock=lambda: NOW,
        )
        _, body = await health.report()
    fields: set[str] = set()

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                path = f"{prefix}.{key}" if prefix else key
                if not isinstance(inner, dict):  # the leaves, and the list of sources
                    fields.add(path)
                walk(path, inner)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            walk(f"{prefix}[]", value[0])

    walk("", body)
    documented = {row[0].strip("`") for row in table_rows(section("`GET /healthz`"))}
    assert documented == fields
