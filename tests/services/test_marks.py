"""`MarksService` (the 🔖/👍 buttons and `/saved`) and `FavouritesService` (`/hot
scope:server`) with plain data: exact answers, votes once, forged ids refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.favourites import FavouritesService
from bot.services.marks import NO_SERVER, NOT_OURS, MarksService
from bot.services.papers import PapersService
from bot.store.base import Store
from tests.services.conftest import GUILD, NOW

PAPERS = sample_digest().papers
A, B = PAPERS[0], PAPERS[1]


@pytest.fixture
def marks(store: Store, clock: ManualClock) -> MarksService:
    return MarksService(store, clock=clock)


async def test_a_vote_is_stored_once_however_often_it_is_clicked(
    marks: MarksService, store: Store
) -> None:
    first = await marks.click(f"hp:vote:{A.arxiv_id}", user_id=1, guild_id=GUILD)
    assert first["content"] == (
        f"👍 Voted for **{A.title}** (arXiv:{A.arxiv_id}): 1 vote in this server now."
    )
    for _ in range(5):
        again = await marks.click(f"hp:vote:{A.arxiv_id}", user_id=1, guild_id=GUILD)
        assert again["content"].startswith("👍 You already voted for this paper")
    assert await store.vote_counts(GUILD, [A.arxiv_id]) == {A.arxiv_id: 1}
    assert again["components"][0]["components"][0]["custom_id"] == f"hp:unvote:{A.arxiv_id}"
    out = await marks.click(f"hp:unvote:{A.arxiv_id}", user_id=1, guild_id=GUILD)
    assert out == {
        "content": f"Your vote for arXiv:{A.arxiv_id} is withdrawn (0 votes in this server)."
    }
    assert await store.vote_counts(GUILD, [A.arxiv_id]) == {}


async def test_a_dm_saves_but_has_nothing_to_vote_in(marks: MarksService) -> None:
    saved = await marks.click(f"hp:save:{A.arxiv_id}", user_id=1, guild_id=None)
    assert saved["content"].startswith("🔖 Saved")
    with pytest.raises(UserInputError) as caught:
        await marks.click(f"hp:vote:{A.arxiv_id}", user_id=1, guild_id=None)
    assert str(caught.value) == NO_SERVER


@pytest.mark.parametrize(
    ("custom_id", "values"),
    [
        ("hp:save:not an id", None),
        ("hp:save", None),  # a select without its pick
        ("hp:save", ["a", "b"]),  # two picks: the selects allow one
        ("hp:vote", ["<@everyone>"]),
        ("hp:vote:" + "1" * 92, None),
        ("garbage", None),
    ],
)
async def test_forged_clicks_are_refused_with_one_sentence(
    marks: MarksService, store: Store, custom_id: str, values: list[str] | None
) -> None:
    with pytest.raises(UserInputError) as caught:
        await marks.click(custom_id, user_id=1, guild_id=GUILD, values=values)
    assert str(caught.value) == NOT_OURS
    assert await store.count_saved(1) == 0


async def test_saved_lists_newest_first_with_a_remove_menu(
    marks: MarksService, clock: ManualClock
) -> None:
    empty = await marks.saved(1)
    assert "Your list is empty" in str(empty["content"]) and "components" not in empty
    await marks.click(f"hp:save:{A.arxiv_id}", user_id=1, guild_id=GUILD)
    clock.advance(timedelta(hours=1))
    await marks.click("hp:save", user_id=1, guild_id=None, values=[B.arxiv_id])
    listed = await marks.saved(1)
    (embed,) = listed["embeds"]
    later = int((NOW + timedelta(hours=1)).timestamp())
    assert embed["description"].split("\n")[0] == (
        f"**1.** [{B.title}](https://arxiv.org/abs/{B.arxiv_id}) · saved <t:{later}:d>"
    )
    (menu,) = listed["components"][0]["components"]
    assert [o["value"] for o in menu["options"]] == [B.arxiv_id, A.arxiv_id]
    assert await marks.saved(2) == empty  # another member's list is their own


async def test_server_favourites_rank_by_votes_and_say_why_when_empty(
    store: Store, digests: DigestService, clock: ManualClock
) -> None:
    papers = PapersService(store, digests, clock=clock)
    favourites = FavouritesService(store, digests)
    request = papers.hot_request(None, "2021-03-12", "day", 2)
    (none,) = await favourites.server_hot(request, GUILD)
    assert none["content"] == (
        "No one in this server has voted for a paper of Hot Papers 2021-03-12 (all "
        "categories) yet: vote with the 👍 button under a digest post."
    )
    for user, paper in ((1, B), (2, B), (1, PAPERS[5]), (1, A)):
        await store.add_vote(GUILD, paper.arxiv_id, user)
    await store.add_vote(GUILD + 1, A.arxiv_id, 9)  # another server's vote counts there only
    (listed,) = await favourites.server_hot(request, GUILD)
    lines = listed["embeds"][0]["description"].split("\n")
    assert lines[0].startswith(f"**1.** [{B.title}]") and lines[1].endswith("👍 2 in this server")
    assert lines[2].startswith(f"**2.** [{A.title}]") and len(lines) == 4  # limit 2; A outranks
    with pytest.raises(UserInputError, match="use it in a server"):
        await favourites.server_hot(request, None)
