"""Rows ↔ models, in one place: how every backend encodes models into columns and back.

A row is any mapping from column name to value (`sqlite3.Row`, an asyncpg `Record`, a dict).
The encoding is the same in every dialect, so a backend writes SQL and nothing else:
- times are ISO 8601 text in UTC (`to_text`); reading one is tolerant (`read_time`): a row
  edited by hand or by another tool must not stop every start;
- lists and objects (authors, categories, metrics, tweets, ids) are JSON text;
- booleans are integers 0/1 going in; anything truthy coming out;
- a row that cannot be read at all (bad JSON, a NULL where a value must be, an unknown status)
  is a `StoreError` naming the row when asked for by key (`readable`), and is left out, with
  a warning, of a list (`all_readable`): one row edited badly by hand must not hide every
  other channel's subscription or post.

Reading builds models without validating them again (`trusted`): only the store writes these
rows, from models validated on the way in, and reading is the hot path of `/hot`
(bench/commands.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

import orjson
from pydantic import BaseModel

from bot.errors import StoreError
from bot.models import Digest, DigestMeta, Paper, PostRecord, SourceHealth, Subscription, Tweet
from bot.store.values import Claim, Lease, Start

log = logging.getLogger(__name__)


class Row(Protocol):
    """A row by column name: `sqlite3.Row`, an asyncpg `Record`, a dict."""

    def __getitem__(self, key: str, /) -> Any: ...


M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
R = TypeVar("R")  # a backend's row type

# What an unreadable time reads as where a time is required: long ago, so whatever it gates
# (a refetch, a lease take-over) happens rather than being blocked forever.
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


# --- scalars ------------------------------------------------------------------------------
def now() -> datetime:
    """The store's default clock (UTC) for times a caller did not give."""
    return datetime.now(UTC)


def to_text(dt: datetime | None) -> str | None:
    """A time as stored: ISO 8601 in UTC (a naive time is taken as UTC)."""
    if dt is None:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


def read_time(text: str | None) -> datetime | None:
    """A stored time, aware (UTC when stored naive); an unreadable one is None, not a crash."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        log.warning("ignoring an unreadable stored time %r", str(text)[:40])
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def read_required_time(text: str | None) -> datetime:
    """A stored time that must exist; unreadable or missing reads as `LONG_AGO`."""
    return read_time(text) or LONG_AGO


def trusted(cls: type[M], **values: Any) -> M:
    """Build a model from values this store itself validated when they were written.

    Like `model_construct` without its per-field default handling (every field is given),
    which made it the largest single cost of reading a digest.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


# --- unreadable rows -----------------------------------------------------------------------
def readable(decode: Callable[[R], T], row: R, what: str) -> T:
    """`decode(row)`, or a `StoreError` naming `what` when the row's values cannot be read."""
    try:
        return decode(row)
    except (ValueError, TypeError, KeyError) as exc:  # bad JSON, NULLs, a failed validation
        raise StoreError(f"the stored {what} is unreadable ({type(exc).__name__})") from None


def all_readable(decode: Callable[[R], T], found: Iterable[R], what: Callable[[R], str]) -> list[T]:
    """Every row of `found` that decodes; an unreadable one is logged and left out."""
    out: list[T] = []
    for row in found:
        try:
            out.append(readable(decode, row, what(row)))
        except StoreError as exc:
            log.warning("leaving out a row: %s", exc)
    return out


def claims_from(records: Iterable[PostRecord], found: Iterable[tuple[Row, bool]]) -> list[Claim]:
    """`claim_posts`' answer: each record's row as stored, and whether its insert won. A lost
    claim whose stored row cannot be read (edited by hand) is answered with the record given,
    not won, and a warning: one such row fails no other claim of the batch (settling a long
    outage claims a page of days at once)."""
    out: list[Claim] = []
    for record, (row, won) in zip(records, found, strict=True):
        try:
            out.append(Claim(readable(post_from, row, post_key(row)), won))
        except StoreError as exc:
            if won:  # a row this very call wrote: the store itself is broken
                raise
            log.warning("a lost claim's stored row: %s", exc)
            out.append(Claim(record, False))
    return out


