"""Every benchmark's `--help` explains each of its flags (a flag without help shows only its
name there). The scripts' parsers are caught as they parse, not run."""

from __future__ import annotations

import argparse
import importlib

import pytest

SCRIPTS = ["commands", "memory", "fanout", "imports", "callgrind", "search", "store"]
CHILDREN = ["_botproc", "_floor"]


class Caught(Exception):
    """Raised in place of parsing, with the parser."""


def parser_of(name: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    def catch(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise Caught(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", catch)
    module = importlib.import_module(name)
    build = module.main if name in CHILDREN else lambda: module.parse_args([])
    with pytest.raises(Caught) as caught:
        build()
    parser = caught.value.args[0]
    assert isinstance(parser, argparse.ArgumentParser)
    return parser


@pytest.mark.parametrize("name", SCRIPTS + CHILDREN)
def test_every_flag_has_help(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parser = parser_of(name, monkeypatch)
    flags = [a for a in parser._actions if a.option_strings]
    assert len(flags) > 2
    assert [a.option_strings for a in flags if not a.help] == []
