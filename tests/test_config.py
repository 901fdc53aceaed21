"""Config: the example is complete and valid; bad values name the field; no token in files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import Config, load_config, parse_config
from bot.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_is_valid_and_documents_every_setting() -> None:
    config = load_config(EXAMPLE, env={})
    assert config == Config()  # the example shows the defaults
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    for name, field in Config.model_fields.items():
        if name == "token":
            continue
        section = field.default_factory() if field.default_factory else None  # type: ignore[call-arg]
        if isinstance(section, BaseModel):
            for sub in type(section).model_fields:
                assert sub in data.get(name, {}) or f"# {sub} =" in text, (
                    f"{name}.{sub} undocumented"
                )
        else:
            assert name in data


def test_token_only_from_environment(tmp_path: Path) -> None:
    assert load_config(None, env={"DISCORD_TOKEN": "abc"}).token is not None
    assert "abc" not in repr(load_config(None, env={"DISCORD_TOKEN": "abc"}))
    f = tmp_path / "c.toml"
    f.write_text('token = "abc"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="DISCORD_TOKEN"):
        load_config(f, env={})


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"schedule": {"default_time": "25:00"}}, "schedule.default_time"),
        ({"schedule": {"default_timezone": "Mars/Olympus"}}, "schedule.default_timezone"),
        ({"sources": {"timeout_seconds": -1}}, "sources.timeout_seconds"),
        ({"sources": {"request_deadline_seconds": 0}}, "sources.request_deadline_seconds"),
        ({"sources": {"member_requests_waiting": 0}}, "sources.member_requests_waiting"),
        ({"sources": {"negative_cache_minutes": 0}}, "sources.negative_cache_minutes"),
        ({"sources": {"fetch_horizon_days": 0}}, "sources.fetch_horizon_days"),
        ({"discord": {"max_concurrent_posts": 0}}, "discord.max_concurrent_posts"),
        ({"store": {"pathh": "x"}}, "store.pathh"),
        ({"log_level": "LOUD"}, "log_level"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=f"invalid config: {field}"):
        parse_config(data, env={})


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[store\npath=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_config_toml_in_the_working_directory_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import config_path

    monkeypatch.chdir(tmp_path)
    assert config_path(None) is None
    assert config_path("other.toml") == "other.toml"
    (tmp_path / "config.toml").write_text('[store]\npath = "x.db"\n', encoding="utf-8")
    assert config_path(None) == "config.toml"
    assert load_config(config_path(None), env={}).store.path == "x.db"
