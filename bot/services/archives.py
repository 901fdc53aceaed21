"""Which arXiv archives to fetch a day's announcement for: only those somebody wants.

arXiv's listing is read per archive (`cs`, `math`, `astro-ph`; `bot.sources.arxiv_listing`),
and each archive costs requests every day, so the set is computed, not configured: the archives
of the categories that enabled subscriptions include (`cs.CV` → `cs`, `math.AG` → `math`,
`astro-ph.GA` → `astro-ph`, a single-category archive such as `quant-ph` → itself), plus the
archives a member asks for on demand (`/hot category:math.AG`). Excluded categories (`-cs.CV`)
ask for nothing.

A subscription to all categories (none included) asks for `FOR_ALL_CATEGORIES` = `cs`: reading
all twenty archives every day (20 API requests, 5 RSS requests) for a channel that chose
nothing would cost most of the day's budget for papers no crowd of ours discusses; "all" has
always meant what the crowds discuss, which is mostly computer science. A channel that wants
another field names it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence

from bot import taxonomy
from bot.models import Subscription
from bot.store.base import Store

FOR_ALL_CATEGORIES: tuple[str, ...] = ("cs",)


def archive_of(category: str) -> str | None:
    """The archive of a category or archive id (`cs.CV` → `cs`, `quant-ph` → `quant-ph`),
    or None when arXiv has no such category."""
    tax = taxonomy.load()
    found = tax.lookup(category)
    if found is None:
        return None
    if found in tax.archives:
        return found
    cat = tax.categories.get(found)
    return cat.archive if cat is not None else None


def archives_of(categories: Iterable[str]) -> list[str]:
    """The archives of the included categories, in order, once each (unknown ones skipped)."""
    out: list[str] = []
    for category in categories:
        if category.startswith("-"):
            continue
        archive = archive_of(category)
        if archive is not None and archive not in out:
            out.append(archive)
    return out


def archives_for(
    subs: Iterable[Subscription],
    *,
    asked: Iterable[str] = (),
    sources: Container[str] | None = None,
    for_all: Sequence[str] = FOR_ALL_CATEGORIES,
) -> list[str]:
    """The archives to fetch: of the enabled subscriptions (of `sources`, when given) and of
    the categories `asked` on demand; sorted, so the same wishes make the same requests."""
    wanted: set[str] = set(archives_of(asked))
    for sub in subs:
        if not sub.enabled or (sources is not None and sub.source not in sources):
            continue
        found = archives_of(sub.categories)
        wanted.update(found or for_all)
    return sorted(wanted)


async def wanted_archives(
    store: Store,
    *,
    asked: Iterable[str] = (),
    sources: Container[str] | None = None,
    for_all: Sequence[str] = FOR_ALL_CATEGORIES,
) -> list[str]:
    """`archives_for` over the store's enabled subscriptions."""
    subs = await store.list_subscriptions(enabled_only=True)
    return archives_for(subs, asked=asked, sources=sources, for_all=for_all)
