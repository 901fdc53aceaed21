# ruff: noqa: F811 - the conftest fixtures are imported and used by name
"""Attacks on what members are told and on bounded member work (issue 11 items 5 and 7),
through the sandbox with the real bot: hostile option values, a stalled upstream, a moderator's
`post-now date:`. Each test states the promised behaviour in its docstring."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import httpx
import pytest

from bot.cli.preview import sample_digest
from bot.render import ZWSP
from bot.sources.base import SourceFactory
from bot.store import open_store
from bot.store.base import Store
from sandbox.app import Sandbox
from tests.app.conftest import (  # noqa: F401 - the fixtures, used by name
    MANAGE_GUILD,
    FakeClock,
    clock,
    make_config,
    running_app,
    sandbox,
    store,
)

MASKED = "[click me](https://evil.example/steal)"


def _inert(text: str) -> bool:
    """Whether `text` shows no live masked link: the `](` of a link is escaped or broken."""
    return "](" not in text or "\\](" in text or f"]{ZWSP}(" in text


# --- user text quoted in replies ---


@pytest.mark.parametrize(
    "given",
    ["it's\n\\x", "evil\u202eyrrab", "../../etc/passwd"],
    ids=["quote-newline-backslash", "rtl-override", "path"],
)
async def test_paper_bad_id_reply_is_not_a_python_repr(
    sandbox: Sandbox, store: Store, clock: FakeClock, given: str
) -> None:
    """`/paper id:<not an id>` says what is accepted and quotes the input inert (as `/hot
    date:` does: inside `code`, cleaned), never as a Python repr: no `'…'`/`"…"` string
    literal, no `\\n`, `\\\\` or `\\u202e` escapes. Today `parse_arxiv_id` builds the message
    with `{text!r}` and `views.parse_paper_id` shows it verbatim."""
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke("paper", {"id": given})
    assert r.status == "answered" and r.ephemeral, r.content
    assert r.content.startswith("Not an arXiv id"), r.content
    assert repr(given) not in r.content, r.content
    assert "\\n" not in r.content and "\\u202e" not in r.content and "\\\\" not in r.content


async def test_paper_bad_id_reply_shows_no_live_masked_link(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """A member's own text echoed back must not render as a masked link (a phishing link
    in the bot's voice, even privately): `/paper id:[click me](https://evil…)` quotes it
    inert. Today the raw text is inside `'…'` and Discord renders the link."""
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke("paper", {"id": MASKED})
    assert r.status == "answered" and r.ephemeral, r.content
    assert _inert(r.content), r.content


async def test_unknown_category_reply_shows_no_live_masked_link(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """`/hot category:[clickme](https://evil…)` (no space: one item) names the unknown
    category inert (in code or escaped). Today `filters.parse_categories` quotes it as
    `'…'` and the reply renders a masked link in the bot's voice."""
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke("hot", {"category": MASKED.replace(" ", "")})
    assert r.status == "answered" and r.ephemeral, r.content
    assert r.content.startswith("Unknown arXiv category"), r.content
    assert _inert(r.content), r.content


@pytest.mark.parametrize(
    ("option", "given"),
    [("time", "it's\n"), ("timezone", "it's\u202e"), ("time", MASKED), ("timezone", MASKED)],
    ids=["time-repr", "zone-repr", "time-link", "zone-link"],
)
async def test_subscribe_bad_time_or_zone_is_quoted_inert_not_as_a_repr(
    sandbox: Sandbox, store: Store, clock: FakeClock, option: str, given: str
) -> None:
    """`/digest subscribe time:`/`timezone:` with a bad value quotes it the way `/hot date:`
    does (cleaned, inside `code`): no Python string literal with `\\n`/`\\u202e` escapes, no
    live masked link. Today cogs/digest.py `subscribe` shows `str(ValueError)` from
    `parse_hhmm`/`get_zone`, which quote the input with `!r`."""
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    general = next(c.id for c in guild.channels.values())
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke(
            "digest subscribe", {"channel": general, option: given}, permissions=MANAGE_GUILD
        )
    assert r.status == "answered" and r.ephemeral, r.content
    assert "is not a" in r.content, r.content
    assert repr(given) not in r.content, r.content
    assert "\\n" not in r.content and "\\u202e" not in r.content, r.content
    assert _inert(r.content), r.content


