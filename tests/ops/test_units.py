"""The pieces of the ops endpoint on plain data: lag, queue depth, 429 scopes, the config, and
who may import the metrics library."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from multidict import CIMultiDict

from bot.app.observing import scope_of
from bot.config import parse_config
from bot.errors import ConfigError
from bot.models import Subscription
from bot.ops.metrics import Metrics, due_at

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2021, 3, 12)


def sub(time: str = "09:00", zone: str = "UTC") -> Subscription:
    return Subscription(guild_id=1, channel_id=2, post_time=time, timezone=zone)


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    assert value is not None, name
    return value


@pytest.mark.parametrize(
    ("time", "zone", "due"),
    [
        ("09:00", "UTC", datetime(2021, 3, 13, 9, 0, tzinfo=UTC)),
        ("09:00", "Europe/Berlin", datetime(2021, 3, 13, 8, 0, tzinfo=UTC)),
        # UTC+14: the local day that posts 03-12 is 03-14 (its 08:00 is 03-13 18:00 UTC)
        ("08:00", "Pacific/Kiritimati", datetime(2021, 3, 13, 18, 0, tzinfo=UTC)),
        # New Zealand summer time (+13): local 03-14 10:00 posts 03-12
        ("10:00", "Pacific/Auckland", datetime(2021, 3, 13, 21, 0, tzinfo=UTC)),
    ],
)
def test_due_at_is_the_slot_that_posts_the_day(time: str, zone: str, due: datetime) -> None:
    assert due_at(sub(time, zone), DAY, lag_days=1) == due


def test_lag_is_observed_for_sent_posts_only_and_never_below_zero() -> None:
    m = Metrics(lag_days=1)
    due = datetime(2021, 3, 13, 9, 0, tzinfo=UTC)
    m.post_finished(sub(), DAY, "sent", due + timedelta(seconds=90))
    m.post_finished(sub(), DAY, "sent", due - timedelta(hours=1))  # post-now before its time
    m.post_finished(sub(), DAY, "failed", due + timedelta(hours=5))
    m.post_finished(sub(zone="Not/AZone"), DAY, "sent", due)  # unreadable zone: no lag
    assert sample(m, "hotpapers_post_lag_seconds_count") == 2
    assert sample(m, "hotpapers_post_lag_seconds_sum") == 90
    assert sample(m, "hotpapers_posts_total", outcome="sent") == 3
    assert sample(m, "hotpapers_posts_total", outcome="failed") == 1
    assert sample(m, "hotpapers_posts_total", outcome="gone") == 0


def test_the_queue_depth_counts_down_and_resets_with_each_fan_out() -> None:
    m = Metrics()
    assert sample(m, "hotpapers_fanout_queue_depth") == 0
    m.fanout_queued(3)
    m.fanout_started()
    assert sample(m, "hotpapers_fanout_queue_depth") == 2
    for _ in range(4):
        m.fanout_started()
    assert sample(m, "hotpapers_fanout_queue_depth") == 0
    m.fanout_queued(5)
    assert sample(m, "hotpapers_fanout_queue_depth") == 5


def test_two_bots_count_in_their_own_registries() -> None:
    one, two = Metrics(), Metrics()
    one.rate_limited("global")
    assert sample(one, "hotpapers_discord_rate_limits_total", scope="global") == 1
    assert sample(two, "hotpapers_discord_rate_limits_total", scope="global") == 0


@pytest.mark.parametrize(
    ("headers", "scope"),
    [
        ({"Via": "1.1 google", "X-RateLimit-Scope": "user"}, "per-route"),
        ({"Via": "1.1 google"}, "per-route"),
        ({"via": "1.1 google", "x-ratelimit-scope": "Global"}, "global"),
        ({"Via": "1.1 google", "X-RateLimit-Global": "true"}, "global"),
        ({"Via": "1.1 google", "X-RateLimit-Scope": "shared"}, "shared"),
        ({"Content-Type": "text/html"}, "cloudflare"),
    ],
)
def test_a_429s_scope_is_read_from_its_headers(headers: dict[str, str], scope: str) -> None:
    assert scope_of(CIMultiDict(headers)) == scope


def test_the_endpoint_is_off_by_default() -> None:
    config = parse_config({}, env={})
    assert config.ops.listen == "" and config.ops.address is None


@pytest.mark.parametrize(
    ("ops", "address"),
    [
        ({"listen": "127.0.0.1:9108"}, ("127.0.0.1", 9108)),
        ({"listen": "[::1]:9108"}, ("::1", 9108)),
        ({"listen": "localhost:0"}, ("localhost", 0)),
        ({"listen": "0.0.0.0:9108", "allow_remote": True}, ("0.0.0.0", 9108)),
    ],
)
def test_a_listen_address_is_host_and_port(ops: dict[str, object], address: object) -> None:
    assert parse_config({"ops": ops}, env={}).ops.address == address


@pytest.mark.parametrize(
    ("listen", "why"),
    [
        ("9108", "'9108' is not host:port, e.g. 127.0.0.1:9108 or [::1]:9108"),
        (
            "127.0.0.1:65536",
            "'127.0.0.1:65536' is not host:port, e.g. 127.0.0.1:9108 or [::1]:9108",
        ),
        ("127.0.0.1:", "'127.0.0.1:' is not host:port, e.g. 127.0.0.1:9108 or [::1]:9108"),
        (
            "metrics.internal:9108",
            "'metrics.internal:9108': the host must be an IP address or localhost, "
            "e.g. 127.0.0.1:9108",
        ),
        ("::1:9108", "'::1:9108': write an IPv6 address in brackets, e.g. [::1]:9108"),
        (
            "0.0.0.0:9108",
            "'0.0.0.0:9108' is not a loopback address; /healthz and /metrics have no "
            "authentication, so listen on 127.0.0.1 (or set ops.allow_remote = true behind a "
            "firewall)",
        ),
    ],
)
def test_a_bad_listen_address_is_refused_at_load(listen: str, why: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"ops": {"listen": listen}}, env={})
    assert str(err.value) == f"invalid config: ops.listen: {why}"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_bot_ops_imports_prometheus_and_it_imports_no_discord_side() -> None:
    for path in sorted((ROOT / "bot").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        names = _imports(path)
        uses_prometheus = any(n.split(".")[0] == "prometheus_client" for n in names)
        assert uses_prometheus == (rel == "bot/ops/metrics.py"), rel
        if rel.startswith("bot/ops/"):
            assert not any(n.split(".")[0] == "discord" for n in names), rel
            assert not any(n.startswith(("bot.app", "bot.cli")) for n in names), rel
