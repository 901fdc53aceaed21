"""Every link the bot posts for a paper is the canonical https arXiv URL built from its id.

A digest's link text is never copied into a payload: issue 10 found a digest whose abs link had
no scheme (`arxiv.org/abs/…`) rendered as an embed `url` that Discord refuses with 400
"Not a well formed URL." (`embeds.0.url._errors[0].code = URL_TYPE_INVALID_URL`) after the
header and thread of a `detailed` post already existed.
"""

from __future__ import annotations

import json

import pytest

from bot.models import Paper
from bot.render import render_digest
from bot.sources.hotpapers_md import parse_digest
from sandbox.validation import validate_body

# The exact shape of the failing input: abs without a scheme, pdf on a mirror with a version.
DIGEST = """---
title: Hot Papers 2021-05-01
date: 2021-05-02T10:00:00.000Z
---

# 1. A Paper

Alice, Bob

- retweets: 10, favorites: 5 (05/02/2021 10:00:00)

- links: [abs](arxiv.org/abs/2105.00001) | [pdf](http://export.arxiv.org/pdf/2105.00001v2.pdf)
- [cs.LG](https://arxiv.org/list/cs.LG/recent)

An abstract.
"""


@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_a_schemeless_abs_link_renders_as_the_canonical_https_link(fmt: str) -> None:
    digest = parse_digest(DIGEST, "schemeless.md")
    messages = render_digest(digest, fmt=fmt)  # type: ignore[arg-type]
    for body in messages:
        problems = validate_body("POST", "/channels/{channel_id}/messages", body)
        assert problems == [], problems
    text = json.dumps(messages)
    assert "(arxiv.org/abs" not in text and "export.arxiv.org" not in text
    assert "https://arxiv.org/abs/2105.00001" in text
    if fmt == "detailed":
        embed = messages[-1]["embeds"][0]
        assert embed["url"] == "https://arxiv.org/abs/2105.00001"
        assert "[pdf](https://arxiv.org/pdf/2105.00001)" in json.dumps(embed)


def test_paper_links_ignore_what_a_source_gave() -> None:
    paper = Paper(
        arxiv_id="astro-ph/0601001v1",
        title="Old style",
        abs_url="javascript:alert(1)",
        pdf_url="arxiv.org/pdf/astro-ph/0601001",
    )
    assert paper.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert paper.pdf_url == "https://arxiv.org/pdf/astro-ph/0601001"