# --- bounded member work ---


class Upstream:
    """A MockTransport upstream: arXiv stalls until released; the posts host has no post (404).
    Counts requests per host."""

    def __init__(self) -> None:
        self.asked: dict[str, int] = {}
        self.arxiv_waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.asked[host] = self.asked.get(host, 0) + 1
        if "arxiv" in host:
            self.arxiv_waiting.set()
            await self.release.wait()
            return httpx.Response(503)
        return httpx.Response(404)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[Upstream, dict[str, object]]]:
    up = Upstream()
    config = make_config(
        sources={
            "hotpapers-md": {"url_template": "https://posts.example/{date}.md"},
            "max_retries": 0,
            "member_requests_waiting": 1,
        }
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(up)) as client:
        yield up, {"config": config, "factory": SourceFactory(config.sources, client)}
        up.release.set()


@pytest.fixture
async def empty_store(tmp_path: Path) -> AsyncIterator[Store]:
    async with open_store(tmp_path / "empty.sqlite3") as s:
        await s.save_digest(sample_digest(), final=True)
        yield s


async def test_a_stalled_arxiv_lookup_does_not_make_hot_busy_in_the_name_of_another_source(
    sandbox: Sandbox,
    empty_store: Store,
    clock: FakeClock,
    upstream: tuple[Upstream, dict[str, object]],
) -> None:
    """One member's `/paper` waiting on arXiv must not refuse another member's `/hot` on a
    different source, and above all not by blaming that source: with the budget full of arXiv
    lookups, `/hot date:` (the Hot Papers posts) answers from its own source (here: it has no
    post that day). Today `DigestService._member_fetches` is one counter for every source, so
    the `/hot` gets "The Hot Papers posts is busy with other requests" and its source is never
    asked (digests.py `_member_budget`)."""
    up, options = upstream
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    alice = await sandbox.control.add_member(guild.id, "alice")
    bob = await sandbox.control.add_member(guild.id, "bob")
    async with running_app(sandbox, empty_store, clock, **options):  # type: ignore[arg-type]
        paper = asyncio.create_task(
            sandbox.control.invoke("paper", {"id": "2101.00001"}, user_id=alice.user.id, timeout=30)
        )
        await asyncio.wait_for(up.arxiv_waiting.wait(), 10)
        r = await sandbox.control.invoke("hot", {"date": "2021-03-11"}, user_id=bob.user.id)
        up.release.set()
        await paper
    assert r.status == "answered" and r.ephemeral, r.content
    assert "busy" not in r.content, r.content
    assert up.asked.get("posts.example", 0) == 1, up.asked


async def _subscribed(sandbox: Sandbox, guild_id: int) -> int:
    general = next(c.id for c in sandbox.state.guilds[guild_id].channels.values())
    r = await sandbox.control.invoke(
        "digest subscribe", {"channel": general}, permissions=MANAGE_GUILD
    )
    assert r.status == "answered" and r.ephemeral, r.content
    return general


async def test_post_now_date_older_than_the_horizon_is_not_fetched(
    sandbox: Sandbox,
    empty_store: Store,
    clock: FakeClock,
    upstream: tuple[Upstream, dict[str, object]],
) -> None:
    """`/digest post-now date:` is member work too (digests.py's docstring names it): a day
    older than `sources.fetch_horizon_days` (14) that is not stored is a clear "not kept here"
    reply, and upstream is not asked. Today `post_now` calls `DigestService.get` (the
    scheduler's path: no horizon, no negative cache, no member budget, scheduler priority),
    so a moderator can make the bot fetch any day back to 1991."""
    up, options = upstream
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, empty_store, clock, **options):  # type: ignore[arg-type]
        channel_id = await _subscribed(sandbox, guild.id)
        r = await sandbox.control.invoke(
            "digest post-now",
            {"channel": channel_id, "date": "2020-01-15"},
            permissions=MANAGE_GUILD,
        )
    assert r.status == "answered" and r.ephemeral, r.content
    assert up.asked.get("posts.example", 0) == 0, (up.asked, r.content)


