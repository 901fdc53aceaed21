"""Several digests in one channel, on their own cadences, end to end (issue 14, item 1).

The real bot against the sandbox with a fake clock: a daily cs.CV digest and a weekly
top-of-the-week in one channel both post, each exactly once per period; pausing stops a
digest and resuming restarts it without back-posting the paused days; commands that name one
digest refuse, privately and with the names, when the channel has several and none is named.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.models import PostRecord
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import MANAGE_GUILD, FakeClock, make_config, running_app
from tests.app.test_scheduling import by_name, posts_in, store_days


async def invoke(sandbox: Sandbox, command: str, **options: Any) -> str:
    r = await sandbox.control.invoke(command, options, permissions=MANAGE_GUILD)
    assert r.status == "answered" and r.ephemeral, (command, r.status)
    return r.content


def titles(sandbox: Sandbox, channel_id: int) -> list[str]:
    """The first line of each post's header."""
    return [m["content"].splitlines()[0] for m in posts_in(sandbox, channel_id)]


async def ledger(store: Store, channel_id: int, name: str) -> list[PostRecord]:
    sub = await store.find_subscription(channel_id, name)
    assert sub is not None and sub.id is not None
    return sorted(await store.list_posts(subscription_id=sub.id), key=lambda p: p.day)


async def test_a_daily_and_a_weekly_digest_in_one_channel_each_post_once_per_period(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await store_days(store, date(2021, 3, 1), 14)  # 1 … 14 March 2021
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 8, 8, 0, tzinfo=UTC))  # a Monday
    async with running_app(sandbox, store, clock, config=make_config()) as bot:
        daily = await invoke(
            sandbox, "digest subscribe", channel=cid, categories="cs.CV", time="09:00"
        )
        assert daily.startswith(f"Subscribed <#{cid}>: every day at 09:00 UTC. Next post <t:")
        weekly = await invoke(
            sandbox,
            "digest subscribe",
            channel=cid,
            name="weekly",
            cadence="weekly",
            weekday=0,
            time="10:00",
        )
        assert weekly.startswith(
            f"Subscribed <#{cid}> (weekly): every Monday (the week's top) at 10:00 UTC. "
            "Next post <t:1615197600:f> (the digest of the week 2021-03-01 – 2021-03-07)."
        ), weekly
        listing = await invoke(sandbox, "digest list")
        assert f"• <#{cid}> · 09:00 UTC · compact · up to 10 · cs.CV · next: " in listing
        assert f"• <#{cid}> (weekly) · every Monday (the week's top) · 10:00 UTC" in listing

        while clock.now < datetime(2021, 3, 16, 0, 0, tzinfo=UTC):
            await bot.scheduler.tick()
            clock.advance(minutes=30)
        assert (await bot.scheduler.tick()).due == 0

    head = "**🔥 Hot Papers {} · cs.CV** · 5 papers · source: hotpapers-md"
    week = "**🔥 Hot Papers of the week {} – {}** · 10 papers · source: hotpapers-md"
    # in posting order: Monday 09:00 the daily digest, 10:00 the week's top; each once
    assert titles(sandbox, cid) == [
        head.format("2021-03-07"),
        week.format("2021-03-01", "2021-03-07"),
        *(head.format(f"2021-03-{d:02d}") for d in range(8, 15)),
        week.format("2021-03-08", "2021-03-14"),
    ]
    # the ledger: one row per (subscription, period), keyed by the period's key day
    days = await ledger(store, cid, "daily")
    assert [p.day for p in days] == [date(2021, 3, d) for d in range(7, 15)]
    assert all(len(p.arxiv_ids) == 5 for p in days)  # the sample's five cs.CV papers
    weeks = await ledger(store, cid, "weekly")
    assert [(p.day, p.status) for p in weeks] == [
        (date(2021, 3, 7), "sent"),
        (date(2021, 3, 14), "sent"),
    ]
    # the weekly digest is the week merged: papers of the whole week, not only cs.CV's
    assert len(weeks[0].arxiv_ids) == 10
    nonces = [m["nonce"] for m in posts_in(sandbox, cid)]
    assert len(nonces) == len(set(nonces))  # two digests of one day never share a nonce


