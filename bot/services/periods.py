"""A subscription's period as one digest: a day's own, or a week's or a month's days merged.

A weekly or monthly post (`bot.cadence`) is the period's digest days merged by paper keeping
each paper's best entry, in rank order: `bot.filters.merge`, as `/hot`'s week and month
(`bot.filters.select`). The subscription's own filters and limit then apply to it as to a
day's (`bot.delivery.compose`). The merged digest carries the period's key day as its `day`
(the ledger's key) and the key day's crowds (which answered, which failed) for the footer.
"""

from __future__ import annotations

from datetime import date

from bot.cadence import days_of, period_title
from bot.filters import merge
from bot.models import Cadence, Digest
from bot.services.digests import DigestService


async def period_digest(
    digests: DigestService,
    source: str,
    first: date,
    key: date,
    cadence: Cadence = "daily",
    *,
    fetch: bool = True,
) -> Digest | None:
    """The digest of the period `first` … `key` of `source`; None when the key day has none.

    `fetch`: each day from the store, fetched upstream on a miss (the scheduler); otherwise
    from the store only (reconciling a given-up post). A day before the key day that has no
    digest is left out; a source failure on any day raises its `SourceError` (the post waits
    and is tried again, as a daily one whose day is unavailable)."""
    name = digests.resolve(source)

    async def load(day: date) -> Digest | None:
        return await (digests.get(name, day) if fetch else digests.stored(name, day))

    last = await load(key)
    if first == key or last is None:
        return last
    found = [d for day in days_of(first, key)[:-1] if (d := await load(day)) is not None]
    found.append(last)
    return Digest(
        day=key,
        source=name,
        title=period_title(cadence, first, key, last.title),
        papers=merge(found),
        fetched_at=last.fetched_at,
        signals_ok=last.signals_ok,
        signals_failed=last.signals_failed,
    )
