"""The locked install: the README's two commands, `.ci/run` and the locks agree.

`.ci/run` must run exactly the README's test command (so CI proves what a newcomer types), both
README commands must install from a lock with `--require-hashes`, and every requirement that
`pyproject.toml` declares must be pinned, with hashes, in the lock its command installs from,
at a version its range allows (else `.ci/lock` was not run after a dependency changed).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def readme_command(heading: str) -> str:
    """The one-line `sh` block that follows the bold `heading` in the README."""
    start = README.index(f"**{heading}**")
    block = re.search(r"```sh\n(.*?)\n```", README[start:], re.DOTALL)
    assert block is not None, heading
    lines = block.group(1).splitlines()
    assert len(lines) == 1, f"{heading}: the command must stay one line, got {lines}"
    return lines[0]


def pins(lock: str) -> dict[str, tuple[Version, str]]:
    """Each package pinned in a lock: its version and its whole entry (with the hashes)."""
    text = (ROOT / "requirements" / lock).read_text("utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)
    out: dict[str, tuple[Version, str]] = {}
    for entry in entries:
        m = _PIN.match(entry)
        if m is not None:
            out[canonicalize_name(m.group(1))] = (Version(m.group(2)), entry)
    return out


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    command = readme_command("Run the tests")
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert command in ci
    assert "pytest" in command


@pytest.mark.parametrize(
    ("heading", "lock"),
    [("Try it, offline, no token", "runtime.lock"), ("Run the tests", "dev.lock")],
)
def test_each_readme_command_installs_exactly_its_lock(heading: str, lock: str) -> None:
    command = readme_command(heading)
    assert f"pip install --require-hashes -r requirements/{lock} " in command
    # the project itself on top, adding nothing the lock did not say
    assert "pip install --no-deps -e . " in command
    assert command.index(f"requirements/{lock}") < command.index("--no-deps -e .")


def _declared(extra: str | None) -> list[Requirement]:
    project = PYPROJECT["project"]
    names = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(r) for r in names]


@pytest.mark.parametrize(
    ("lock", "extras"), [("runtime.lock", [None]), ("dev.lock", [None, "dev"])]
)
def test_every_declared_requirement_is_pinned_with_hashes_in_range(
    lock: str, extras: list[str | None]
) -> None:
    pinned = pins(lock)
    for extra in extras:
        for req in _declared(extra):
            name = canonicalize_name(req.name)
            assert name in pinned, f"{req} is not in requirements/{lock}: run .ci/lock"
            version, entry = pinned[name]
            assert req.specifier.contains(version, prereleases=True), (
                f"requirements/{lock} pins {name}=={version}, outside {req}: run .ci/lock"
            )
            assert "--hash=sha256:" in entry, f"{name} has no hash in requirements/{lock}"


@pytest.mark.parametrize("lock", ["runtime.lock", "dev.lock"])
def test_every_pinned_package_has_hashes(lock: str) -> None:
    pinned = pins(lock)
    assert pinned
    assert [n for n, (_, entry) in pinned.items() if "--hash=sha256:" not in entry] == []


def test_the_runtime_lock_carries_no_dev_tool() -> None:
    runtime = pins("runtime.lock")
    dev_only = {canonicalize_name(r.name) for r in _declared("dev")}
    assert dev_only.isdisjoint(runtime)


def test_the_license_file_matches_pyproject() -> None:
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The HotPapers contributors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
