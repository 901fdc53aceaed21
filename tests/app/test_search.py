"""`/search` and `/paper`'s autocomplete end to end: the real bot over the sandbox, the bundled
sample day in a real SQLite store (its search index filled by the store's own triggers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app.bot import HotPapersBot
from bot.errors import StoreError
from bot.store.base import Store
from sandbox.app import Sandbox
from sandbox.interactions import OptionError
from sandbox.state import Guild
from tests.app.conftest import FakeClock, running_app

FOOTER = {
    "text": "Words in the title first, then the authors, then the abstract; then by score"
    " · /paper <id> for details"
}
AUDIO = [
    "**1.** [Multi-Format Contrastive Learning of Audio Representations]"
    "(https://arxiv.org/abs/2103.06508)",
    "Luyu Wang, Aaron van den Oord · `cs.SD` `cs.LG` `eess.AS` · 2021-03-12 · score 722",
    "**2.** [BYOL for Audio: Self-Supervised Learning for General-Purpose Audio Representation]"
    "(https://arxiv.org/abs/2103.06695)",
    "Daisuke Niizumi, Daiki Takeuchi, Yasunori Ohishi +2 · `eess.AS` `cs.LG` `cs.SD`"
    " · 2021-03-12 · score 356",
]


@pytest.fixture
async def world(
    sandbox: Sandbox, store: Store, clock: FakeClock
) -> AsyncIterator[tuple[Sandbox, Guild, HotPapersBot]]:
    guild = await sandbox.control.add_guild("Lab", channels=["general"])
    async with running_app(sandbox, store, clock) as bot:
        yield sandbox, guild, bot


def reply(r: Any) -> dict[str, Any]:
    """The one message a member sees, as Discord stores it (the keys a member reads)."""
    assert r.status == "answered" and len(r.messages) == 1
    m = r.messages[0]
    return {k: m[k] for k in ("content", "embeds", "flags", "allowed_mentions") if k in m}


def embed(lines: list[str]) -> dict[str, Any]:
    description = "\n".join(lines)
    return {"type": "rich", "description": description, "color": 0xB31B1B, "footer": FOOTER}


def without_flags(embeds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k != "flags"} for e in embeds]


async def test_a_search_answers_at_once_publicly_with_linked_titles_day_and_score(
    world: Any,
) -> None:
    sandbox, _, _ = world
    r = await sandbox.control.invoke("search", {"query": "audio"})
    assert r.response_type == 4 and not r.ephemeral  # answered, not deferred
    seen = reply(r)
    assert seen["content"] == "**🔎 2 papers** matching `audio`"
    assert without_flags(seen["embeds"]) == [embed(AUDIO)]
    assert seen["allowed_mentions"] == {"parse": []} and seen["flags"] == 0


async def test_title_hits_come_before_author_and_abstract_hits(world: Any) -> None:
    sandbox, _, _ = world
    r = await sandbox.control.invoke("search", {"query": "garg", "category": "cs"})
    assert reply(r)["content"] == "**🔎 1 paper** matching `garg` in cs"
    assert without_flags(r.embeds)[0]["description"] == (
        "**1.** [S4RL: Surprisingly Simple Self-Supervision for Offline Reinforcement Learning]"
        "(https://arxiv.org/abs/2103.06326)\n"
        "Samarth Sinha, Animesh Garg · `cs.LG` · 2021-03-12 · score 709"
    )
    r = await sandbox.control.invoke("search", {"query": "Audio represent", "category": "eess.AS"})
    assert without_flags(r.embeds) == [embed(AUDIO)]  # the last word is a prefix


async def test_filters_that_leave_nothing_say_so_plainly(world: Any) -> None:
    sandbox, _, _ = world
    cases = [
        ({"query": "zebra"}, "No stored paper matches `zebra`."),
        ({"query": "audio", "category": "cs.CV"}, "No stored paper matches `audio` in cs.CV."),
        (
            {"query": "audio", "since": "2021-03-13", "until": "2021-03-14"},
            "No stored paper matches `audio`, listed from 2021-03-13 to 2021-03-14.",
        ),
        (
            {"query": "audio", "until": "2021-03-11"},
            "No stored paper matches `audio`, listed on or before 2021-03-11.",
        ),
    ]
    for options, text in cases:
        r = await sandbox.control.invoke("search", options)
        assert reply(r) == {
            "content": text,
            "embeds": [],
            "flags": 0,
            "allowed_mentions": {"parse": []},
        }
    r = await sandbox.control.invoke("search", {"query": "audio", "since": "2021-03-12"})
    assert reply(r)["content"] == "**🔎 2 papers** matching `audio`, listed on or after 2021-03-12"


@pytest.mark.parametrize(
    ("options", "text"),
    [
        (
            {"query": "   "},
            "Type a few words to search for, e.g. `diffusion transformer` or an author's name.",
        ),
        (
            {"query": '"*(:)"'},
            '`"*(:)"` has no words to search for (letters or digits), e.g. `diffusion '
            "transformer` or an author's name.",
        ),
        (
            {"query": "audio", "since": "2021-03-12", "until": "2021-03-01"},
            "since (2021-03-12) is after until (2021-03-01): give the earlier day as since.",
        ),
        (
            {"query": "audio", "since": "12/03/2021"},
            "`12/03/2021` is not a date: use YYYY-MM-DD, e.g. 2021-03-12.",
        ),
        (
            {"query": "audio", "until": "1066-10-14"},
            "1066-10-14 is outside arXiv's life: pick a day from 1991-08-14 to 2021-03-14.",
        ),
        (
            {"query": "audio", "category": "cs.XYZ"},
            "Unknown arXiv category `cs.XYZ`. Did you mean cs.SY, cs.CY? Use ids such as cs.CV, "
            "stat.ML or a whole archive such as cs; prefix with - to exclude (e.g. -cs.RO).",
        ),
        (
            {"query": "audio", "category": "-cs.RO"},
            "/search keeps papers of the categories named; it cannot leave one out (-cs.RO). "
            "Name categories such as cs.CV, or an archive such as cs.",
        ),
    ],
)
async def test_bad_arguments_get_one_clear_private_sentence(
    world: Any, options: dict[str, str], text: str
) -> None:
    sandbox, _, _ = world
    r = await sandbox.control.invoke("search", options)
    assert r.ephemeral
    assert reply(r) == {
        "content": text,
        "embeds": [],
        "flags": 64,
        "allowed_mentions": {"parse": []},
    }


async def test_hostile_queries_are_words_and_never_ping(world: Any) -> None:
    sandbox, _, _ = world
    for query in [
        'audio" OR title:*',
        "NEAR(audio representations, 1)",
        "audio -- ); DROP TABLE papers; --",
        "\x00audio",
        "🔥 audio 🔥",
        "שלום audio",
        "a" * 200,
        "((((audio",
    ]:
        r = await sandbox.control.invoke("search", {"query": query})
        assert r.status == "answered", query
    r = await sandbox.control.invoke("search", {"query": "@everyone <@1> **audio**"})
    seen = reply(r)
    # Every word is required: "everyone" and "1" are in no paper. The query is shown inert.
    assert seen["content"] == "No stored paper matches `@\u200beveryone <\u200b@1> **audio**`."
    assert seen["allowed_mentions"] == {"parse": []}
    assert r.messages[0]["mentions"] == [] and not r.messages[0]["mention_everyone"]
    r = await sandbox.control.invoke("search", {"query": "audio " * 33})
    assert reply(r)["content"].startswith("**🔎 2 papers** matching `audio audio")
    with pytest.raises(OptionError):  # Discord's client holds the query to its max_length
        await sandbox.control.invoke("search", {"query": "a" * 201})


async def test_the_command_is_offered_everywhere_hot_is(world: Any) -> None:
    sandbox, _, _ = world
    synced = {c["name"]: c for c in sandbox.control.commands()}
    search, hot = synced["search"], synced["hot"]
    assert search["description"] == (
        "Find stored arXiv papers by words of their title, authors or abstract."
    )
    assert (search["contexts"], search["integration_types"]) == (
        hot["contexts"],
        hot["integration_types"],
    )
    query = next(o for o in search["options"] if o["name"] == "query")
    assert (query["required"], query["min_length"], query["max_length"]) == (True, 1, 200)
    paper = next(o for o in synced["paper"]["options"] if o["name"] == "id")
    assert paper["autocomplete"] is True


@pytest.mark.parametrize("context", ["dm", "private"])
async def test_search_works_in_dms_and_user_installs(world: Any, context: str) -> None:
    sandbox, guild, _ = world
    tester = next(m.user.id for m in guild.members.values() if m.user.username == "tester")
    sandbox.control.install_app(tester)  # a private channel is reached by a user install only
    r = await sandbox.control.invoke("search", {"query": "audio"}, context=context)
    assert r.status == "answered" and not r.ephemeral
    assert without_flags(r.embeds) == [embed(AUDIO)]


async def test_the_category_option_autocompletes_like_hot(world: Any) -> None:
    sandbox, _, _ = world
    r = await sandbox.control.autocomplete(
        "search", {"query": "x", "category": "vision"}, "category"
    )
    assert r.choices is not None
    assert r.choices[0] == {
        "name": "cs.CV — Computer Vision and Pattern Recognition",
        "value": "cs.CV",
    }


async def test_paper_autocompletes_titles_and_ids(world: Any) -> None:
    sandbox, _, _ = world
    r = await sandbox.control.autocomplete("paper", {"id": "audio rep"}, "id")
    assert r.choices == [
        {
            "name": "2103.06508 · Multi-Format Contrastive Learning of Audio Representations",
            "value": "2103.06508",
        },
        {
            "name": "2103.06695 · BYOL for Audio: Self-Supervised Learning for General-Purpose "
            "Audio Representation",
            "value": "2103.06695",
        },
    ]
    r = await sandbox.control.autocomplete("paper", {"id": "2103.068"}, "id")
    assert r.choices == [
        {"name": "2103.06877 · Fast and Accurate Model Scaling", "value": "2103.06877"},
        {
            "name": "2103.06874 · CANINE: Pre-training an Efficient Tokenization-Free Encoder "
            "for Language Representation",
            "value": "2103.06874",
        },
        {
            "name": "2103.06871 · SMPLicit: Topology-aware Generative Model for Clothed People",
            "value": "2103.06871",
        },
    ]
    # A whole id is offered as typed, stored or not: /paper takes any id, as before.
    r = await sandbox.control.autocomplete(
        "paper", {"id": "https://arxiv.org/abs/2501.00001v2"}, "id"
    )
    assert r.choices == [{"name": "2501.00001", "value": "2501.00001"}]
    r = await sandbox.control.autocomplete("paper", {"id": "2103.06874"}, "id")
    assert r.choices is not None and [c["value"] for c in r.choices] == ["2103.06874"]
    assert r.choices[0]["name"].startswith("2103.06874 · CANINE")
    r = await sandbox.control.autocomplete("paper", {"id": ""}, "id")
    assert r.choices == []
    picked = r.choices  # choosing a suggestion sends its value: the id
    r = await sandbox.control.invoke("paper", {"id": "2103.06508"})
    assert r.embeds[0]["url"] == "https://arxiv.org/abs/2103.06508" and picked == []


async def test_paper_autocomplete_survives_any_text_within_discords_limits(world: Any) -> None:
    sandbox, _, _ = world
    for text in ['"', "NEAR(", "title:*", "\x00", "🔥", "שלום", "x" * 100, "a", "-", "((("]:
        r = await sandbox.control.autocomplete("paper", {"id": text}, "id")
        assert r.status == "answered" and r.choices is not None, text
        assert len(r.choices) <= 25 and all(len(c["name"]) <= 100 for c in r.choices)
    r = await sandbox.control.autocomplete("paper", {"id": "learning"}, "id")
    assert r.choices is not None and len(r.choices) == 5
    assert all(0 < len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in r.choices)


async def test_a_store_fault_while_typing_offers_no_choices_and_no_error(
    world: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, _, _ = world

    async def failing(text: str, limit: int = 25) -> list[tuple[str, str]]:
        raise StoreError("disk I/O error")

    monkeypatch.setattr(store, "complete_papers", failing)
    r = await sandbox.control.autocomplete("paper", {"id": "2103.06874"}, "id")
    assert r.status == "answered"
    assert r.choices == [{"name": "2103.06874", "value": "2103.06874"}]  # as typed
    r = await sandbox.control.autocomplete("paper", {"id": "audio"}, "id")
    assert (r.status, r.choices) == ("answered", [])
