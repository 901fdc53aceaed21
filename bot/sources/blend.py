"""The `hot` day source: a day's arXiv announcement, joined with every crowd, blended into one rank.

For a day and the arXiv archives needed (those somebody subscribed to or asked for):

1. **the universe**: the papers arXiv announced that day in those archives (new submissions
   and cross-lists; `bot.sources.arxiv_listing`). A day without an announcement (Friday,
   Saturday, a holiday) raises `NoAnnouncement`, a stated outcome, never "no papers";
2. **the crowds**: every signal source that is on (`Context.signals()`: Hugging Face,
   Hacker News, Bluesky …), asked concurrently about the universe's ids, each inside its own
   error boundary and deadline (`signal_deadline_seconds`): one crowd down, slow or hostile
   costs that crowd's counts and nothing else. The digest records which crowds answered
   (`signals_ok`) and which failed, with the failure's sentence (`signals_failed`), for the
   footer and `/digest status`; the universe failing fails the day (nothing to rank);
3. **the blend**: each paper gets every crowd's counts (`Paper.metrics`, names unique across
   sources), when each was read (`Paper.read_at`) and up to `MAX_QUOTES` quoted posts
   (`Paper.tweets`, people's reactions before authors' announcements and paper bots), and is
   scored within its primary category by `bot.scoring` (docs/ranking.md). A paper no crowd
   discussed has no score and is listed last ("no discussion yet").

**Archives are stored with the digest** (`Digest.archives`): `fetch_archives(day, archives,
base=stored)` fetches only the archives the stored digest does not cover, asks the crowds
about the new papers only, merges them into the stored papers (kept as they were) and scores
the whole day again. `bot.sources.cache` decides when (`covering`); a request naming no
category uses `[sources.hot] archives`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from pydantic import Field, field_validator

from bot import scoring, taxonomy
from bot.errors import ConfigError, SourceError
from bot.models import Digest, Paper, Tweet, quote_order
from bot.sources.metrics import MetricSet
from bot.sources.signals import Quote, Signal, SignalSource
from bot.sources.spec import Context, SourceSettings, SourceSpec

log = logging.getLogger(__name__)

NAME = "hot"
TITLE = "Hot (arXiv + crowds)"
MAX_QUOTES = 5  # quoted posts kept per paper (the detailed format shows fewer)
_INT_LIMIT = 2**63 - 1  # a count beyond SQLite's INTEGER (`cache.check_storable` refuses it)


@runtime_checkable
class Universe(Protocol):
    """What arXiv announced on a day in some archives (`ArxivListing.announced`)."""

    async def announced(self, day: date, archives: Sequence[str]) -> list[Paper]:
        """The papers, categories primary first; raises NoAnnouncement or SourceError."""
        ...


@runtime_checkable
class Wired(Protocol):
    """The factory as the blend needs it: the crowds that are on, and the arXiv listing."""

    def signals(self) -> Sequence[SignalSource]:
        """Every signal source that is on (each reports its health, raises SourceError)."""
        ...

    def arxiv_listing(self) -> Universe:
        """The one arXiv listing of the process (shared arXiv throttle)."""
        ...

    def scoring(self) -> tuple[Mapping[str, MetricSet], Sequence[tuple[str, int]]]:
        """Every source's metrics by source name, and the tiebreak keys (from the registry)."""
        ...


@runtime_checkable
class Covering(Protocol):
    """A day source whose digest covers some arXiv archives and can grow (`HotSource`)."""

    name: str
    archives: Sequence[str]  # the default: a request naming no category

    async def fetch_day(self, day: date) -> Digest:
        """The day over the default archives."""
        ...

    async def fetch_archives(
        self, day: date, archives: Sequence[str], *, base: Digest | None = None
    ) -> Digest:
        """The day over `archives`, merged into `base` (a stored digest of that day)."""
        ...


def archive_of(category: str) -> str | None:
    """The arXiv archive a category (or archive) id belongs to: math.AG -> math, quant-ph."""
    tax = taxonomy.load()
    found = tax.lookup(category.lstrip("-"))
    if found is None:
        return None
    cat = tax.categories.get(found)
    if cat is not None:
        return cat.archive
    return found if found in tax.archives else None


def archives_for(categories: Iterable[str]) -> list[str]:
    """The archives a list of included categories needs, sorted, each once (excludes ignored)."""
    found = {archive_of(c) for c in categories if not c.startswith("-")}
    return sorted(a for a in found if a is not None)


def _tweet(q: Quote) -> Tweet:
    return Tweet(
        author=q.author, handle=q.handle, url=q.url, text=q.text,
        source=q.source, likes=q.likes, kind=q.kind,
    )  # fmt: skip


def join(paper: Paper, crowd: str, signal: Signal) -> Paper:
    """`paper` with one crowd's counts, read time and quotes added."""
    quotes = sorted([*paper.tweets, *(_tweet(q) for q in signal.quotes)], key=quote_order)
    return paper.model_copy(
        update={
            "metrics": {**paper.metrics, **signal.counts},
            "read_at": {**paper.read_at, crowd: signal.read_at},
            "tweets": quotes[:MAX_QUOTES],
        }
    )


def score_day(
    papers: Sequence[Paper],
    metric_sets: Mapping[str, MetricSet],
    tiebreak: Sequence[tuple[str, int]] = (),
) -> list[Paper]:
    """The day's papers scored by `bot.scoring` and in rank order.

    A crowd discussed a paper when the paper has its read time (`Paper.read_at`); its
    strength is the crowd's `MetricSet.score` of the paper's counts.
    """
    categories = scoring.categories_of((p.arxiv_id, p.categories) for p in papers)
    strengths: dict[str, dict[str, float]] = {}
    for p in papers:
        for crowd in p.read_at:
            metrics = metric_sets.get(crowd)
            if metrics is not None:
                strengths.setdefault(crowd, {})[p.arxiv_id] = metrics.score(p.metrics)
    blended = scoring.blend(categories, strengths)
    ties = {p.arxiv_id: float(sum(w * p.metrics.get(n, 0) for n, w in tiebreak)) for p in papers}
    by_id = {p.arxiv_id: p for p in papers}
    return [
        by_id[i].model_copy(update={"score": blended[i].score})
        for i in scoring.ranked_ids(blended, ties)
    ]


