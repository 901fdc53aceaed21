"""`Metrics`: the observer hooks (`bot.observe`) as Prometheus metrics in a registry of its own.

One `CollectorRegistry` per bot, never prometheus-client's global one: two bots in one process
(tests, the benchmarks) count separately, and a test reads exactly what its bot did. Label
values that are known in advance (outcomes, rate-limit scopes) are created at zero, so a
dashboard sees `0`, not a missing series, until the first event. Every metric is listed, with
its type, labels and meaning, in docs/operations.md (a test holds the two equal).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from bot.models import Subscription
from bot.schedule import slot_for

# No `_created` series beside every counter and histogram: they double the output and no
# alert reads them (a process-wide switch of prometheus-client; HotPapers has no other use).
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]

CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
OUTCOMES = ("sent", "empty", "already", "forbidden", "gone", "rejected", "failed")
SCOPES = ("global", "per-route", "shared", "cloudflare")
LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200)
COMMAND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


def due_at(sub: Subscription, day: date, lag_days: int) -> datetime | None:
    """When `sub`'s post of source day `day` was due (its slot, or when the day completed).

    The slot of local day L posts source day L - lag (± one across midnight in far zones), so
    the slot is found among the local days around day + lag. None if no slot posts `day`.
    """
    start = day + timedelta(days=lag_days)
    for local in (start, start - timedelta(days=1), start + timedelta(days=1)):
        slot = slot_for(sub, local, lag_days=lag_days)
        if slot.day == day:
            return slot.due_at
    return None


class Metrics:
    """Every HotPapers metric, in `registry`; implements `bot.observe.Observer`."""

    def __init__(self, *, lag_days: int = 1) -> None:
        self.lag_days = lag_days
        self._waiting = 0
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.posts = Counter(
            "hotpapers_posts",
            "Posts (one channel's one day) by how publish ended.",
            ["outcome"],
            registry=r,
        )
        self.post_lag = Histogram(
            "hotpapers_post_lag_seconds",
            "Seconds from when a post was due to when it was sent.",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.queue = Gauge(
            "hotpapers_fanout_queue_depth",
            "Posts of the current fan-out waiting for a free slot.",
            registry=r,
        )
        self.rate_limits = Counter(
            "hotpapers_discord_rate_limits",
            "429 answers from Discord by scope.",
            ["scope"],
            registry=r,
        )
        self.commands = Histogram(
            "hotpapers_command_seconds",
            "Slash command latency, from the bot receiving it to its reply, by command.",
            ["command", "outcome"],
            buckets=COMMAND_BUCKETS,
            registry=r,
        )
        self.source_requests = Counter(
            "hotpapers_source_requests",
            "Requests to an upstream (retries included in one), by source.",
            ["source"],
            registry=r,
        )
        self.source_failures = Counter(
            "hotpapers_source_failures",
            "Requests to an upstream that ended in an error, by source.",
            ["source"],
            registry=r,
        )
        for outcome in OUTCOMES:
            self.posts.labels(outcome=outcome)
        for scope in SCOPES:
            self.rate_limits.labels(scope=scope)

    def render(self) -> bytes:
        """The registry in Prometheus' text format."""
        return prometheus_client.generate_latest(self.registry)

    # --- the Observer hooks ---------------------------------------------------------------

    def post_finished(self, sub: Subscription, day: date, status: str, at: datetime) -> None:
        """Count the outcome; for a sent post, its lag (a post made early counts as 0)."""
        self.posts.labels(outcome=status).inc()
        if status != "sent":
            return
        try:
            due = due_at(sub, day, self.lag_days)
        except Exception:  # a stored zone this version cannot read: no lag, never an error
            due = None
        if due is not None:
            self.post_lag.observe(max(0.0, (at - due).total_seconds()))

    def fanout_queued(self, posts: int) -> None:
        """A fan-out begins: this many posts wait."""
        self._waiting = max(0, posts)
        self.queue.set(self._waiting)

    def fanout_started(self) -> None:
        """One post got its slot (never below 0: a tick cut off leaves the next to reset it)."""
        self._waiting = max(0, self._waiting - 1)
        self.queue.set(self._waiting)

    def rate_limited(self, scope: str) -> None:
        """One 429."""
        self.rate_limits.labels(scope=scope).inc()

    def command_finished(self, command: str, seconds: float, *, ok: bool) -> None:
        """One command's latency."""
        outcome = "ok" if ok else "error"
        self.commands.labels(command=command, outcome=outcome).observe(max(0.0, seconds))

    def source_request(self, source: str, *, ok: bool) -> None:
        """One upstream request."""
        self.source_requests.labels(source=source).inc()
        if not ok:
            self.source_failures.labels(source=source).inc()