async def test_post_now_of_a_day_upstream_lacks_is_remembered(
    sandbox: Sandbox,
    empty_store: Store,
    clock: FakeClock,
    upstream: tuple[Upstream, dict[str, object]],
) -> None:
    """A day the source answered it has no post for is remembered for
    `sources.negative_cache_minutes` for every member command: a second `/digest post-now
    date:` of that day (or a `/hot date:` after it) does not ask upstream again. Today
    `post_now` bypasses `DigestService.ensure_for_member`, so every call asks again."""
    up, options = upstream
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, empty_store, clock, **options):  # type: ignore[arg-type]
        channel_id = await _subscribed(sandbox, guild.id)
        replies = [
            await sandbox.control.invoke(
                "digest post-now",
                {"channel": channel_id, "date": "2021-03-11"},
                permissions=MANAGE_GUILD,
            )
            for _ in range(3)
        ]
        hot = await sandbox.control.invoke("hot", {"date": "2021-03-11"})
    assert all(r.status == "answered" and r.ephemeral for r in replies)
    assert hot.status == "answered" and hot.ephemeral, hot.content
    assert up.asked.get("posts.example", 0) == 1, (up.asked, [r.content for r in replies])


# --- replies within Discord's limits ---


async def test_hot_none_match_with_a_long_category_list_fits_and_answers(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """`/hot category:` excluding every category (1,601 characters, well inside Discord's
    6,000 for an option) leaves no paper: the reply says so within 2,000 characters (the
    filter summarised or cut), privately or publicly but answered. Today the "None of the N
    hot papers of … match …" text (cogs/papers.py, `hot`) is not cut: `flt.describe()` lists
    all 155 exclusions (2,220 characters), Discord refuses the message, and the member gets
    the generic apology instead."""
    from bot.taxonomy import load

    every = ",".join(f"-{c}" for c in load().categories)
    assert len(every) < 6000
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock):
        r = await sandbox.control.invoke("hot", {"date": "2021-03-12", "category": every})
    assert r.status == "answered", r.status
    assert r.content.startswith("None of the"), r.content
    assert len(r.content) <= 2000


@pytest.fixture
async def long_title_store(tmp_path: Path) -> AsyncIterator[Store]:
    """The sample day, retitled with 3,000 characters of markdown (a hostile or broken post)."""
    async with open_store(tmp_path / "long.sqlite3") as s:
        title = "**bold** [x](https://evil.example) " * 90
        await s.save_digest(sample_digest().model_copy(update={"title": title}), final=True)
        yield s


async def test_preview_nothing_would_be_posted_fits_with_a_long_digest_title(
    sandbox: Sandbox, long_title_store: Store, clock: FakeClock
) -> None:
    """`/digest preview` of a channel whose filters remove every paper (post_empty off) says
    "Nothing would be posted for … : this channel's filters removed all N papers" within
    2,000 characters, whatever the digest's title. Today cogs/digest.py `preview` puts the
    whole escaped title (here ~3,800 characters) in the reply, Discord refuses it, and the
    moderator reads the generic apology instead of why nothing would be posted."""
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, long_title_store, clock):
        general = next(c.id for c in guild.channels.values())
        r = await sandbox.control.invoke(
            "digest subscribe",
            {"channel": general, "categories": "math.AG", "post_empty": False},
            permissions=MANAGE_GUILD,
        )
        assert r.status == "answered" and r.ephemeral, r.content
        r = await sandbox.control.invoke(
            "digest preview", {"channel": general}, permissions=MANAGE_GUILD
        )
    assert r.status == "answered" and r.ephemeral, r.status
    assert r.content.startswith("Nothing would be posted"), r.content[:300]
    assert "filters removed all" in r.content and len(r.content) <= 2000


# --- deadlines on member work ---


