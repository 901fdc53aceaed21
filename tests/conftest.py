"""Shared fixtures: paths to the real data in ../shared (skipped with a reason when absent)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
HOTPAPERS = SHARED / "data" / "hotpapers"
SPEC = SHARED / "discord-api-spec" / "openapi.json"


@pytest.fixture
def shared_hotpapers() -> Path:
    """The folder of real Hot Papers posts; skips when ../shared is not beside the checkout."""
    if not HOTPAPERS.is_dir():
        pytest.skip(f"real data not available: {HOTPAPERS} is absent (clone without ../shared)")
    return HOTPAPERS


def _spec_path() -> Path:
    """Discord's official spec from ../shared, or the copy bundled with the sandbox."""
    if SPEC.is_file():
        return SPEC
    return ROOT / "sandbox" / "spec" / "openapi.json"


@pytest.fixture(scope="session")
def message_validator() -> Callable[[dict[str, Any]], list[str]]:
    """Validate a message payload against MessageCreateRequest plus the 6000/2000/10 rules."""
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    from bot.limits import payload_violations

    path = _spec_path()
    if not path.is_file():
        pytest.skip(f"Discord's OpenAPI spec not available at {path}")
    spec = json.loads(path.read_text(encoding="utf-8"))
    uri = "urn:discord-spec"
    registry: Registry[Any] = Registry().with_resource(uri, DRAFT202012.create_resource(spec))
    validator = Draft202012Validator(
        {"$ref": f"{uri}#/components/schemas/MessageCreateRequest"}, registry=registry
    )

    def check(payload: dict[str, Any]) -> list[str]:
        problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(payload)]
        return problems + payload_violations(payload)

    return check


def _load_contract_check() -> Any:
    """tests/contract/check.py, loaded by path (the suite runs with --import-mode=importlib)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "contract_check", ROOT / "tests" / "contract" / "check.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_contract = _load_contract_check()


@pytest.fixture(autouse=True)
def contract_check(request: pytest.FixtureRequest) -> Any:
    """Validate every payload the sandbox emits in this test against discord-api-types
    (tests/contract/); the test fails on a violation. `@pytest.mark.no_contract` opts out."""
    from sandbox import observe

    check = _contract.ContractCheck()
    with observe.watching(check):
        yield check
    if check.problems and request.node.get_closest_marker("no_contract") is None:
        shown = "\n  ".join(check.problems[:20])
        pytest.fail(
            f"the sandbox emitted {len(check.problems)} payload(s) that break discord-api-types:"
            f"\n  {shown}",
            pytrace=False,
        )


# --- test tiers ---------------------------------------------------------------------------
# `pytest` runs everything; `pytest -m "not slow"` is the fast tier, which starts no process.
# An audit hook (it cannot be removed, so it only records) notes every process a test starts;
# when the slow tier is deselected, a test that started one fails, naming the marker it needs.

_SPAWN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.fork",
        "os.forkpty",
        "os.posix_spawn",
        "os.exec",
        "os.spawn",
        "os.system",
    }
)
_spawned: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event in _SPAWN_EVENTS:
        _spawned.append(event)


sys.addaudithook(_audit)


_SPAWN_START = pytest.StashKey[int]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Count from before the test's fixtures, the module- and session-scoped ones too."""
    item.stash[_SPAWN_START] = len(_spawned)


@pytest.fixture(autouse=True)
def _fast_tier_starts_no_process(request: pytest.FixtureRequest) -> Any:
    """In the fast tier (`-m "not slow"`), a test that starts a process fails: mark it slow."""
    before = request.node.stash.get(_SPAWN_START, len(_spawned))
    yield
    expression = request.config.getoption("markexpr", "") or ""
    if "not slow" not in expression or request.node.get_closest_marker("slow") is not None:
        return
    started = _spawned[before:]
    if started:
        pytest.fail(
            f"this test started a process ({started[0]}) in the fast tier: mark it "
            "@pytest.mark.slow",
            pytrace=False,
        )
