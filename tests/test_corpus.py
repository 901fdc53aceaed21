"""The bad-input corpus (`tests/corpus/`): one file per case, a clear error or a safe rendering.

- `digests/bad/`: not digests at all → DigestFormatError naming the file; the store is untouched.
- `digests/hostile/`: valid digests with hostile text → rendered within Discord's limits, with no
  ping, no mention, no masked link, no bidi override.
- `config/`: bad config files → ConfigError naming the field (first line: `# expect: FIELD`).
- `upstream/hf/`, `upstream/arxiv/`: garbage bodies → SourceError, never a paper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.errors import ConfigError, DigestFormatError, SourceError
from bot.render import render_digest
from bot.sources.arxiv import parse_feed
from bot.sources.hf import parse_page
from bot.sources.hotpapers_md import load_path
from bot.sources.http import Fetched
from bot.store import open_store

CORPUS = Path(__file__).resolve().parent / "corpus"
SAMPLE = CORPUS.parent.parent / "bot" / "data" / "hot-papers-2021-03-12.md"


def _files(sub: str) -> list[Path]:
    return sorted(p for p in (CORPUS / sub).iterdir() if p.is_file())


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_corpus_has_at_least_fifty_cases() -> None:
    total = sum(
        len(_files(s))
        for s in ("digests/bad", "digests/hostile", "config", "upstream/hf", "upstream/arxiv")
    )
    assert total >= 50


BAD = _files("digests/bad")


@pytest.mark.parametrize("path", BAD, ids=_ids(BAD))
async def test_bad_digest_is_a_clear_error_and_loses_nothing(path: Path, tmp_path: Path) -> None:
    async with open_store(tmp_path / "s.db") as store:
        await store.save_digest(load_path(SAMPLE))
        before = await store.counts()
        with pytest.raises(DigestFormatError) as info:
            await store.save_digest(load_path(path))
        assert str(info.value).startswith(str(path))
        assert await store.counts() == before
        assert await store.get_digest("hotpapers-md", load_path(SAMPLE).day) == load_path(SAMPLE)


HOSTILE = _files("digests/hostile")
_UNSAFE = [
    re.compile(r"(?<!\\)<[@#]"),  # a live user/role/channel mention
    re.compile(r"@(everyone|here)", re.IGNORECASE),
    re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(https?://evil"),  # a masked link from paper text
    re.compile("[\u202a-\u202e\u2066-\u2069]"),  # bidi overrides
]


def _rendered_text(payload: dict[str, Any]) -> list[str]:
    texts = [payload.get("content", "")]
    for e in payload.get("embeds", []):
        texts += [e.get("title", ""), e.get("description", ""), e.get("footer", {}).get("text", "")]
        for f in e.get("fields", []):
            texts += [f["name"], f["value"]]
    return texts


@pytest.mark.parametrize("path", HOSTILE, ids=_ids(HOSTILE))
@pytest.mark.parametrize("fmt", ["compact", "detailed"])
def test_hostile_digest_renders_safely(
    path: Path, fmt: str, message_validator: Callable[[dict[str, Any]], list[str]]
) -> None:
    digest = load_path(path)
    assert digest.papers
    messages = render_digest(digest, fmt)  # type: ignore[arg-type]
    for m in messages:
        assert message_validator(m) == []
        assert m["allowed_mentions"] == {"parse": []}
        for text in _rendered_text(m):
            for pattern in _UNSAFE:
                assert not pattern.search(text), (pattern.pattern, text[:200])


CONFIGS = _files("config")


@pytest.mark.parametrize("path", CONFIGS, ids=_ids(CONFIGS))
def test_bad_config_names_the_field(path: Path) -> None:
    expect = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert expect in str(info.value)
    assert str(path) in str(info.value)


HF = _files("upstream/hf")


@pytest.mark.parametrize("path", HF, ids=_ids(HF))
def test_bad_hugging_face_body_is_an_error(path: Path) -> None:
    fetched = Fetched(
        url="http://127.0.0.1/api/daily_papers",
        status=200,
        headers={"content-type": "text/html" if path.suffix == ".html" else "application/json"},
        content=path.read_bytes(),
    )
    with pytest.raises(SourceError):
        parse_page(fetched)


ARXIV = _files("upstream/arxiv")


@pytest.mark.parametrize("path", ARXIV, ids=_ids(ARXIV))
def test_bad_arxiv_body_is_an_error(path: Path) -> None:
    status = 400 if path.name == "error-feed.xml" else 200
    fetched = Fetched(
        url="http://127.0.0.1/api/query",
        status=status,
        headers={"content-type": "application/atom+xml"},
        content=path.read_bytes(),
    )
    with pytest.raises(SourceError):
        parse_feed(fetched)
