"""Offline stand-ins for the upstreams: recorded arXiv bodies, schema-built HF days, a fake clock.

Nothing here touches the network: every upstream is an `httpx.MockTransport` handler (or, in
the CLI test, a local server on 127.0.0.1) that counts what it was asked.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from bot.config import SourcesConfig
from bot.models import parse_arxiv_id
from bot.store.sqlite import open_store

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
ARXIV_DATA = SHARED / "data" / "arxiv"
FIXTURES = Path(__file__).parent / "fixtures"
HF_DAY = FIXTURES / "hf_daily_papers_2025-03-31.json"


# --- recorded arXiv responses ------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """One recorded arXiv response: status, URL and the body as the server sent it (bytes)."""

    url: str
    status: int
    body: bytes


def _arxiv_path(name: str) -> Path:
    path = ARXIV_DATA / name
    if not path.exists():
        pytest.skip(f"recorded arXiv data not available: {path} (needs ../shared beside the repo)")
    return path


def unwrap_recording(data: dict[str, Any]) -> Recording:
    """The recorder's JSON wrapper (`url`, `status_code`, latin-1-decoded `body`) → Recording."""
    return Recording(data["url"], int(data["status_code"]), data["body"].encode("latin-1"))


def load_recording(name: str) -> Recording:
    """A recording from ../shared/data/arxiv: raw XML, or the recorder's JSON wrapper.

    The recorder decoded bodies as latin-1 before storing them as JSON strings; re-encoding as
    latin-1 gives back the exact bytes arXiv sent (UTF-8), as the arXiv README says.
    """
    path = _arxiv_path(name)
    if path.suffix == ".json":
        return unwrap_recording(json.loads(path.read_text(encoding="utf-8")))
    return Recording(f"https://export.arxiv.org/api/query?{path.stem}", 200, path.read_bytes())


# --- Hugging Face days built from the schema ------------------------------------------------


def hf_items() -> list[dict[str, Any]]:
    """The three schema-built items of the fixture file."""
    data: list[dict[str, Any]] = json.loads(HF_DAY.read_text(encoding="utf-8"))
    return data


def hf_day(n: int, *, prefix: str = "2503") -> list[dict[str, Any]]:
    """`n` complete items (copies of the fully populated fixture item), distinct ids and votes."""
    template = hf_items()[0]
    out = []
    for i in range(n):
        item = copy.deepcopy(template)
        arxiv_id = f"{prefix}.{10000 + i:05d}"
        item["paper"]["id"] = arxiv_id
        item["paper"]["upvotes"] = 500 - i * 3
        item["paper"]["githubStars"] = i
        item["numComments"] = i % 5
        item["paper"]["title"] = item["title"] = f"Synthetic paper number {i}"
        item["thumbnail"] = (
            f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png"
        )
        out.append(item)
    return out


# --- an arXiv stand-in that answers any id_list ---------------------------------------------


def categories_for(arxiv_id: str) -> list[str]:
    """The categories the fake arXiv reports for an id (primary first), deterministic."""
    return ["cs.CV", "cs.LG"] if int(arxiv_id[-1]) % 2 == 0 else ["cs.CL", "cs.AI"]


def atom_feed(ids: Iterable[str]) -> bytes:
    """A current-format arXiv Atom feed (namespaces on the root) with one entry per id."""
    entries = []
    for raw in ids:
        base, _ = parse_arxiv_id(raw)
        cats = categories_for(base)
        cat_xml = "".join(
            f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in cats
        )
        entries.append(
            f"""<entry>
    <id>http://arxiv.org/abs/{base}v2</id>
    <title>arXiv title of {escape(base)}</title>
    <updated>2025-03-28T00:00:00Z</updated>
    <link href="https://arxiv.org/abs/{base}v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{base}v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>Full arXiv abstract of {escape(base)}, with
    a hard line break.</summary>
    {cat_xml}
    <published>2025-03-27T00:00:00Z</published>
    <arxiv:primary_category term="{cats[0]}"/>
    <author><name>First Author</name></author>
    <author><name>Second Author</name></author>
    <author><name>Third Author</name></author>
  </entry>"""
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
        "  <id>https://arxiv.org/api/test</id>\n  <title>arXiv Query</title>\n"
        + "\n  ".join(entries)
        + "\n</feed>\n"
    ).encode()


# --- counting upstreams ---------------------------------------------------------------------


@dataclass
class Upstreams:
    """Fake HF + arXiv behind one MockTransport; every request is kept for counting."""

    hf_pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # date -> items
    requests: list[httpx.Request] = field(default_factory=list)
    hf_override: Callable[[httpx.Request], httpx.Response] | None = None
    arxiv_override: Callable[[httpx.Request], httpx.Response] | None = None

    def count(self, host: str) -> int:
        """Requests made to one fake host."""
        return sum(1 for r in self.requests if r.url.host == host)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """Route a request to the fake HF (hf.test) or the fake arXiv (arxiv.test)."""
        self.requests.append(request)
        query = parse_qs(urlsplit(str(request.url)).query)
        if request.url.host == "hf.test" and request.url.path == "/api/daily_papers":
            if self.hf_override is not None:
                return self.hf_override(request)
            items = self.hf_pages.get(query["date"][0], [])
            limit, page = int(query["limit"][0]), int(query["p"][0])
            return httpx.Response(200, json=items[page * limit : (page + 1) * limit])
        if request.url.host == "arxiv.test" and request.url.path == "/api/query":
            if self.arxiv_override is not None:
                return self.arxiv_override(request)
            ids = query["id_list"][0].split(",")
            return httpx.Response(
                200, content=atom_feed(ids), headers={"content-type": "application/atom+xml"}
            )
        return httpx.Response(404, text="not found")


@pytest.fixture
def upstreams() -> Upstreams:
    """A fresh pair of counting fake upstreams."""
    return Upstreams()


@pytest.fixture
async def client(upstreams: Upstreams) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client whose every request goes to `upstreams` (never the network)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(upstreams.handler)) as c:
        yield c


@pytest.fixture
def sources_config() -> SourcesConfig:
    """Sources pointed at the fake hosts."""
    return SourcesConfig.model_validate(
        {
            "default": "hf+arxiv",  # the HF path (`hot` has its own tests: test_blend.py)
            "hf": {"base_url": "http://hf.test"},
            "arxiv": {"base_url": "http://arxiv.test/"},
        }
    )


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it; sleeps are recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Advance time instead of waiting."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Any]:
    """The real SQLite store in a temp dir."""
    async with open_store(tmp_path / "hotpapers.sqlite3") as s:
        yield s


# --- source errors: a sentence for people, a detail for the log ----------------------------


@contextmanager
def raises_source(kind: type[Exception], pattern: str) -> Iterator[pytest.ExceptionInfo[Any]]:
    """Like `pytest.raises(kind, match=pattern)`, but `pattern` may match the error's sentence
    or its `detail` (the URLs and body excerpts a SourceError keeps for the log only)."""
    with pytest.raises(kind) as info:
        yield info
    seen = f"{info.value}\n{getattr(info.value, 'detail', '')}"
    assert re.search(pattern, seen), f"{pattern!r} not in {seen!r}"


def assert_plain_sentence(error: BaseException, *names: str) -> None:
    """A member-safe message: one sentence naming the source, no URL, no exception repr."""
    text = str(error)
    assert any(name in text for name in names), text
    for leak in ("http://", "https://", "Error:", "Traceback", "/tmp/", "Errno", "<"):
        assert leak not in text, text
