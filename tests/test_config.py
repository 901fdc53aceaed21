"""Config: the example is complete and valid; bad values name the field; no token in files."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import Config, load_config, parse_config
from bot.errors import ConfigError
from bot.sources import registry

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_is_valid_and_documents_every_setting(caplog: pytest.LogCaptureFixture) -> None:
    from bot.sources import registry

    with caplog.at_level("WARNING"):
        config = load_config(EXAMPLE, env={})
    assert caplog.messages == []  # no old flat key in the example
    assert config == Config()  # the example shows the defaults
    assert config.sources.sections == Config().sources.sections
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
    for spec in registry.REGISTRY.specs:  # every source's own section, every key of it
        section = data["sources"].get(spec.name)
        assert isinstance(section, dict), f"[sources.{spec.name}] undocumented"
        assert sorted(section) == sorted(spec.settings.model_fields), spec.name


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


# --- values that validated but broke later (issue 11) -------------------------------------


@pytest.mark.parametrize(
    ("data", "field", "why"),
    [
        ({"sources": {"default": "hf+arxix"}}, "sources.default", "known: hot, hf, hf\\+arxiv,"),
        ({"sources": {"default": "arxiv"}}, "sources.default", "unknown source 'arxiv'"),
        ({"sources": {"default": "default"}}, "sources.default", "unknown source"),
        ({"discord": {"api_base": "not a url"}}, "discord.api_base", "not a URL"),
        ({"discord": {"api_base": "ws://x/api"}}, "discord.api_base", "http:// or https://"),
        ({"discord": {"api_base": "http://:80/api"}}, "discord.api_base", "not a URL"),
        ({"discord": {"api_base": "http://x:port/"}}, "discord.api_base", "not a URL"),
        ({"discord": {"gateway_url": "http://x/gw"}}, "discord.gateway_url", "ws:// or wss://"),
        ({"sources": {"hf": {"base_url": ""}}}, "sources.hf.base_url", "not a URL"),
        ({"sources": {"hf": {"page_size": 101}}}, "sources.hf.page_size", "less than or equal"),
        (
            {"sources": {"arxiv": {"base_url": "export.arxiv.org"}}},
            "sources.arxiv.base_url",
            "URL",
        ),
        (
            {"sources": {"arxiv": {"min_interval_seconds": -1}}},
            "sources.arxiv.min_interval_seconds",
            "greater than or equal to 0",
        ),
        (
            {"sources": {"hotpapers-md": {"url_template": "ftp://x/{date}.md"}}},
            "sources.hotpapers-md.url_template",
            "not a URL",
        ),
        (
            {"sources": {"hotpapers-md": {"url_template": "https://x/latest.md"}}},
            "sources.hotpapers-md.url_template",
            "must contain \\{date\\}",
        ),
        (
            {"sources": {"hotpapers-md": {"dir": "/nonexistent/posts"}}},
            "sources.hotpapers-md.dir",
            "folder",
        ),
        # a section's unknown key, a section no source has, a section that is not a table
        ({"sources": {"hf": {"base": "https://x"}}}, "sources.hf.base", "Extra inputs"),
        ({"sources": {"hff": {}}}, "sources.hff", "no source is called 'hff' \\(sections: hf,"),
        ({"sources": {"hf": 3}}, "sources.hf", "valid dictionary"),
        # an old flat key is read (see below) but must still be a value that works
        ({"sources": {"hf_base_url": ""}}, "sources.hf.base_url", "not a URL"),
        ({"store": {"path": ""}}, "store.path", "is empty"),
        ({"store": {"path": "   "}}, "store.path", "is empty"),
        ({"store": {"path": ":memory:"}}, "store.path", "not a file path"),
        ({"store": {"path": "file:x.db?mode=memory"}}, "store.path", "not a file path"),
        ({"store": {"path": "/nonexistent/dir/h.db"}}, "store.path", "does not exist"),
        ({"schedule": {"default_timezone": "localtime"}}, "schedule.default_timezone", "IANA"),
        ({"schedule": {"default_timezone": "/etc/localtime"}}, "schedule.default_timezone", "IANA"),
        ({"schedule": {"default_timezone": "posixrules"}}, "schedule.default_timezone", "IANA"),
        ({"schedule": {"default_timezone": "Factory"}}, "schedule.default_timezone", "IANA"),
        (
            {"schedule": {"default_timezone": "posix/Europe/Berlin"}},
            "schedule.default_timezone",
            "IANA",
        ),
        ({"schedule": {"default_timezone": "utc"}}, "schedule.default_timezone", "IANA"),
    ],
)
def test_values_that_cannot_work_are_refused_at_load(
    data: dict[str, object], field: str, why: str
) -> None:
    with pytest.raises(ConfigError, match=f"^invalid config: {field}: .*{why}") as info:
        parse_config(data, env={})
    assert "\n" not in str(info.value)


def test_store_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"invalid config: store.path: .* is a directory"):
        parse_config({"store": {"path": str(tmp_path)}}, env={})


@pytest.mark.parametrize(
    "data",
    [
        {"discord": {"api_base": "http://127.0.0.1:8765/api/v10"}},
        {"discord": {"gateway_url": "wss://gateway.discord.gg"}},
        {"sources": {"hotpapers_url_template": "https://x.org/p/{date}---Hot-Papers.md"}},
        {"schedule": {"default_timezone": "America/Argentina/Buenos_Aires"}},
        {"schedule": {"default_timezone": "Etc/GMT+5"}},
        {"sources": {"default": "hotpapers-md+arxiv"}},
    ],
)
def test_values_that_work_still_pass(data: dict[str, object]) -> None:
    parse_config(data, env={})


def test_store_path_in_an_existing_folder_passes(tmp_path: Path) -> None:
    new = tmp_path / "new.sqlite3"
    assert parse_config({"store": {"path": str(new)}}, env={}).store.path == str(new)
    new.write_bytes(b"")
    assert parse_config({"store": {"path": str(new)}}, env={}).store.path == str(new)


def test_the_default_source_is_checked_against_the_registry() -> None:
    from bot.sources import base, registry

    names = registry.REGISTRY.names
    assert names == ("hot", "hf", "hf+arxiv", "hotpapers-md", "hotpapers-md+arxiv")
    assert names == base.SOURCE_NAMES
    for name in names:
        assert parse_config({"sources": {"default": name}}, env={}).sources.default == name
    assert parse_config({}, env={}).sources.default == registry.DEFAULT == "hot"


# --- per-source sections, and the old flat keys ----------------------------------------------


def test_each_source_has_its_own_section(tmp_path: Path) -> None:
    from bot.sources.arxiv import ArxivSettings
    from bot.sources.hf import HFSettings
    from bot.sources.hotpapers_url import HotPapersSettings

    text = (
        "[sources]\nmax_retries = 2\n"
        '[sources.hf]\nbase_url = "http://hf.test"\npage_size = 7\n'
        '[sources.arxiv]\nbase_url = "http://arxiv.test"\nmin_interval_seconds = 0.5\n'
        f'[sources.hotpapers-md]\ndir = "{tmp_path}"\n'
    )
    f = tmp_path / "c.toml"
    f.write_text(text, encoding="utf-8")
    sources = load_config(f, env={}).sources
    assert sources.max_retries == 2
    assert sources.sections["hf"] == HFSettings(base_url="http://hf.test", page_size=7)
    assert sources.sections["arxiv"] == ArxivSettings(
        base_url="http://arxiv.test", min_interval_seconds=0.5
    )
    assert sources.sections["hotpapers-md"] == HotPapersSettings(dir=str(tmp_path))


def test_sections_left_out_are_their_defaults() -> None:
    sections = parse_config({}, env={}).sources.sections
    assert sorted(sections) == sorted(s.name for s in registry.REGISTRY.specs)
    assert sections["hf"].model_dump() == {"base_url": "https://huggingface.co", "page_size": 100}
    assert sections["arxiv"].model_dump() == {
        "base_url": "https://export.arxiv.org",
        "min_interval_seconds": 3.0,
        "rss_base_url": "https://rss.arxiv.org",
        "include_replacements": False,
        "page_size": 1000,
        "archives_per_feed": 4,
    }
    assert sections["hotpapers-md"].model_dump() == {"dir": "", "url_template": ""}


@pytest.mark.parametrize(
    ("old", "value", "section", "field"),
    [
        ("hf_base_url", "http://hf.test", "hf", "base_url"),
        ("hf_page_size", 9, "hf", "page_size"),
        ("arxiv_base_url", "http://arxiv.test", "arxiv", "base_url"),
        ("arxiv_min_interval_seconds", 0.0, "arxiv", "min_interval_seconds"),
        ("hotpapers_url_template", "http://x/{date}.md", "hotpapers-md", "url_template"),
    ],
)
def test_an_old_flat_key_still_works_and_says_where_it_moved(
    old: str, value: object, section: str, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="bot.config"):
        sources = parse_config({"sources": {old: value}}, env={}).sources
    assert getattr(sources.sections[section], field) == value
    assert caplog.messages == [
        f"config: sources.{old} is deprecated; write it as {field} under [sources.{section}]"
    ]


def test_an_old_key_beside_its_new_place_is_refused() -> None:
    data = {"sources": {"hf_base_url": "http://a.test", "hf": {"base_url": "http://b.test"}}}
    with pytest.raises(ConfigError) as info:
        parse_config(data, env={})
    assert str(info.value) == (
        "invalid config: sources.hf_base_url: moved to sources.hf.base_url, which is set too; "
        "remove hf_base_url"
    )


def test_an_old_key_merges_with_the_rest_of_its_section() -> None:
    data = {"sources": {"hf_page_size": 5, "hf": {"base_url": "http://b.test"}}}
    hf = parse_config(data, env={}).sources.sections["hf"]
    assert hf.model_dump() == {"base_url": "http://b.test", "page_size": 5}


def test_a_config_path_that_is_a_directory_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^invalid config: --config: .* is a directory"):
        load_config(tmp_path, env={})


@pytest.mark.slow
def test_a_config_path_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)  # opening it would block until a writer appears
    # In a child process, so the hang it used to be ends the test instead of the suite.
    code = f"from bot.config import load_config\nload_config({str(fifo)!r}, env={{}})"
    try:
        r = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("loading a FIFO as the config waited for a writer")
    assert "invalid config: --config:" in r.stderr and "not a regular file" in r.stderr


def test_an_unreadable_config_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, who reads any mode; so the read itself is made to fail as it does
    # for another user on a 0600 file of root's.
    f = tmp_path / "config.toml"
    f.write_text("", encoding="utf-8")

    def denied(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    with pytest.raises(ConfigError, match=r"^invalid config: --config: .*Permission denied"):
        load_config(f, env={})


def test_errors_in_a_file_name_the_field_then_the_file(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[sources]\ndefault = "hf-arxiv"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(f, env={})
    assert str(info.value).startswith("invalid config: sources.default: unknown source")
    assert str(info.value).endswith(f"(in {f})")


def test_a_store_url_selects_the_database_and_sqlite_stays_the_default() -> None:
    assert Config().store.location == "hotpapers.sqlite3"
    url = "postgresql://bot@db.example:5432/hp?sslmode=require"
    store = parse_config({"store": {"url": url}}, env={}).store
    assert (store.location, store.url) == (url, url)
    assert parse_config({"store": {"url": "POSTGRES://db/hp"}}, env={}).store.location == (
        "POSTGRES://db/hp"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mysql://bot:s3cret@db/hp", "mysql://"),
        ("db.example/hp", "it"),
        ("postgresql://", "postgresql://"),
    ],
)
def test_a_bad_store_url_is_refused_showing_only_its_scheme(url: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"store": {"url": url}}, env={})
    message = str(caught.value)
    assert message.startswith("invalid config: store.url: must be a database URL")
    assert message.endswith(f"; {shown} is not")
    assert "s3cret" not in message and "db.example" not in message


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[discord]\nshard_count = 2\nshard_ids = ["1"]\n', 'must be a number, not the text "1"'),
        ("[discord]\nshard_count = 2\nshard_ids = [true]\n", "must be a number, not true"),
        ('[schedule]\ntick_seconds = "5"\n', 'must be a number, not the text "5"'),
    ],
)
def test_quoted_numbers_are_refused_not_read_as_numbers(
    tmp_path: Path, toml: str, says: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert says in str(caught.value)
