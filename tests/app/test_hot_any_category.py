"""Issue 13, end to end through the sandbox with the real bot: any category gets a ranked
digest from the day's announcement plus whatever crowds answered; one crowd down is named.

The upstreams are in-process stand-ins written against the protocols (a universe, crowds:
`tests/sources/blendfakes.py`), handed to the real `hot` source through a `SourceFactory`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import httpx

from bot.app.bot import HotPapersBot
from bot.config import Config
from bot.models import Paper
from bot.sources import registry
from bot.sources.base import SourceFactory
from bot.sources.crowds import ReportedSignal
from bot.sources.signals import Quote, SignalSource
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app
from tests.app.test_scheduling import by_name, posts_in, subscribe
from tests.golden.compare import golden
from tests.sources.blendfakes import FakeCrowd, FakeUniverse

TUESDAY = date(2026, 12, 1)  # announced Tuesday evening (US Eastern); the digest's day
BEFORE = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
DUE = datetime(2026, 12, 2, 9, 5, tzinfo=UTC)


def p(arxiv_id: str, title: str, *cats: str) -> Paper:
    return Paper(
        arxiv_id=arxiv_id, title=title, categories=list(cats), authors=["A. Author", "B. Author"]
    )


UNIVERSE = {
    "astro-ph": [
        p("2612.01001", "A quiet galaxy survey", "astro-ph.GA"),
        p("2612.01002", "Dark matter in dwarf spheroidals", "astro-ph.GA", "astro-ph.CO"),
        p("2612.01003", "Bars in disc galaxies", "astro-ph.GA"),
        p("2612.01004", "A cosmology paper", "astro-ph.CO"),
    ],
    "math": [
        p("2612.02001", "Moduli of curves, again", "math.AG"),
        p("2612.02002", "A new proof of an old lemma", "math.AG", "math.CO"),
    ],
    "quant-ph": [p("2612.03001", "Error correction at scale", "quant-ph")],
    "cs": [p("2612.04001", "Yet another transformer", "cs.LG")],
}
HF = {"2612.04001": {"upvotes": 300}}
HN = {
    "2612.01002": {"hn_points": 45, "hn_comments": 12},
    "2612.02001": {"hn_points": 3},
    "2612.03001": {"hn_points": 120},
}
BSKY = {"2612.01002": {"bsky_likes": 80}, "2612.01003": {"bsky_likes": 9}}
QUOTES = {
    "2612.01002": [
        Quote("bluesky", "Vera", "@vera.bsky.social", "https://bsky.app/profile/vera/post/1",
              "This is the <@123> @everyone paper **everyone** should read", 31),
        Quote("bluesky", "arXiv bot", "@astro-ph-bot", "https://bsky.app/profile/bot/post/2",
              "New: Dark matter in dwarf spheroidals", 2, "bot"),
    ],
}  # fmt: skip


class StandInFactory(SourceFactory):
    """The real factory, whose arXiv listing and crowds are the stand-ins."""

    def __init__(
        self, config: Config, universe: FakeUniverse, crowds: Sequence[SignalSource]
    ) -> None:
        super().__init__(config.sources, httpx.AsyncClient())
        self.universe = universe
        self.crowds = tuple(crowds)

    def signals(self) -> Sequence[SignalSource]:
        # As the real factory hands crowds out: each outcome goes to the source health.
        return [
            ReportedSignal(c, registry.title(c.name), health=lambda: self._health)
            for c in self.crowds
        ]

    def arxiv_listing(self, *, clock: Any = None) -> Any:
        return self.universe  # the stand-in universe (the real one is an ArxivListing)


def crowds(*, hn_down: bool = False) -> list[SignalSource]:
    down = "Hacker News is unreachable (HTTP 503)." if hn_down else None
    return [
        FakeCrowd("hf", HF),
        FakeCrowd("hn", HN, down=down),
        FakeCrowd("bluesky", BSKY, quotes=QUOTES),
    ]


@contextlib.asynccontextmanager
async def hot_app(
    sandbox: Sandbox, store: Store, clock: FakeClock, universe: FakeUniverse, **kw: Any
) -> AsyncIterator[HotPapersBot]:
    config = make_config(sources={"default": "hot"})
    factory = StandInFactory(config, universe, crowds(**kw))
    try:
        async with running_app(sandbox, store, clock, config=config, factory=factory) as bot:
            yield bot
    finally:
        await factory.client.aclose()


def seen(message: dict[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in ("content", "embeds") if message.get(k)}


async def test_a_channel_subscribed_to_astro_ph_ga_gets_a_ranked_digest(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Astro", channels=["galaxies", "detail"])
    ch = by_name(guild)
    universe = FakeUniverse(UNIVERSE)
    clock.set(BEFORE)
    async with hot_app(sandbox, store, clock, universe) as bot:
        await subscribe(sandbox, ch["galaxies"], time="09:00", categories="astro-ph.GA")
        await subscribe(
            sandbox, ch["detail"], time="09:00", categories="astro-ph.GA", format="detailed"
        )
        clock.set(DUE)
        report = await bot.scheduler.tick()
        assert report.sent == 2
        paper = await sandbox.control.invoke("paper", {"id": "2612.01002"})
    (answer,) = paper.messages
    fields = {f["name"]: f["value"] for f in answer["embeds"][0]["fields"]}
    assert fields["Where the score comes from"].endswith(
        "score 200 within astro-ph.GA (each crowd adds up to 100: docs/ranking.md)"
    )
    assert "read <t:" in fields["Where the score comes from"]
    assert answer["content"].startswith("Posted in this server: ")  # ids vary per run
    golden("hot_paper_reply", {"embeds": answer["embeds"]})
    assert universe.asked == [(TUESDAY, ("astro-ph",))]  # only the archive subscribed to
    (post,) = posts_in(sandbox, ch["galaxies"])
    text = post["embeds"][0]["description"]
    assert [line.split("](")[0] for line in text.split("\n") if line.startswith("**")] == [
        "**1.** [Dark matter in dwarf spheroidals",
        "**2.** [Bars in disc galaxies",
        "**3.** [A quiet galaxy survey",
    ]
    assert text.endswith("no discussion yet")
    golden("hot_astro_ph_ga_post", seen(post))
    (record,) = [r for r in await store.list_posts() if r.channel_id == ch["detail"]]
    assert record.status == "sent" and record.thread_id is not None
    header = [seen(m) for m in sandbox.control.messages(ch["detail"]) if m.get("nonce")]
    thread = [seen(m) for m in sandbox.control.messages(record.thread_id) if m.get("nonce")]
    golden("hot_astro_ph_ga_detailed", {"header": header, "thread": thread})
    first = thread[0]["embeds"][0]
    names = [f["name"] for f in first["fields"]]
    assert names[-2:] == [
        "💬 Vera (@vera.bsky.social) on Bluesky · 31 ♥",
        "💬 arXiv bot (@astro-ph-bot) on Bluesky · 2 ♥ · a paper bot",
    ]  # people's reactions above the paper bot; the mention in the excerpt is defused
    assert "@\u200beveryone" in first["fields"][-2]["value"]


async def test_hot_for_math_ag_and_quant_ph_week_answer_from_the_announcement(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await sandbox.control.add_guild("Lab", channels=["general"])
    universe = FakeUniverse(UNIVERSE)
    clock.set(DUE)
    async with hot_app(sandbox, store, clock, universe):
        math = await sandbox.control.invoke("hot", {"category": "math.AG"})
        quant = await sandbox.control.invoke("hot", {"category": "quant-ph", "window": "week"})
    assert universe.asked == [(TUESDAY, ("math",)), (TUESDAY, ("quant-ph",))]
    assert math.status == "answered", math.content
    (m,) = math.messages
    assert m["embeds"][0]["description"].startswith("**1.** [Moduli of curves, again]")
    (q,) = quant.messages
    assert q["embeds"][0]["description"].startswith("**1.** [Error correction at scale]")
    assert "week" in q["content"].lower() or "2026-12-01" in q["content"]


async def test_one_crowd_down_is_named_and_the_others_still_rank(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Astro", channels=["galaxies"])
    cid = by_name(guild)["galaxies"]
    clock.set(BEFORE)
    async with hot_app(sandbox, store, clock, FakeUniverse(UNIVERSE), hn_down=True) as bot:
        await subscribe(sandbox, cid, time="09:00", categories="astro-ph.GA")
        clock.set(DUE)
        assert (await bot.scheduler.tick()).sent == 1
        status = await sandbox.control.invoke("digest status", {}, permissions=MANAGE_GUILD)
    assert "Source hn: **failing** (1×, HTTP 503)" in status.content  # /digest status names it
    assert "Source bluesky: ok" in status.content and "Source hf: ok" in status.content
    (post,) = posts_in(sandbox, cid)
    embed = post["embeds"][0]
    assert "Hacker News did not answer" in embed["footer"]["text"]
    assert embed["description"].startswith("**1.** [Dark matter in dwarf spheroidals]")
    stored = await store.get_digest("hot", TUESDAY)
    assert stored is not None and stored.signals_failed == {
        "hn": "Hacker News is unreachable (HTTP 503)."
    }


async def test_a_day_without_an_announcement_is_a_clear_outcome(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """The listing of a Friday night (digest day Saturday) does not exist: the channel is told
    so, the ledger says so, and the crowds are never asked."""
    guild = await sandbox.control.add_guild("Astro", channels=["galaxies"])
    cid = by_name(guild)["galaxies"]
    universe = FakeUniverse(UNIVERSE)
    clock.set(datetime(2026, 12, 6, 8, 0, tzinfo=UTC))  # Sunday morning: Saturday is due
    async with hot_app(sandbox, store, clock, universe) as bot:
        await subscribe(sandbox, cid, time="09:00", categories="astro-ph.GA")
        clock.set(datetime(2026, 12, 6, 9, 5, tzinfo=UTC))
        await bot.scheduler.tick()
    (post,) = posts_in(sandbox, cid)
    assert "no arXiv announcement on Saturdays" in post["content"]
    (record,) = [r for r in await store.list_posts() if r.channel_id == cid]
    assert record.status == "empty" and record.error is not None
    assert "no arXiv announcement on Saturdays" in record.error
    assert universe.asked == []
    golden("hot_no_announcement_post", seen(post))
