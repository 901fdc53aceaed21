"""What a source module declares: its name, its config section, its metrics, how it fetches.

A source is one module (`bot/sources/hf.py` …) ending in one `SourceSpec`, and one line in
`bot.sources.registry.SOURCES` lists it. Everything else reads the spec:

- `bot.config` validates `[sources.<name>]` with the spec's `settings` model (settings every
  source shares stay in `[sources]`), and `sources.default` against the registry's names;
- `bot.sources.base.SourceFactory` calls `fetcher` (a day source) or `enricher` (metadata for
  ids, e.g. arXiv, composed as `<day source>+<enricher>`) with a `Context` and the section;
- `bot.ranking` and `bot.render` read `metrics` (`bot.sources.metrics`) for scores, the
  "Ranked by …" footer and the score line.

`moved` maps keys of the old flat `[sources]` table (`hf_base_url`) to this section's fields
(`base_url`); they are still read, with a deprecation warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from bot.checks import Section
from bot.models import Digest, Paper
from bot.sources.http import Http, Throttle
from bot.sources.metrics import MetricSet

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


class SourceSettings(Section):
    """Base of every source's own config section: unknown keys refused, `true` is no number."""


S = TypeVar("S", bound=SourceSettings)


@runtime_checkable
class Source(Protocol):
    """Something that turns a day into that day's ranked digest (or raises SourceError)."""

    name: str

    async def fetch_day(self, day: date) -> Digest:
        """The digest of `day`, papers in rank order; an empty day is an empty digest."""
        ...


class Enrichment(Protocol):
    """Something that completes papers with metadata (categories, authors, abstracts)."""

    name: str

    async def complete(self, papers: Sequence[Paper]) -> list[Paper]:
        """`papers`, same order and scores, each completed where the enrichment knows it."""
        ...


class Context(Protocol):
    """What a source gets from the factory: HTTP with the shared settings, and throttles.

    `http` applies `[sources]`'s timeout, request deadline and retries and names the upstream
    by its title in messages; a `throttle` limits the upstream to one request at a time,
    `min_interval` seconds apart (member requests beyond `sources.member_requests_waiting`
    are refused as busy).
    """

    def http(self, name: str, *, throttle: Throttle | None = None) -> Http:
        """An `Http` for the upstream `name`."""
        ...

    def throttle(self, name: str, min_interval: float) -> Throttle:
        """A throttle for the upstream `name` (keep it: one per upstream and process)."""
        ...


@dataclass(frozen=True)
class SourceSpec(Generic[S]):
    """One source, as its module declares it (see the module docstring).

    Exactly one of `fetcher` (a day source) and `enricher` (an enrichment) is given.
    """

    name: str  # in config and subscriptions: "hf"; lower case, digits, "-"
    title: str  # as people know it, in every message: "Hugging Face"
    settings: type[S]  # its [sources.<name>] section
    fetcher: Callable[[Context, S], Source] | None = None
    enricher: Callable[[Context, S], Enrichment] | None = None
    metrics: MetricSet = field(default_factory=MetricSet)
    moved: Mapping[str, str] = field(default_factory=dict)  # old flat key -> field here

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or self.name == "default":
            raise ValueError(
                f"source name {self.name!r}: use lower-case letters, digits and '-' "
                "(not 'default', not '+', which joins a source and an enrichment)"
            )
        if (self.fetcher is None) == (self.enricher is None):
            raise ValueError(f"source {self.name!r}: give exactly one of fetcher and enricher")
        fields = self.settings.model_fields
        unknown = sorted(v for v in self.moved.values() if v not in fields)
        if unknown:
            raise ValueError(f"source {self.name!r}: moved keys to unknown fields {unknown}")

    @property
    def is_enrichment(self) -> bool:
        """Whether this supplies metadata for ids rather than a day's ranking."""
        return self.enricher is not None

    def section(self, sections: Mapping[str, SourceSettings]) -> S:
        """This source's validated section out of `SourcesConfig.sections`."""
        value: Any = sections.get(self.name)
        if value is None:
            return self.settings()
        if not isinstance(value, self.settings):
            raise TypeError(f"sources.{self.name}: expected {self.settings.__name__}")
        return value

    def build_day(self, context: Context, sections: Mapping[str, SourceSettings]) -> Source:
        """The day source, built from its section (ConfigError when it cannot work)."""
        if self.fetcher is None:
            raise TypeError(f"{self.name} is an enrichment, not a day source")
        return self.fetcher(context, self.section(sections))

    def build_enrichment(
        self, context: Context, sections: Mapping[str, SourceSettings]
    ) -> Enrichment:
        """The enrichment, built from its section."""
        if self.enricher is None:
            raise TypeError(f"{self.name} is a day source, not an enrichment")
        return self.enricher(context, self.section(sections))