def post_key(row: Row) -> str:
    """How a ledger row is named in an error: its subscription, channel and day."""
    return (
        f"post of subscription {row['subscription_id']} (channel {row['channel_id']})"
        f" on {row['day']}"
    )


def subscription_key(row: Row) -> str:
    """How a subscription row is named in an error: its id and channel."""
    return f"subscription {row['id']} of channel {row['channel_id']}"


# --- digests and papers -------------------------------------------------------------------
def content_hash(digest: Digest) -> str:
    """The digest's content without its fetch time: equal hashes make a re-import a no-op."""
    return rows_hash(digest, [paper_row(p) for p in digest.papers], entry_rows(digest))


def rows_hash(digest: Digest, papers: list[dict[str, Any]], entries: list[dict[str, Any]]) -> str:
    """`content_hash` from the rows a save writes anyway (`paper_row`, `entry_rows`).

    What is stored is what is compared: the digest's title, archives and signals, and every
    column of its papers and entries. The columns are text already, so this costs one
    `orjson.dumps` and a hash, not the full `model_dump` and sorted `json.dumps` of the
    digest it replaced (8 × less CPU: 20 ms instead of 165 ms for 300 days of 20 papers).
    Hashes stored before this differ, so the first save of such a day writes it again:
    once, and the same rows.
    """
    head = [digest.source, digest.day.isoformat(), digest.title, digest.archives]
    coverage = [digest.signals_ok, digest.signals_failed]
    body = orjson.dumps([*head, *coverage, papers, entries], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(body).hexdigest()


def _json(value: Any, *, sort: bool = False) -> str:
    """A JSON column of a digest's rows: compact UTF-8 from orjson.

    `json.dumps` here was half of an import's CPU (bench/imports.py). Readers parse the
    columns, so the spelling is free; the upsert and the content hash compare the text, so a
    day or paper stored before in `json.dumps`'s spelling (", " and ": ") is written again on
    its next save: once, and the same values.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort else 0).decode()


def paper_row(p: Paper) -> dict[str, Any]:
    """A paper's own columns (its entry's columns are `entry_rows`)."""
    return {
        "arxiv_id": p.arxiv_id,
        "version": p.version,
        "title": p.title,
        "authors": _json(p.authors),
        "categories": _json(p.categories),
        "abstract": p.abstract,
        "abs_url": p.abs_url,
        "pdf_url": p.pdf_url,
    }


def digest_row(digest: Digest, *, final: bool, content: str) -> dict[str, Any]:
    """A digest's row; `fetched_at` defaults to now."""
    return {
        "source": digest.source,
        "day": digest.day.isoformat(),
        "title": digest.title,
        "fetched_at": to_text(digest.fetched_at or now()),
        "final": int(final),
        "content_hash": content,
        "archives": _json(digest.archives),
        "signals_ok": _json(digest.signals_ok),
        "signals_failed": _json(digest.signals_failed, sort=True),
    }


def entry_rows(digest: Digest) -> list[dict[str, Any]]:
    """The ranked entries of a digest, rank 1 first."""
    day = digest.day.isoformat()
    return [
        {
            "source": digest.source,
            "day": day,
            "rank": rank,
            "arxiv_id": p.arxiv_id,
            "score": p.score,
            "metrics": _json(p.metrics, sort=True),
            # A Tweet's fields are its __dict__ (plain values): what model_dump gives, for half
            # the CPU (bench/imports.py).
            "tweets": _json([t.__dict__ for t in p.tweets]),
            "read_at": _json({k: to_text(v) for k, v in sorted(p.read_at.items())}),
        }
        for rank, p in enumerate(digest.papers, start=1)
    ]


