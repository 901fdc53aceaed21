"""The buttons on a post (`bot.components`): exact layouts, stable custom ids, and Discord's
component limits for any number of papers and extra buttons (checked by the sandbox's own
rules: the OpenAPI schema and components/reference.mdx)."""

from __future__ import annotations

import pytest

from bot.cli.preview import sample_digest
from bot.components import (
    Click,
    custom_id,
    ours,
    parse,
    post_components,
    remove_row,
    shown_entries,
    with_components,
)
from bot.render import render_digest
from sandbox.message_rules import message_rules
from sandbox.validation import validate_body

MESSAGES = "/channels/{channel_id}/messages"


def entries(n: int) -> list[tuple[int, str, str]]:
    return [(r, f"2103.{r:05d}", f"Paper number {r} " + "x" * 150) for r in range(1, n + 1)]


def role_button(k: int) -> dict[str, object]:
    return {"type": 2, "style": 1, "label": f"role {k}", "custom_id": f"hproles:{k}"}


def problems(rows: list[dict[str, object]]) -> list[str]:
    body = {"content": "x", "components": rows}
    found = validate_body("POST", MESSAGES, body) + message_rules(body)
    return [f"{p.path}: {p.message}" for p in found]


def test_few_papers_get_a_row_of_save_and_a_row_of_vote_buttons_by_rank() -> None:
    assert post_components(entries(2)) == [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "label": str(r),
                    "custom_id": f"hp:save:2103.{r:05d}",
                    "emoji": {"name": "🔖"},
                }
                for r in (1, 2)
            ],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 2,
                    "label": str(r),
                    "custom_id": f"hp:vote:2103.{r:05d}",
                    "emoji": {"name": "👍"},
                }
                for r in (1, 2)
            ],
        },
    ]


def test_one_paper_says_save_and_vote_and_a_dm_has_no_vote() -> None:
    (save, vote) = post_components(entries(1))
    assert [c["label"] for c in save["components"] + vote["components"]] == ["Save", "Vote"]
    (only,) = post_components(entries(3), votes=False)
    assert [c["custom_id"] for c in only["components"]] == [
        "hp:save:2103.00001",
        "hp:save:2103.00002",
        "hp:save:2103.00003",
    ]


def test_many_papers_get_one_select_per_kind_with_an_option_per_paper() -> None:
    save, vote = post_components(entries(7))
    (menu,) = save["components"]
    assert menu["custom_id"] == "hp:save" and menu["type"] == 3
    assert menu["placeholder"] == "🔖 Save a paper to your list…"
    assert menu["options"][0] == {
        "label": "1. Paper number 1 " + "x" * 81 + "…",
        "value": "2103.00001",
    }
    assert len(menu["options"][0]["label"]) == 100
    assert [o["value"] for o in menu["options"]] == [f"2103.{r:05d}" for r in range(1, 8)]
    assert vote["components"][0]["custom_id"] == "hp:vote"
    assert vote["components"][0]["placeholder"] == "👍 Vote for a paper in this server…"


def test_extra_buttons_come_last_and_the_papers_fit_in_the_rows_left() -> None:
    rows = post_components(entries(3), extra=[role_button(1)])
    assert [len(r["components"]) for r in rows] == [3, 3, 1]
    assert rows[-1]["components"] == [role_button(1)]
    full = post_components(entries(60), extra=[role_button(k) for k in range(6)])
    assert len(full) == 4  # a select of 25 per kind (the rest left out), 2 rows of extras
    assert [r["components"][0]["custom_id"] for r in full[:3]] == [
        "hp:save",
        "hp:vote",
        "hproles:0",
    ]


@pytest.mark.parametrize("n", [0, 1, 4, 5, 6, 10, 25, 26, 50, 51, 200])
@pytest.mark.parametrize("extra", [0, 1, 5, 6, 11, 25, 30])
@pytest.mark.parametrize("votes", [True, False])
def test_every_layout_is_within_discords_limits(n: int, extra: int, votes: bool) -> None:
    rows = post_components(entries(n), votes=votes, extra=[role_button(k) for k in range(extra)])
    assert problems(rows) == [] and len(rows) <= 5
    ids = [c.get("custom_id") for r in rows for c in r["components"]]
    assert all(len(i) <= 100 for i in ids if i)
    if n and extra <= 15:  # papers always get some room while 2 rows are free
        assert any(str(i).startswith("hp:save") for i in ids)
        assert any(str(i).startswith("hp:vote") for i in ids) == votes


def test_custom_ids_round_trip_and_forgeries_are_refused() -> None:
    for verb in ("save", "vote", "unsave", "unvote"):
        assert parse(custom_id(verb, "2103.06874")) == Click(verb, "2103.06874")
    assert parse("hp:save:hep-th/9901001") == Click("save", "hep-th/9901001")
    assert parse("hp:save") == Click("save") and parse("hp:vote/1") == Click("vote")
    for forged in (
        "hp:save:",
        "hp:save:../../etc",
        "hp:save:2103.06874:extra",
        "hp:save:<@everyone>",
        "hp:vote:" + "1" * 92,  # a 100-character id
        "hp:save:" + "a" * 200,
        "hp:saveX",
        "hp:save/0",
        "hp:delete:2103.06874",
        "hp:save:2103.06874\n",
    ):
        assert parse(forged) is None, forged
    assert ours("hp:save:anything") and ours("hp:unvote") and ours("hp:vote:" + "1" * 92)
    assert not ours("hproles:1") and not ours("hp:role:1") and not ours("hp:saved")


def test_the_private_answers_remove_button() -> None:
    assert remove_row(Click("vote", "2103.06874")) == [
        {
            "type": 1,
            "components": [
                {
                    "type": 2,
                    "style": 4,
                    "label": "Withdraw my vote",
                    "custom_id": "hp:unvote:2103.06874",
                }
            ],
        }
    ]
    assert remove_row(Click("save", "2103.06874"))[0]["components"][0]["custom_id"] == (
        "hp:unsave:2103.06874"
    )


def test_a_message_gets_rows_only_for_the_papers_it_shows() -> None:
    digest = sample_digest()
    (compact,) = render_digest(digest, "compact")
    shown = shown_entries(compact, digest.papers)
    assert [r for r, _, _ in shown] == list(range(1, len(digest.papers) + 1))
    header, first, *_ = render_digest(digest, "detailed")
    assert shown_entries(header, digest.papers) == []
    assert with_components(header, digest.papers, votes=True) == header
    ranks = [r for r, _, _ in shown_entries(first, digest.papers)]
    assert ranks == list(range(1, len(first["embeds"]) + 1))


def test_the_click_handler_claims_exactly_this_name_space() -> None:
    """The persistent handler (`bot.app.buttons.TEMPLATE`) answers every id of ours, forged
    ones too (newlines, 100 characters), and never another feature's (the 🔔 `hp:role:…`)."""
    from bot.app.buttons import TEMPLATE

    for text in (
        "hp:save:2103.06874",
        "hp:vote",
        "hp:unsave:x\ny",
        "hp:vote:" + "1" * 92,
        "hp:save!",
        "hp:role:12",
        "hp:saved",
        "hproles:1",
        "xhp:save:1",
    ):
        assert (TEMPLATE.fullmatch(text) is not None) == ours(text), text
