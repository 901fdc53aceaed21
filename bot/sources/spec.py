"""What a source module declares: its name, its config section, its metrics, how it fetches.

A source is one module (`bot/sources/hf.py` …) ending in one `SourceSpec`, and one line in
`bot.sources.registry.SOURCES` lists it. Everything else reads the spec:

- `bot.config` validates `[sources.<name>]` with the spec's `settings` model (settings every
  source shares stay in `[sources]`), and `sources.default` against the registry's names;
- `bot.sources.base.SourceFactory` calls `fetcher` (a day source), `enricher` (metadata for
  ids, e.g. arXiv, composed as `<day source>+<enricher>`) or `signaller` (a crowd's signal on
  a day's papers: Hugging Face, Hacker News, Bluesky; `bot.sources.signals`) with a `Context`
  and the section. A signal is not a day source by itself: a blend day source asks
  `Context.signals()` for every signal that is on and joins them with a day's universe;
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
from bot.sources.signals import SignalSource

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

    def signals(self) -> Sequence[SignalSource]:
        """Every signal source that is on, in registry order, each built once.

        Each reports every `signals_for` outcome into the source health under its own name
        and leaves only `SourceError` (`bot.sources.crowds.ReportedSignal`).
        """
        ...


@dataclass(frozen=True)
class SourceSpec(Generic[S]):
    """One source, as its module declares it (see the module docstring).

    Either `enricher` (an enrichment) is given, or `fetcher` (a day source) and/or `signaller`
    (a signal source): Hugging Face is both, a day source for ML channels and a signal inside
    the blend, from one section `[sources.hf]` and under one health line. A signaller answers
    None when its settings leave it off (Bluesky without credentials). `from_env` completes
    the validated section from the environment (secrets never live in the config file);
    `bot.config.parse_config` calls it.
    """

    name: str  # in config and subscriptions: "hf"; lower case, digits, "-"
    title: str  # as people know it, in every message: "Hugging Face"
    settings: type[S]  # its [sources.<name>] section
    fetcher: Callable[[Context, S], Source] | None = None
    enricher: Callable[[Context, S], Enrichment] | None = None
    signaller: Callable[[Context, S], SignalSource | None] | None = None
    from_env: Callable[[S, Mapping[str, str]], S] | None = None
    metrics: MetricSet = field(default_factory=MetricSet)
    moved: Mapping[str, str] = field(default_factory=dict)  # old flat key -> field here

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or self.name == "default":
            raise ValueError(
                f"source name {self.name!r}: use lower-case letters, digits and '-' "
                "(not 'default', not '+', which joins a source and an enrichment)"
            )
        day_or_signal = self.fetcher is not None or self.signaller is not None
        if day_or_signal == (self.enricher is not None):
            raise ValueError(
                f"source {self.name!r}: give an enricher, or a fetcher and/or a signaller"
            )
        fields = self.settings.model_fields
        unknown = sorted(v for v in self.moved.values() if v not in fields)
        if unknown:
            raise ValueError(f"source {self.name!r}: moved keys to unknown fields {unknown}")

    @property
    def is_enrichment(self) -> bool:
        """Whether this supplies metadata for ids rather than a day's ranking."""
        return self.enricher is not None

    @property
    def is_signal(self) -> bool:
        """Whether this is a crowd's signal on papers rather than a day source or enrichment."""
        return self.signaller is not None

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
            raise TypeError(f"{self.name} is not a day source")
        return self.fetcher(context, self.section(sections))

    def build_enrichment(
        self, context: Context, sections: Mapping[str, SourceSettings]
    ) -> Enrichment:
        """The enrichment, built from its section."""
        if self.enricher is None:
            raise TypeError(f"{self.name} is not an enrichment")
        return self.enricher(context, self.section(sections))

    def build_signal(
        self, context: Context, sections: Mapping[str, SourceSettings]
    ) -> SignalSource | None:
        """The signal source, built from its section; None when its settings leave it off."""
        if self.signaller is None:
            raise TypeError(f"{self.name} is not a signal source")
        return self.signaller(context, self.section(sections))