async def test_a_paused_digest_skips_its_days_and_resumes_without_back_posting(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await store_days(store, date(2021, 3, 8), 7)
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 3, 10, 8, 0, tzinfo=UTC))
    config = make_config(schedule={"catch_up_hours": 12})
    async with running_app(sandbox, store, clock, config=config) as bot:
        await invoke(sandbox, "digest subscribe", channel=cid, time="09:00")
        await bot.scheduler.tick()
        paused = await invoke(sandbox, "digest pause", channel=cid)
        assert paused == (
            f"Paused <#{cid}>: nothing is posted until /digest resume, and the days in between "
            "are skipped (not posted late)."
        )
        again = await invoke(sandbox, "digest pause", channel=cid)
        assert again == f"<#{cid}> is already paused. /digest resume starts it again."
        assert "**paused** (/digest resume)" in await invoke(sandbox, "digest list")
        status = await invoke(sandbox, "digest status")
        assert f"• <#{cid}> · **paused** · " in status
        # 10 and 11 March pass paused (settling runs every tick's quarter hour)
        while clock.now < datetime(2021, 3, 11, 10, 0, tzinfo=UTC):
            clock.advance(minutes=30)
            assert (await bot.scheduler.tick()).due == 0
        # resumed at 10:00 on the 11th: that day's 09:00 slot, inside its catch-up window,
        # is not posted late; the next day's is posted on time
        resumed = await invoke(sandbox, "digest resume", channel=cid)
        assert resumed.startswith(f"Resumed <#{cid}>. Next post <t:"), resumed
        assert "(the digest of 2021-03-11)." in resumed
        assert (await bot.scheduler.tick()).due == 0
        while clock.now < datetime(2021, 3, 13, 0, 0, tzinfo=UTC):
            clock.advance(minutes=30)
            await bot.scheduler.tick()
        history = await invoke(sandbox, "history", days=5)
    assert titles(sandbox, cid) == [
        "**🔥 Hot Papers 2021-03-11** · 10 papers · source: hotpapers-md"
    ]
    # no missed or failed rows for the paused days: they were skipped, not lost
    assert [(p.day, p.status) for p in await ledger(store, cid, "daily")] == [
        (date(2021, 3, 11), "sent")
    ]
    assert "2021-03-10 · paused — not posted while the digest was paused" in history
    assert "2021-03-09 · paused — not posted while the digest was paused" in history