async def test_a_members_hot_fetch_has_a_deadline_for_the_whole_day_not_per_request(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> None:
    """Fetching one (source, day) is a unit of work with its own deadline (issue 11 item 1;
    `schedule.fetch_deadline_seconds` for the scheduler's fetch): a member's `/hot date:` that
    fetches the day is bounded the same way, and then says which source did not answer.

    Here Hugging Face answers every page in time (0.3 s, inside the 5 s request deadline) but
    every page is full, so the day takes 20 pages (`hf.MAX_PAGES`); the day's deadline is 1 s.
    Expected: the fetch gives up after a few pages. Today the member path (`DigestService.
    ensure_for_member` -> `cache.ensure_digest`) has no deadline of its own, only each request
    has one: all 20 pages are fetched (with defaults: 20 x 30 s of hf pages, then arXiv
    batches, past Discord's 15-minute interaction token, and the member is never told)."""
    asked: list[str] = []

    async def slow_full_pages(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("p", "0"))
        asked.append(request.url.path)
        await asyncio.sleep(0.3)
        item = {
            "title": f"Paper {page}",
            "paper": {"id": f"2103.{page + 1:05d}", "title": f"Paper {page}", "upvotes": 1},
        }
        return httpx.Response(200, json=[item])

    config = make_config(
        sources={
            "default": "hf",
            "hf": {"base_url": "https://hf.example", "page_size": 1},
            "request_deadline_seconds": 5,
            "max_retries": 0,
        },
        schedule={"fetch_deadline_seconds": 1},
    )
    await sandbox.control.add_guild("Lab", channels=["general"])
    async with httpx.AsyncClient(transport=httpx.MockTransport(slow_full_pages)) as client:
        factory = SourceFactory(config.sources, client)
        async with running_app(sandbox, store, clock, config=config, factory=factory):
            r = await sandbox.control.invoke("hot", {"date": "2021-03-12"}, timeout=60)
    assert r.status == "answered", r.status
    assert len(asked) < 10, f"{len(asked)} pages fetched for one member's /hot"


# --- an error after a public defer ---


class _Response:
    type = discord.InteractionResponseType.deferred_channel_message

    def is_done(self) -> bool:
        return True


class _Followup:
    def __init__(self, sent: list[tuple[str, object]]) -> None:
        self.sent = sent

    async def send(self, text: str, **kwargs: object) -> None:
        self.sent.append(("followup", text))


class _PublicDeferred:
    """An interaction `/hot` deferred publicly ("HotPapers is thinking…" in the channel)
    whose `@original` cannot be deleted (Discord answered 500)."""

    def __init__(self) -> None:
        self.extras: dict[str, object] = {"deferred_ephemeral": False}
        self.response = _Response()
        self.sent: list[tuple[str, object]] = []
        self.followup = _Followup(self.sent)

    async def delete_original_response(self) -> None:
        raise discord.HTTPException(_FakeHttp(500), "Internal Server Error")

    async def edit_original_response(self, **kwargs: object) -> None:
        self.sent.append(("edit", kwargs.get("content")))


class _FakeHttp:
    def __init__(self, status: int) -> None:
        self.status, self.reason = status, "boom"


async def test_an_error_after_a_public_defer_stays_private_when_the_delete_fails() -> None:
    """`replies.answer` says why it deletes the public "thinking…" message first: Discord
    gives the first follow-up after a defer the defer's visibility. So when that delete
    fails, the error text must not be sent as that first follow-up (it would show in the
    channel): the public message may be edited to a neutral line ("Could not answer; you
    were told privately" or similar, with no error text), or the error kept for a later
    private follow-up. Today `answer` logs the failed delete and sends the error text as
    the first follow-up anyway (bot/app/replies.py, `answer`)."""
    from bot.app.replies import answer

    interaction = _PublicDeferred()
    secret = "The Hot Papers posts cannot be reached right now. Please try again later."
    await answer(interaction, secret, ephemeral=True)  # type: ignore[arg-type]
    first = interaction.sent[0] if interaction.sent else None
    assert first is not None, "the member was told nothing"
    assert not (first[0] == "followup" and first[1] == secret), interaction.sent
