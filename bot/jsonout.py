"""The `--json` contract shared by `hotpapers preview` and `hotpapers fetch`. Pure.

Shape (other tools rely on it; change only by adding keys):
`{"date": "YYYY-MM-DD", "title": str, "source": str, "papers": [{"rank", "arxiv_id", "title",
"authors", "categories", "abstract", "abs_url", "pdf_url", "metrics", "score", "score_label",
"tweets": [{"author", "handle", "url", "text", "source", "likes", "kind"}]}], "messages":
[<message payload>, ...]}`. `score` is null for a paper no crowd discussed (the `hot` source);
a quoted post's `source` is the crowd ("" for the blog's tweets), `kind` is "reaction",
"author" or "bot" (the last three keys were added for issue 13).
"""

from __future__ import annotations

from typing import Any

from bot.models import Digest
from bot.ranking import score_label


def digest_to_json(digest: Digest, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The digest and the payloads it renders to, as one JSON-ready object."""
    return {
        "date": digest.day.isoformat(),
        "title": digest.title,
        "source": digest.source,
        "papers": [
            {
                "rank": rank,
                "arxiv_id": p.arxiv_id,
                "title": p.title,
                "authors": list(p.authors),
                "categories": list(p.categories),
                "abstract": p.abstract,
                "abs_url": p.abs_url,
                "pdf_url": p.pdf_url,
                "metrics": dict(p.metrics),
                "score": p.score,
                "score_label": score_label(p),
                "tweets": [t.model_dump() for t in p.tweets],
            }
            for rank, p in enumerate(digest.papers, start=1)
        ],
        "messages": messages,
    }