async def test_commands_about_one_digest_need_its_name_when_a_channel_has_several(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    async with running_app(sandbox, store, clock):
        await invoke(sandbox, "digest subscribe", channel=cid)
        await invoke(sandbox, "digest subscribe", channel=cid, name="CV-Weekly", cadence="weekly")
        which = f"<#{cid}> has 2 digests (cv-weekly, daily): say which with the name option."
        for command in ("digest pause", "digest resume", "digest unsubscribe", "digest post-now"):
            assert await invoke(sandbox, command, channel=cid) == which, command
        unknown = await invoke(sandbox, "digest pause", channel=cid, name="monthly")
        assert unknown == (
            f"<#{cid}> has no digest named monthly. /digest subscribe sets one up; "
            "/digest list shows this server's."
        )
        choices = await sandbox.control.autocomplete(
            "digest pause", {"channel": cid, "name": "cv"}, "name", permissions=MANAGE_GUILD
        )
        assert choices.choices == [{"name": "cv-weekly", "value": "cv-weekly"}]
        gone = await invoke(sandbox, "digest unsubscribe", channel=cid, name="cv-weekly")
        assert gone == (
            f"Unsubscribed <#{cid}> (cv-weekly): that digest posts no more (what it posted stays)."
        )
        # one digest left: the name may be left out again
        assert (await invoke(sandbox, "digest pause", channel=cid)).startswith("Paused")
        bad = await invoke(sandbox, "digest subscribe", channel=cid, weekday=4)
        assert bad == "weekday is for a weekly digest: add cadence:weekly."


async def test_a_channel_holds_at_most_ten_digests(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    async with running_app(sandbox, store, clock):
        for i in range(10):
            await invoke(sandbox, "digest subscribe", channel=cid, name=f"d{i}")
        refused = await invoke(sandbox, "digest subscribe", channel=cid, name="eleventh")
        assert refused.startswith(f"<#{cid}> already has 10 digests (d0, d1, d2,"), refused
        assert refused.endswith(
            "the most a channel may hold. Change one (same name) or unsubscribe one first."
        )
        # the same name still updates one
        updated = await invoke(sandbox, "digest subscribe", channel=cid, name="d3", time="07:00")
        assert updated.startswith(f"Updated <#{cid}> (d3): every day at 07:00 UTC.")
    assert len(await store.list_subscriptions(channel_id=cid)) == 10


async def test_the_contract_options_are_stored_and_echoed(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    role = sandbox.state.add_role(guild.id, "cv-fans", 0)
    # self_roles needs the bot to hold Manage Roles above the role (bot.services.roles).
    own = await sandbox.control.add_role(guild.id, "HotPapers", 1 << 28)
    await sandbox.control.give_role(guild.id, sandbox.state.bot_user.id, own.id)
    async with running_app(sandbox, store, clock):
        text = await invoke(
            sandbox,
            "digest subscribe",
            channel=cid,
            role=role.id,
            ping="score",
            ping_min_score=7.5,
            self_roles=True,
            late_risers=5,
            server_votes=True,
        )
        assert (
            f" · pings <@&{role.id}> at score ≥ 7.5 · role button · late risers: top 5 · "
            "server votes count · next: "
        ) in text
        sub = await store.find_subscription(cid, "daily")
        assert sub is not None
        assert (sub.role_id, sub.ping, sub.ping_min_score, sub.self_roles) == (
            role.id,
            "score",
            7.5,
            True,
        )
        assert (sub.late_risers, sub.server_votes) == (5, True)
        nope = await invoke(sandbox, "digest subscribe", channel=cid, name="x", ping="always")
        assert nope == "ping and self_roles need a role: add the role option."
        everyone = await invoke(sandbox, "digest subscribe", channel=cid, role=guild.id)
        assert everyone == "Pick a role other than the server's everyone role."


async def test_a_monthly_and_a_weekdays_digest_post_on_their_days_only(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    await store_days(store, date(2021, 2, 1), 35)  # 1 February … 7 March 2021
    guild = await sandbox.control.add_guild("Lab", channels=["papers"])
    cid = by_name(guild)["papers"]
    clock.set(datetime(2021, 2, 26, 8, 0, tzinfo=UTC))  # a Friday
    async with running_app(sandbox, store, clock) as bot:
        monthly = await invoke(
            sandbox, "digest subscribe", channel=cid, name="month", cadence="monthly"
        )
        assert monthly.startswith(
            f"Subscribed <#{cid}> (month): on the 1st (the month's top) at 09:00 UTC. Next "
            "post <t:1614589200:f> (the digest of February 2021)."
        ), monthly
        await invoke(
            sandbox, "digest subscribe", channel=cid, name="work", cadence="weekdays", time="10:00"
        )
        while clock.now < datetime(2021, 3, 6, 0, 0, tzinfo=UTC):
            await bot.scheduler.tick()
            clock.advance(minutes=30)
    work = [(p.day, p.status) for p in await ledger(store, cid, "work")]
    # Friday 26 Feb, then Monday 1 … Friday 5 March: the digests of the day before each
    assert [d for d, _ in work] == [
        date(2021, 2, 25),
        date(2021, 2, 28),
        date(2021, 3, 1),
        date(2021, 3, 2),
        date(2021, 3, 3),
        date(2021, 3, 4),
    ]
    month = await ledger(store, cid, "month")
    assert [(p.day, p.status) for p in month] == [(date(2021, 2, 28), "sent")]
    assert (
        titles(sandbox, cid).count(
            "**🔥 Hot Papers of February 2021** · 10 papers · source: hotpapers-md"
        )
        == 1
    )
