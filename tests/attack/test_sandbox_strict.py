"""Outside attacks on the sandbox's strictness: payloads Discord refuses must be refused here.

Raw HTTP (httpx) against a running sandbox; each case cites discord/discord-api-docs at commit
c98d64b (the commit sandbox/README.md cites). Where the docs are silent, the stricter reading.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sandbox.testing import SANDBOX_TOKEN, running_sandbox
from sandbox.validation import (
    CALLBACK_ROUTE,
    EPHEMERAL_FLAG,
    IS_COMPONENTS_V2,
    SUPPRESS_EMBEDS,
    SUPPRESS_NOTIFICATIONS,
    validate_body,
)


class Api:
    """One channel of a fresh sandbox, reached over plain HTTP."""

    def __init__(self, client: httpx.AsyncClient, channel: int) -> None:
        self.client, self.channel = client, channel

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(f"/channels/{self.channel}/messages", json=body)


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    # Rate limits off: every case here is about the body, not about how often it is sent.
    async with running_sandbox(token=SANDBOX_TOKEN, rate_limits=False) as sb:
        guild = await sb.control.add_guild("Lab", channels=["general"])
        headers = {"Authorization": f"Bot {SANDBOX_TOKEN}"}
        async with httpx.AsyncClient(base_url=sb.api_base, headers=headers) as client:
            yield Api(client, next(iter(guild.channels)))


def _leaf(errors: dict[str, Any], path: str) -> str:
    """The first error code at `path` or, where a union reports on the object, at its parent."""
    node = errors
    for part in path.split("."):
        if part not in node:
            break
        node = node[part]
    return str(node["_errors"][0]["code"])


def embed(**fields: Any) -> dict[str, Any]:
    return {"embeds": [{"title": "t", **fields}]}


# message.mdx:589 "Embed Footer Structure": `text` has no `?` (required); :579 author `name`;
# :549 image `url`, and the thumbnail's likewise. Discord answers BASE_TYPE_REQUIRED.
@pytest.mark.parametrize(
    ("body", "path"),
    [
        (embed(footer={}), "embeds.0.footer.text"),
        (embed(footer={"icon_url": "https://x.org/i.png"}), "embeds.0.footer.text"),
        (embed(footer={"text": None}), "embeds.0.footer.text"),
        (embed(author={"url": "https://x.org"}), "embeds.0.author.name"),
        (embed(author={"name": None}), "embeds.0.author.name"),
        (embed(image={}), "embeds.0.image.url"),
        (embed(thumbnail={"width": 5}), "embeds.0.thumbnail.url"),
    ],
)
async def test_an_embed_part_without_its_required_field_is_refused(
    api: Api, body: dict[str, Any], path: str
) -> None:
    r = await api.post(body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 50035
    assert _leaf(r.json()["errors"], path) in (
        "BASE_TYPE_REQUIRED",
        "BASE_TYPE_BAD_TYPE",
        "BASE_TYPE_INVALID",  # a null part: no branch of the union fits
    )


# message.mdx:598 field `name` and `value` are required strings; Discord refuses empty ones as
# missing ("This field is required"); the docs are silent on "", so the stricter reading.
@pytest.mark.parametrize(
    ("field", "path"),
    [
        ({"name": "", "value": "v"}, "embeds.0.fields.0.name"),
        ({"name": "n", "value": ""}, "embeds.0.fields.0.value"),
    ],
)
async def test_an_embed_field_with_an_empty_name_or_value_is_refused(
    api: Api, field: dict[str, Any], path: str
) -> None:
    r = await api.post(embed(fields=[field]))
    assert r.status_code == 400, r.text
    assert _leaf(r.json()["errors"], path) in ("BASE_TYPE_REQUIRED", "BASE_TYPE_MIN_LENGTH")


async def test_complete_embed_parts_still_pass(api: Api) -> None:
    r = await api.post(
        embed(
            footer={"text": "f"},
            author={"name": "a"},
            image={"url": "https://x.org/i.png"},
            thumbnail={"url": "https://x.org/t.png"},
            fields=[{"name": "n", "value": "v"}],
        )
    )
    assert r.status_code == 200, r.text


def button(custom_id: str | None = "c", style: int = 1, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": 2, "style": style, "label": "x", **more}
    if custom_id is not None:
        out["custom_id"] = custom_id
    return out


def row(*children: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(children)}


SELECT = {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]}


# components/reference.mdx: :2542 "Legacy messages allow up to 5 action rows as top-level
# components"; :94-95 a row holds up to 5 buttons *or* a single select; :185 "Link buttons
# must have a url, and cannot have a custom_id"; :187 premium buttons cannot have one either;
# :81 custom_id "must be unique per component. Multiple components on the same message must
# not share the same custom_id"; a non-link, non-premium button needs one (it is how the click
# is told apart: the stricter reading, and what Discord answers).
@pytest.mark.parametrize(
    "components",
    [
        pytest.param([row(button(f"c{i}")) for i in range(6)], id="six-rows"),
        pytest.param([row(SELECT, button("b"))], id="select-and-button"),
        pytest.param([row(SELECT, {**SELECT, "custom_id": "t"})], id="two-selects"),
        pytest.param([row(button(None))], id="button-without-custom-id"),
        pytest.param(
            [row(button("c", style=5, url="https://x.org"))], id="link-button-with-custom-id"
        ),
        pytest.param([row(button(None, style=5))], id="link-button-without-url"),
        pytest.param([row(button("c"), button("c"))], id="duplicate-custom-id-in-a-row"),
        pytest.param([row(button("c")), row(button("c"))], id="duplicate-custom-id-across-rows"),
    ],
)
async def test_components_discord_refuses_are_refused(
    api: Api, components: list[dict[str, Any]]
) -> None:
    r = await api.post({"content": "a", "components": components})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 50035
    assert "components" in r.json()["errors"]


async def test_well_formed_components_still_pass(api: Api) -> None:
    components = [
        row(*(button(f"b{i}") for i in range(4)), button(None, style=5, url="https://x.org")),
        row(SELECT),
        *(row(button(f"r{i}")) for i in range(3)),
    ]
    r = await api.post({"content": "a", "components": components})
    assert r.status_code == 200, r.text


# receiving-and-responding.mdx:304 "If you create a callback with the type
# DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE the only valid message flag you may use is EPHEMERAL".
# The callback route applies `validate_body`; an interaction needs a bot to answer it, so the
# rule is checked on the function the route calls.
@pytest.mark.parametrize("flags", [SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2])
def test_a_deferred_response_may_set_only_the_ephemeral_flag(flags: int) -> None:
    problems = validate_body(*CALLBACK_ROUTE, {"type": 5, "data": {"flags": flags}})
    assert [(p.path, p.code) for p in problems] == [(["data", "flags"], "MESSAGE_FLAGS_INVALID")]


def test_an_ephemeral_defer_and_a_flagged_message_response_still_pass() -> None:
    assert validate_body(*CALLBACK_ROUTE, {"type": 5, "data": {"flags": EPHEMERAL_FLAG}}) == []
    assert validate_body(*CALLBACK_ROUTE, {"type": 5}) == []
    body = {"type": 4, "data": {"content": "a", "flags": SUPPRESS_EMBEDS | EPHEMERAL_FLAG}}
    assert validate_body(*CALLBACK_ROUTE, body) == []


# Where the docs are silent, the stricter reading (each was accepted before this change):
# a flag bit set as a decimal string (only permission sets are strings on Discord's wire,
# permissions.mdx "serialized into a string"); a field the docs do not name, at the top or
# inside an embed or allowed_mentions (Discord ignores it: the bot would lose what it meant);
# an embed `type` other than "rich" (message.mdx: "always "rich" for webhook embeds"); an
# embed that shows nothing (Discord answers embeds.0.description: required).
@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"content": "x", "flags": "4"}, "flags", "BASE_TYPE_BAD_TYPE"),
        ({"content": "x", "bogus_field": 1}, "bogus_field", "UNKNOWN_FIELD"),
        ({"content": "x", "alowed_mentions": {"parse": []}}, "alowed_mentions", "UNKNOWN_FIELD"),
        (embed(colour=5), "embeds.0.colour", "UNKNOWN_FIELD"),
        (embed(footer={"text": "f", "txt": "g"}), "embeds.0.footer.txt", "UNKNOWN_FIELD"),
        (
            {"content": "x", "allowed_mentions": {"parse": [], "everyone": False}},
            "allowed_mentions.everyone",
            "UNKNOWN_FIELD",
        ),
        (embed(type="bogus"), "embeds.0.type", "BASE_TYPE_CHOICES"),
        ({"embeds": [{}]}, "embeds.0.description", "BASE_TYPE_REQUIRED"),
        ({"content": "x", "embeds": [{"color": 5}]}, "embeds.0.description", "BASE_TYPE_REQUIRED"),
    ],
    ids=[
        "flags-as-string",
        "unknown-top-field",
        "misspelt-allowed-mentions",
        "embed-colour-british",
        "footer-unknown",
        "allowed-mentions-unknown",
        "embed-type-bogus",
        "embed-empty",
        "embed-only-colour",
    ],
)
async def test_what_the_docs_do_not_allow_is_refused(
    api: Api, body: dict[str, Any], path: str, code: str
) -> None:
    r = await api.post(body)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == 50035
    assert _leaf(r.json()["errors"], path) == code, r.text


async def test_documented_forms_of_the_same_still_pass(api: Api) -> None:
    for body in (
        {"content": "x", "flags": SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS},
        embed(type="rich", color=5, footer={"text": "f", "icon_url": "https://x.org/i.png"}),
        {"content": "x", "allowed_mentions": {"parse": [], "users": [], "replied_user": False}},
        {"embeds": [{"image": {"url": "https://x.org/i.png"}}]},
    ):
        r = await api.post(body)
        assert r.status_code == 200, (body, r.text)


@pytest.mark.parametrize("name", [" ", "   ", "\t\n"])
async def test_a_thread_name_discord_trims_to_nothing_is_refused(api: Api, name: str) -> None:
    """channel.mdx Start Thread: name is 1-100 characters; Discord trims it first."""
    r = await api.client.post(f"/channels/{api.channel}/threads", json={"name": name, "type": 11})
    assert r.status_code == 400, r.text
    assert _leaf(r.json()["errors"], "name") == "BASE_TYPE_MIN_LENGTH"