def paper_from(
    row: Row,
    authors: list[str],
    categories: list[str],
    metrics: dict[str, int],
    tweets: list[dict[str, Any]],
    read_at: dict[str, str] | None = None,
) -> Paper:
    """A stored paper (joined with one entry's `score`) from its row and its decoded JSON
    columns; a backend decodes those as fast as it can (SQLite: one array, one decode).

    `row["score"]` is None for an entry no crowd discussed (a backend gives an entry-less
    paper 0.0). Snippets stored before they had a source, likes and kind get the defaults."""
    times = {k: t for k, t in ((k, read_time(v)) for k, v in (read_at or {}).items()) if t}
    return trusted(
        Paper,
        arxiv_id=row["arxiv_id"],
        version=row["version"] or None,
        title=row["title"],
        authors=authors,
        categories=categories,
        abstract=row["abstract"],
        abs_url=row["abs_url"],
        pdf_url=row["pdf_url"],
        metrics=metrics,
        score=row["score"],
        tweets=[trusted(Tweet, **{**_TWEET_DEFAULTS, **t}) for t in tweets],
        read_at=times,
    )


_TWEET_DEFAULTS: dict[str, Any] = {"source": "", "likes": 0, "kind": "reaction"}


def digest_from(row: Row, papers: list[Paper], *, prefix: str = "") -> Digest:
    """A digest from its row (columns named `prefix + name`) and its papers in rank order."""
    return Digest(
        day=date.fromisoformat(row[prefix + "day"]),
        source=row[prefix + "source"],
        title=row[prefix + "title"],
        papers=papers,
        fetched_at=read_time(row[prefix + "fetched_at"]),
        **_coverage(row, prefix),
    )


def _coverage(row: Row, prefix: str = "") -> dict[str, Any]:
    """A blended digest's archives and crowds from its row's JSON columns (lenient: a value
    that is not what it should be, down to one element that is not text, reads as empty: it
    only ever widens what is fetched, where a failed validation failed every read of the day)."""
    out: dict[str, Any] = {}
    for name, kind in (("archives", list), ("signals_ok", list), ("signals_failed", dict)):
        try:
            value = orjson.loads(row[prefix + name] or "null")  # per /hot: not json.loads
        except (ValueError, TypeError):
            value = None
        if not isinstance(value, kind) or not all(
            isinstance(v, str) for v in (value.values() if isinstance(value, dict) else value)
        ):
            value = kind()
        out[name] = value
    return out


def meta_from(row: Row, source: str, day: date) -> DigestMeta:
    """A digest's bookkeeping from its row plus its entry count `n`.

    Read on every `/hot` (its answer cache's key): a digest that is not blended (no archives,
    no crowds: every value below is already of its type) is built without validating it
    again; a blended one's lists are validated, element by element, as before."""
    values = {
        "source": source,
        "day": day,
        "fetched_at": read_required_time(row["fetched_at"]),
        "final": bool(row["final"]),
        "paper_count": int(row["n"]),
        "content_hash": _optional(row, "content_hash"),
        **_coverage(row),
    }
    if values["archives"] or values["signals_ok"] or values["signals_failed"]:
        return DigestMeta(**values)
    return trusted(DigestMeta, **values)


def _optional(row: Row, column: str) -> str:
    """A text column a backend's query may not select yet ("" then)."""
    try:
        return str(row[column] or "")
    except (KeyError, IndexError):  # a Record or a dict / a sqlite3.Row without it
        return ""


# --- subscriptions ------------------------------------------------------------------------
def subscription_row(sub: Subscription) -> dict[str, Any]:
    """A subscription's columns; `created_at` defaults to now (the stored one is kept)."""
    return {
        "id": sub.id,
        "channel_id": sub.channel_id,
        "guild_id": sub.guild_id,
        "name": sub.name,
        "cadence": sub.cadence,
        "weekday": sub.weekday,
        "post_time": sub.post_time,
        "timezone": sub.timezone,
        "categories": json.dumps(sub.categories),
        "max_papers": sub.limit,
        "format": sub.format,
        "min_score": sub.min_score,
        "keywords": json.dumps(sub.keywords, ensure_ascii=False),
        "post_empty": int(sub.post_empty),
        "source": sub.source,
        "enabled": int(sub.enabled),
        "paused": int(sub.paused),
        "resumed_at": to_text(sub.resumed_at),
        "role_id": sub.role_id,
        "ping": sub.ping,
        "ping_min_score": sub.ping_min_score,
        "self_roles": int(sub.self_roles),
        "late_risers": sub.late_risers,
        "user_id": sub.user_id,
        "server_votes": int(sub.server_votes),
        "failing_reason": sub.failing_reason,
        "created_at": to_text(sub.created_at or now()),
    }