class HotSource:
    """The `hot` source (see the module docstring)."""

    name = NAME

    def __init__(
        self,
        universe: Universe,
        signals: Sequence[SignalSource],
        metric_sets: Mapping[str, MetricSet],
        *,
        archives: Sequence[str] = ("cs",),
        signal_deadline: float = 60.0,
        tiebreak: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.universe = universe
        self.signals = tuple(signals)
        self.metric_sets = dict(metric_sets)
        self.archives = tuple(archives)
        self.signal_deadline = signal_deadline
        self.tiebreak = tuple(tiebreak)

    async def fetch_day(self, day: date) -> Digest:
        """The day over the default archives (`[sources.hot] archives`)."""
        return await self.fetch_archives(day, self.archives)

    async def fetch_archives(
        self, day: date, archives: Sequence[str], *, base: Digest | None = None
    ) -> Digest:
        """The day over `archives`, merged into `base` when given (module docstring)."""
        covered = set(base.archives) if base is not None else set()
        wanted = sorted(set(archives) - covered)
        kept = list(base.papers) if base is not None else []
        known = {p.arxiv_id for p in kept}
        found = await self.universe.announced(day, wanted) if wanted else []
        new = [p.model_copy(update={"score": None}) for p in found if p.arxiv_id not in known]
        ok, failed = await self._ask(day, new)
        if base is not None:
            ok = [n for n in ok if n in base.signals_ok]  # answered for every part of the day
            failed = {**base.signals_failed, **failed}
        papers = score_day([*kept, *new], self.metric_sets, self.tiebreak)
        log.info(
            "%s: %s over %s: %d papers (%d new); crowds ok %s, failed %s",
            NAME, day, ", ".join(sorted(covered | set(wanted))), len(papers), len(new),
            ok, sorted(failed),
        )  # fmt: skip
        return Digest(
            day=day,
            source=NAME,
            papers=papers,
            archives=sorted(covered | set(wanted)),
            signals_ok=ok,
            signals_failed=failed,
        )

    async def _ask(self, day: date, papers: list[Paper]) -> tuple[list[str], dict[str, str]]:
        """Every crowd about `papers` (joined in place); which answered, which failed, why."""
        ids = [p.arxiv_id for p in papers]
        authors = {p.arxiv_id: list(p.authors) for p in papers}  # lets a crowd tell the authors
        answers = await asyncio.gather(*(self._one(s, day, ids, authors) for s in self.signals))
        ok: list[str] = []
        failed: dict[str, str] = {}
        for source, answer in zip(self.signals, answers, strict=True):
            if isinstance(answer, str):
                failed[source.name] = answer
                continue
            ok.append(source.name)
            for i, paper in enumerate(papers):
                signal = answer.get(paper.arxiv_id)
                if signal is not None:
                    papers[i] = join(paper, source.name, signal)
        return ok, failed

    async def _one(
        self, source: SignalSource, day: date, ids: list[str], authors: dict[str, list[str]]
    ) -> dict[str, Signal] | str:
        """One crowd's answer, or the sentence saying why it has none (never raises)."""
        if not ids:
            return {}
        try:
            async with asyncio.timeout(self.signal_deadline):
                answer = await source.signals_for(day, ids, authors=authors)
            absurd = [c for s in answer.values() for c in s.counts.values() if abs(c) > _INT_LIMIT]
            if not absurd:
                return answer
            why = f"{source.name} sent a number too large to be real."  # would fail the day
        except TimeoutError:
            why = f"{source.name} did not answer within {self.signal_deadline:g} s."
        except SourceError as exc:
            why = str(exc)
        except Exception as exc:  # a crowd's bug costs its counts, never the day
            log.exception("%s: asking %s about %s failed", NAME, source.name, day)
            why = f"{source.name} failed ({type(exc).__name__})."
        log.warning("%s: %s has no counts for %s: %s", NAME, source.name, day, why)
        return why


class HotSettings(SourceSettings):
    """`[sources.hot]`: the archives of a request that names no category, a crowd's deadline."""

    archives: list[str] = Field(default_factory=lambda: ["cs"])
    signal_deadline_seconds: float = Field(default=60.0, gt=0, le=600)

    @field_validator("archives")
    @classmethod
    def _archives(cls, value: list[str]) -> list[str]:
        out = []
        for raw in value:
            found = archive_of(raw)
            if found is None or found != raw:
                raise ValueError(f"{raw!r} is not an arXiv archive (e.g. cs, math, astro-ph)")
            out.append(found)
        if not out:
            raise ValueError("name at least one archive")
        return sorted(set(out))


def _build(context: Context, settings: HotSettings) -> HotSource:
    if not isinstance(context, Wired):
        raise ConfigError("sources: hot needs the arXiv listing and the crowds (a SourceFactory)")
    metric_sets, tiebreak = context.scoring()  # the registry lists this module: asked, not imported
    return HotSource(
        context.arxiv_listing(),
        context.signals(),
        metric_sets,
        archives=settings.archives,
        signal_deadline=settings.signal_deadline_seconds,
        tiebreak=tiebreak,
    )


SOURCE = SourceSpec(name=NAME, title=TITLE, settings=HotSettings, fetcher=_build)
