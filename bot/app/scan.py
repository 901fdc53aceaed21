"""The scheduler's subscriptions, a page at a time: what keeps a tick's memory flat.

A tick (`bot.app.scheduler`), settlement (`bot.app.settle`) and the late risers' phase each
need to look at every subscription the scheduler posts, but never at all of them at once:
`scheduled` reads them from the store in pages of `bot.store.subscriptions.PAGE`, by id
(keyset paging), as light `Timing` rows instead of whole models, and hands each page on.
What a caller keeps of a page (the due ones) is bounded by what is due, not by how many
subscriptions there are; whole models are read only for the subscriptions that post
(`Store.get_subscriptions`).

Every page is read fresh from the store, so a subscription made, edited, paused or removed
by another process (or another connection) is seen by the next tick as it is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from bot.store.subscriptions import PAGE, SubscriptionStore, Timing


async def scheduled(
    store: SubscriptionStore, owns: Callable[[int], bool], *, limit: int = PAGE
) -> AsyncIterator[list[Timing]]:
    """Each page of the subscriptions the scheduler posts (enabled, not paused) whose guild
    `owns` says is this process's (`bot.sharding.Shards.owns`), by id, at most `limit` a
    page; empty pages skipped."""
    after = 0
    while True:
        page = await store.schedule_page(after, limit)
        mine = [row for row in page.rows if owns(row.guild_id)]
        if mine:
            yield mine
        if page.after is None:
            return
        after = page.after
