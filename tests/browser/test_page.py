"""The web view in a real browser, against the real bot: the demo's posts with their titles and
links, a post appearing without a reload, the command box (autocomplete, permissions,
ephemeral replies), and the screenshots in docs/screens/ (`UPDATE_SCREENSHOTS=1`)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import Offsite, World, open_page, shoot

pytestmark = pytest.mark.slow


async def same_document(page: Page) -> bool:
    """True if the page was not reloaded since `open_page` marked it."""
    return bool(await page.evaluate("window.__sameDocument === true"))


async def test_a_compact_post_appears_without_reload_with_its_titles_linked(
    world: World, browser: Browser
) -> None:
    await world.subscribe(world.papers, "compact")
    offsite = Offsite()
    page = await open_page(browser, world.url(world.papers), offsite)
    assert await page.locator(".embed").count() == 0  # nothing posted yet

    await world.post_the_day()
    post = page.locator(".message", has_text="Ranked by").last
    await expect(post).to_be_visible()
    assert await same_document(page)
    content = await post.locator(".content").inner_text()
    assert content.startswith("🔥 Hot Papers 2021-03-12")
    links = post.locator(".embed-description a")
    found = [
        (await links.nth(i).inner_text(), await links.nth(i).get_attribute("href"))
        for i in range(await links.count())
    ]
    expected = [(p.title, p.abs_url) for p in world.digest.papers[:10]]
    assert found == expected
    assert await post.locator(".embed-footer").inner_text() == (
        "Ranked by retweets + favorites · /paper <id> for details"
    )
    await shoot(page, "compact-post", ".message:has(.embed)")
    assert offsite.urls == [] and page.errors == []  # type: ignore[attr-defined]


async def test_a_detailed_post_opens_its_thread_with_one_linked_embed_per_paper(
    world: World, browser: Browser
) -> None:
    await world.subscribe(world.detailed, "detailed")
    offsite = Offsite()
    page = await open_page(browser, world.url(world.detailed), offsite)
    await world.post_the_day()

    header = page.locator(".message", has_text="Details of each paper are in the thread below.")
    chip = header.locator(".thread-chip")
    await expect(chip).to_contain_text("Messages")
    assert await same_document(page)
    await expect(page.locator(".thread-link")).to_have_text("↳ Hot Papers 2021-03-12")
    await chip.click()
    titles = page.locator("#thread-panel .embed-title a")
    await expect(titles).to_have_count(10)  # up to 10 papers a post, by default
    found = [
        (await titles.nth(i).inner_text(), await titles.nth(i).get_attribute("href"))
        for i in range(await titles.count())
    ]
    assert found == [
        (f"{i}. {p.title}", p.abs_url) for i, p in enumerate(world.digest.papers[:10], 1)
    ]
    first = page.locator("#thread-panel .embed").first
    names = await first.locator(".embed-field-name").all_inner_texts()
    assert names[:4] == ["Authors", "Categories", "Score", "Links"]
    # Discord's layout: Authors on its own row, then three inline fields side by side.
    boxes = [await f.bounding_box() for f in await first.locator(".embed-field").all()]
    assert boxes[0] and boxes[1] and boxes[2] and boxes[3]
    assert boxes[1]["y"] == boxes[2]["y"] == boxes[3]["y"] > boxes[0]["y"]
    assert "thread=" in page.url  # the address opens the same view again
    await page.locator("#thread-messages").evaluate("e => { e.scrollTop = 0; }")
    await shoot(page, "detailed-post-with-thread")
    assert offsite.urls == [] and page.errors == []  # type: ignore[attr-defined]


async def test_hot_typed_in_the_box_with_autocomplete_gets_its_answer_on_the_page(
    world: World, browser: Browser
) -> None:
    offsite = Offsite()
    page = await open_page(browser, world.url(world.papers), offsite)
    box = page.locator(".command-input")
    await box.click()
    await box.type("/ho")
    await expect(page.locator(".suggestion").first).to_contain_text("/hot")
    await box.press("Tab")
    await expect(box).to_have_value("/hot ")
    await expect(page.locator(".suggestions")).to_contain_text("category (optional)")
    await box.type("category:cs.CV")
    # The bot's own autocomplete, as Discord shows it: the name, while the value is sent.
    choice = page.locator(".suggestion").first
    await expect(choice).to_have_text("cs.CV — Computer Vision and Pattern Recognition")
    await box.press("Tab")
    await expect(box).to_have_value("/hot category:cs.CV ")
    await box.press("Enter")

    reply = page.locator(".message", has=page.locator(".interaction-header")).last
    await expect(reply.locator(".interaction-header")).to_have_text("@tester used /hot")
    await expect(reply.locator(".embed")).to_be_visible()
    await expect(page.locator(".command-status")).to_contain_text("/hot: answered")
    hrefs = [
        await a.get_attribute("href") for a in await reply.locator(".embed-description a").all()
    ]
    assert len(hrefs) == 5
    assert all((h or "").startswith("https://arxiv.org/abs/") for h in hrefs)
    assert await same_document(page)
    await shoot(page, "hot-reply", ".message:has(.interaction-header)")
    assert offsite.urls == [] and page.errors == []  # type: ignore[attr-defined]


async def test_permissions_chosen_on_the_page_decide_and_private_replies_are_marked(
    world: World, browser: Browser
) -> None:
    page = await open_page(browser, world.url(world.papers), Offsite())
    box = page.locator(".command-input")
    await box.fill("/digest list")
    await box.press("Enter")
    await expect(page.locator(".command-status")).to_have_text(
        "You do not have permission to use this command (Discord would not offer it to you)."
    )
    await page.locator(".acting-perms").select_option("32")  # Manage Server
    await box.fill("/digest list")
    await box.press("Enter")
    reply = page.locator(".message.ephemeral").last
    await expect(reply.locator(".interaction-header")).to_have_text("@tester used /digest list")
    await expect(reply.locator(".ephemeral-note")).to_have_text(
        "👁 Only you can see this • Dismiss message"
    )
    await expect(page.locator(".command-status")).to_contain_text("(only you can see it)")
