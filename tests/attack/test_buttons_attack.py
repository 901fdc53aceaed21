"""Attacks on the post buttons, role pings and their answers (issue 14 items 2, 3, 9)."""

from __future__ import annotations

from bot.cli.preview import sample_digest
from bot.limits import dlen
from bot.services.favourites import favourites_payload

PAPERS = sample_digest().papers


def test_server_favourites_of_25_long_entries_are_cut_between_entries_and_counted() -> None:
    """/hot scope:server limit:25 with long titles and author lists: the list was cut at
    4096 characters in the middle of an entry (a half-open link, no "…and N more")."""
    long = [
        PAPERS[n % len(PAPERS)].model_copy(
            update={
                "arxiv_id": f"2103.{10000 + n}",
                "title": f"Paper {n} " + "Attention " * 20,
                "authors": [f"Author Number{k} Surname{k}" for k in range(12)],
            }
        )
        for n in range(25)
    ]
    payload = favourites_payload("Hot Papers 2021-03-12", long, {p.arxiv_id: 3 for p in long})
    description = payload["embeds"][0]["description"]
    assert dlen(description) <= 4096
    *entries, last = description.split("\n")
    shown = len(entries) // 2
    assert 0 < shown < 25 and last == f"…and {25 - shown} more"
    for n in range(shown):
        assert entries[2 * n].startswith(f"**{n + 1}.** [Paper {n} Attention")
        assert entries[2 * n].endswith(f"({long[n].abs_url})")
        assert entries[2 * n + 1].endswith(" · 👍 3 in this server")
    assert (
        payload["content"] == "**👍 This server's favourites** · Hot Papers 2021-03-12 · 25 papers"
    )