def subscription_from(row: Row) -> Subscription:
    """A stored subscription (validated: it is small, and its rows may be edited by hand)."""
    return Subscription(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        id=row["id"],
        name=row["name"],
        cadence=row["cadence"],
        weekday=row["weekday"],
        post_time=row["post_time"],
        timezone=row["timezone"],
        categories=json.loads(row["categories"]),
        limit=row["max_papers"],
        format=row["format"],
        min_score=row["min_score"],
        keywords=json.loads(row["keywords"]),
        post_empty=bool(row["post_empty"]),
        source=row["source"],
        enabled=bool(row["enabled"]),
        paused=bool(row["paused"]),
        resumed_at=read_time(row["resumed_at"]),
        role_id=row["role_id"],
        ping=row["ping"],
        ping_min_score=row["ping_min_score"],
        self_roles=bool(row["self_roles"]),
        late_risers=row["late_risers"],
        user_id=row["user_id"],
        server_votes=bool(row["server_votes"]),
        failing_reason=row["failing_reason"],
        failing_at=read_time(row["failing_at"]),
        created_at=read_time(row["created_at"]),
    )


# --- the post ledger ----------------------------------------------------------------------
def claim_row(record: PostRecord) -> dict[str, Any]:
    """The columns of a new claim: the record's identity, status and papers; empty progress."""
    return {
        "subscription_id": record.subscription_id,
        "channel_id": record.channel_id,
        "day": record.day.isoformat(),
        "guild_id": record.guild_id,
        "source": record.source,
        "nonce": record.nonce,
        "status": record.status,
        "arxiv_ids": json.dumps(record.arxiv_ids),
        "error": record.error,
        "created_at": to_text(record.created_at or now()),
        "late": int(record.late),
    }


def ids_text(ids: list[int] | None) -> str | None:
    """Message ids as stored, or None to keep the stored ones."""
    return json.dumps(ids) if ids is not None else None


def post_from(row: Row) -> PostRecord:
    """A ledger row."""
    return PostRecord(
        subscription_id=row["subscription_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        day=date.fromisoformat(row["day"]),
        source=row["source"],
        nonce=row["nonce"],
        status=row["status"],
        message_ids=json.loads(row["message_ids"]),
        thread_id=row["thread_id"],
        arxiv_ids=json.loads(row["arxiv_ids"]),
        attempts=row["attempts"],
        error=row["error"],
        created_at=read_time(row["created_at"]),
        posted_at=read_time(row["posted_at"]),
        late=bool(row["late"]),
        generation=row["generation"],
    )


# --- source health ------------------------------------------------------------------------
def health_from(row: Row) -> SourceHealth:
    """A source's last outcome."""
    return SourceHealth(
        source=row["source"],
        ok=bool(row["ok"]),
        checked_at=read_required_time(row["checked_at"]),
        last_ok_at=read_time(row["last_ok_at"]),
        error=row["error"],
        consecutive_failures=row["consecutive_failures"],
    )


# --- leases and starts --------------------------------------------------------------------
def lease_row(lease: Lease) -> dict[str, Any]:
    """A lease's columns."""
    return {
        "name": lease.name,
        "holder": lease.holder,
        "acquired_at": to_text(lease.acquired_at),
        "expires_at": to_text(lease.expires_at),
    }


def lease_from(row: Row) -> Lease:
    """A stored lease; an unreadable time counts as long expired, so the next acquire
    overwrites the row."""
    return Lease(
        row["name"],
        row["holder"],
        read_required_time(row["acquired_at"]),
        read_required_time(row["expires_at"]),
    )


def start_row(start: Start) -> dict[str, Any]:
    """A start's columns."""
    return {"at": to_text(start.at), "waited_seconds": start.waited.total_seconds()}


def start_from(row: Row) -> Start | None:
    """A remembered start, or None when its time is unreadable (left out, not a crash)."""
    at = read_time(row["at"])
    if at is None:
        return None
    return Start(at, timedelta(seconds=row["waited_seconds"] or 0))
