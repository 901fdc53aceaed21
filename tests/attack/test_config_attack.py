"""Config files an operator may write (issue 12 attack): each error is one line naming the
key path, and it must be true."""

from __future__ import annotations

import math
from typing import Any

import pytest

from bot.config import parse_config
from bot.errors import ConfigError


def error_of(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, env={})
    return str(caught.value)


def test_a_section_for_a_combined_source_says_where_its_parts_go() -> None:
    """`[sources."hf+arxiv"]` is not "no source is called 'hf+arxiv'": hf+arxiv is a source
    (the default one). The error says it is made of hf and arxiv, configured in theirs."""
    message = error_of({"sources": {"hf+arxiv": {"page_size": 10}}})
    assert message.startswith("invalid config: sources.hf+arxiv:"), message
    assert "no source is called" not in message, message
    assert "[sources.hf]" in message and "[sources.arxiv]" in message, message


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_number_that_is_not_finite_is_named_as_such(value: float) -> None:
    """TOML has `nan` and `inf`: `tick_seconds = nan` is not "should be less than or equal
    to 3600" (nan is not more than 3600 either); the error says a finite number is needed."""
    message = error_of({"schedule": {"tick_seconds": value}})
    assert message.startswith("invalid config: schedule.tick_seconds:"), message
    assert "finite" in message, message


@pytest.mark.parametrize(
    ("section", "key"),
    [("schedule", "tick_seconds"), ("discord", "max_concurrent_posts")],
)
def test_true_is_not_a_number(section: str, key: str) -> None:
    """`tick_seconds = true` was read as 1 (a one-second posting loop)."""
    message = error_of({section: {key: True}})
    assert message.startswith(f"invalid config: {section}.{key}:"), message
