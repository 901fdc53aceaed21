"""The list of sources: one `SourceSpec` per source module. Adding a source is one line here.

The names a subscription or `sources.default` may use are the day sources (`hot`, `hf`,
`hotpapers-md`) and each day source joined to an enrichment (`hf+arxiv`; not `hot`, whose
papers are arXiv's announcement already); the default (`hot`) comes first in every list shown
to people. Built once at import (a table of constants, no I/O):
duplicate names, two sources declaring one metric differently and a default that is not a
name are refused here, at start-up, not at the first fetch.

Everything else asks `REGISTRY` at call time (`registry.REGISTRY.names`, not a copy taken at
import), so a test may run with another registry by replacing this attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from bot.sources import arxiv, blend, bluesky, hf, hn, hotpapers_url
from bot.sources.metrics import Metric, MetricSet, tiebreak_keys
from bot.sources.spec import SourceSettings, SourceSpec

SOURCES: tuple[SourceSpec[Any], ...] = (
    hf.SOURCE,
    hotpapers_url.SOURCE,
    arxiv.SOURCE,
    hn.SOURCE,
    bluesky.SOURCE,
    blend.SOURCE,
)
# Day sources never joined to an enrichment: their papers are arXiv's own announcement.
WHOLE: frozenset[str] = frozenset({blend.NAME})
DEFAULT = "hot"


class Registry:
    """Sources by name, the names they compose to, their titles, metrics and config sections."""

    def __init__(self, specs: Iterable[SourceSpec[Any]], *, default: str = DEFAULT) -> None:
        self.specs: tuple[SourceSpec[Any], ...] = tuple(specs)
        by_name: dict[str, SourceSpec[Any]] = {}
        for spec in self.specs:
            if spec.name in by_name:
                raise ValueError(f"two sources are called {spec.name!r}")
            by_name[spec.name] = spec
        self.by_name: Mapping[str, SourceSpec[Any]] = by_name
        self._check_metrics()
        self.days = tuple(s for s in self.specs if s.fetcher is not None)
        self.enrichments = tuple(s for s in self.specs if s.is_enrichment)
        # Crowds (HF, HN, Bluesky): never a subscription's source by themselves, only inside
        # a blend day source that asks `Context.signals()`.
        self.signals = tuple(s for s in self.specs if s.is_signal)
        composed = [
            n
            for d in self.days
            for n in (
                d.name,
                *(f"{d.name}+{e.name}" for e in self.enrichments if d.name not in WHOLE),
            )
        ]
        if default not in composed:
            raise ValueError(f"default source {default!r} is not one of {', '.join(composed)}")
        self.default = default
        # Every name a subscription may use, the default first.
        self.names: tuple[str, ...] = (default, *(n for n in composed if n != default))
        self.titles: Mapping[str, str] = {s.name: s.title for s in self.specs}
        self.metric_sets: tuple[MetricSet, ...] = tuple(
            s.metrics for s in self.specs if s.metrics.metrics
        )
        self.tiebreak = tiebreak_keys(self.metric_sets)

    def _check_metrics(self) -> None:
        seen: dict[str, tuple[str, Metric]] = {}
        for spec in self.specs:
            for metric in spec.metrics.metrics:
                other = seen.setdefault(metric.name, (spec.name, metric))
                if other[1] != metric:
                    raise ValueError(
                        f"sources {other[0]!r} and {spec.name!r} both declare the metric "
                        f"{metric.name!r}, differently"
                    )

    def known(self) -> str:
        """The names, for messages: `hf+arxiv, hf, hotpapers-md, hotpapers-md+arxiv`."""
        return ", ".join(self.names)

    def check(self, name: str) -> str:
        """`name` if a subscription may use it; else ValueError listing the names."""
        if name not in self.names:
            raise ValueError(f"unknown source {name!r} (known: {self.known()})")
        return name

    def title(self, name: str) -> str:
        """The name people know a source by: "hf+arxiv" is "Hugging Face (with arXiv)"."""
        base, plus, extra = name.partition("+")
        shown = self.titles.get(base, base)
        return f"{shown} (with {self.titles.get(extra, extra)})" if plus else shown

    @cached_property
    def _sections_model(self) -> type[BaseModel]:
        """A model with one field per source, `[sources.<name>]`, to validate all sections."""
        fields: dict[str, Any] = {
            _field(s.name): (s.settings, Field(default_factory=s.settings, alias=s.name))
            for s in self.specs
        }
        return create_model("sources", __config__=ConfigDict(extra="forbid"), **fields)

    def validate_sections(self, given: Mapping[str, Any]) -> dict[str, SourceSettings]:
        """Each source's section by name, validated with its model (defaults where absent).

        Raises pydantic's ValidationError located at `<name>.<field>`, so the config error
        reads `sources.hf.base_url: …`.
        """
        sections = self._sections_model.model_validate(given)
        return {s.name: getattr(sections, _field(s.name)) for s in self.specs}


def _field(name: str) -> str:
    """A source name as a Python identifier ("hotpapers-md" -> "hotpapers_md")."""
    return name.replace("-", "_")


REGISTRY = Registry(SOURCES)


def title(name: str) -> str:
    """`REGISTRY.title(name)`: "Hugging Face", "Hugging Face (with arXiv)"."""
    return REGISTRY.title(name)


class _Titles(Mapping[str, str]):
    """The titles of `REGISTRY`'s sources by name, read at call time."""

    def __getitem__(self, name: str) -> str:
        return REGISTRY.titles[name]

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY.titles)

    def __len__(self) -> int:
        return len(REGISTRY.titles)


TITLES: Mapping[str, str] = _Titles()
