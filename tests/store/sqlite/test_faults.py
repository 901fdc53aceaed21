"""Start-up and storage faults: one line and exit code 2 within seconds; write faults while
running are logged once, shown as the store's write health, and recover (issue 11).

Making a store unwritable honestly: the tests run as root here, and root writes through file
modes (CAP_DAC_OVERRIDE). So the CLI runs in a child process whose capability bounding set
lacks CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (`prctl(PR_CAPBSET_DROP)` before exec): still
uid 0, but the kernel now applies the 0444 / 0555 / 0000 modes to it as to any user. Run as
a normal user, no capability needs dropping. A disk that fills while the bot runs is SQLite's
own SQLITE_FULL, raised through the same write path by `PRAGMA max_page_count`.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.models import Digest, Paper
from bot.store import open_store
from bot.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "bot" / "data" / "hot-papers-2021-03-12.md"
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _drop_dac() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _can_drop() -> bool:
    r = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_drop_dac, check=False, capture_output=True
    )
    return r.returncode == 0


def hotpapers(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS`, as a process that file modes apply to (see the module docstring)."""
    preexec: Callable[[], None] | None = None
    if os.geteuid() == 0:
        if not _can_drop():
            pytest.skip("running as root without CAP_SETPCAP: cannot make a file unwritable")
        preexec = _drop_dac
    environ = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ,
        timeout=60,  # a bound, so a hang fails the test instead of stalling the suite
        preexec_fn=preexec,
        check=False,
    )


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A good store and broken copies of it (the modes are restored for cleanup)."""
    good = tmp_path / "good.sqlite3"

    async def fill() -> None:
        async with open_store(good) as store:
            for day in range(1, 6):
                await store.save_digest(_big_digest(day))

    asyncio.run(fill())  # a migrated store of ~1 MB, closed (WAL checkpointed)
    out: dict[str, Path] = {"good": good}
    data = good.read_bytes()
    out["random"] = tmp_path / "random.sqlite3"
    out["random"].write_bytes(os.urandom(8192))
    out["truncated"] = tmp_path / "truncated.sqlite3"
    out["truncated"].write_bytes(data[: len(data) // 3])
    out["file-0444"] = tmp_path / "readonly.sqlite3"
    out["file-0444"].write_bytes(data)
    out["file-0444"].chmod(0o444)
    folder = tmp_path / "readonly-folder"
    folder.mkdir()
    (folder / "h.sqlite3").write_bytes(data)
    folder.chmod(0o555)
    out["folder-0555"] = folder / "h.sqlite3"
    out["unreadable-0000"] = tmp_path / "unreadable.sqlite3"
    out["unreadable-0000"].write_bytes(data)
    out["unreadable-0000"].chmod(0)
    yield out
    folder.chmod(0o755)


BROKEN = {
    "random": "the file is not a SQLite database",
    "truncated": "the database file is damaged",
    "file-0444": "the store is read-only",
    "folder-0555": "the store is read-only",
    "unreadable-0000": "the database file cannot be opened",
}


def _config(tmp_path: Path, db: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[store]\npath = "{db}"\n', encoding="utf-8")
    return config


# Every kind through `import`, and each kind through `run` or `fetch` too (a subprocess costs
# seconds on a busy machine; the store is opened the same way by all three).
CASES = [("import", kind) for kind in sorted(BROKEN)] + [
    ("run", "file-0444"),
    ("run", "truncated"),
    ("run", "unreadable-0000"),
    ("fetch", "folder-0555"),
    ("fetch", "random"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("command", "kind"), CASES)
def test_a_broken_store_is_one_line_and_exit_2(
    stores: dict[str, Path], tmp_path: Path, kind: str, command: str
) -> None:
    db = stores[kind]
    args = {
        "run": ["run", "--config", str(_config(tmp_path, db))],
        "import": ["import", str(SAMPLE), "--db", str(db)],
        "fetch": ["fetch", "--date", "2021-03-12", "--db", str(db)],
    }[command]
    r = hotpapers(*args, env={"DISCORD_TOKEN": "not-used"})
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, r.stderr
    assert lines == [f"hotpapers {command}: error: store {db}: {BROKEN[kind]}"] or (
        len(lines) == 1
        and lines[0].startswith(f"hotpapers {command}: error: store {db}: ")
        and BROKEN[kind] in lines[0]
    ), r.stderr


@pytest.mark.slow
def test_an_empty_store_path_does_not_hang_the_cli(tmp_path: Path) -> None:
    r = hotpapers("import", str(SAMPLE), "--db", "")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "hotpapers import: error: store path is empty: give the SQLite file, e.g. hotpapers.sqlite3"
    ]


@pytest.mark.slow
def test_a_good_store_still_works_under_the_same_conditions(stores: dict[str, Path]) -> None:
    r = hotpapers("import", str(SAMPLE), "--db", str(stores["good"]), "--quiet")
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_preview_reads_a_read_only_store(stores: dict[str, Path]) -> None:
    db = stores["file-0444"]
    db.chmod(0o644)
    assert hotpapers("import", str(SAMPLE), "--db", str(db), "--quiet").returncode == 0
    db.chmod(0o444)
    r = hotpapers("preview", "--date", "2021-03-12", "--db", str(db))
    assert r.returncode == 0, r.stderr
    assert "Hot Papers 2021-03-12" in r.stdout


@pytest.mark.parametrize("kind", ["random", "truncated"])
async def test_open_store_refuses_a_damaged_file(stores: dict[str, Path], kind: str) -> None:
    with pytest.raises(StoreError, match=BROKEN[kind]):
        async with open_store(stores[kind]):
            pass


@pytest.mark.parametrize("path", ["", "  "])
async def test_open_store_refuses_an_empty_path(path: str) -> None:
    with pytest.raises(StoreError, match="store path is empty"):
        async with open_store(path):
            pass


async def test_open_store_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory"):
        async with open_store(tmp_path):
            pass


# --- a store that becomes unwritable while running ------------------------------------------


def _big_digest(day: int) -> Digest:
    papers = [
        Paper(arxiv_id=f"2101.{day:02d}{i:03d}", title=f"Paper {i}", abstract="a" * 2000, score=i)
        for i in range(60)
    ]
    return Digest(day=date(2021, 1, day), source="t", papers=papers)


async def _fill_the_disk(store: SqliteStore) -> None:
    """From now on the file may not grow: SQLITE_FULL, as on a full disk."""
    assert store._reader is not None
    pages = store._reader.execute("PRAGMA page_count").fetchone()[0]
    await store._db.execute(f"PRAGMA max_page_count = {pages}")


async def _free_the_disk(store: SqliteStore) -> None:
    await store._db.execute("PRAGMA max_page_count = 1073741823")


async def test_a_store_that_fills_up_is_logged_once_shown_and_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store.sqlite")
    async with open_store(tmp_path / "s.sqlite3") as store:
        assert isinstance(store, SqliteStore)
        assert store.write_health().ok
        await store.save_digest(_big_digest(1))
        await _fill_the_disk(store)
        for day in range(2, 6):  # every tick tries again
            with pytest.raises(StoreError, match=r"^the disk is full$"):
                await store.save_digest(_big_digest(day))
        health = store.write_health()
        assert not health.ok and health.reason == "the disk is full" and health.failures == 4
        assert health.since is not None
        assert "cannot be written" in health.line() and "the disk is full" in health.line()
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "the disk is full" in errors[0].getMessage()
        assert all(r.exc_info is None for r in caplog.records)  # no traceback
        # Reads still work while writes fail.
        assert await store.get_digest("t", date(2021, 1, 1)) is not None
        await _free_the_disk(store)
        await store.save_digest(_big_digest(6))
        assert store.write_health().ok and store.write_health().line() == "Store: writable"
        assert any("work again" in r.getMessage() for r in caplog.records)
        assert await store.get_digest("t", date(2021, 1, 6)) is not None
        assert await store.get_digest("t", date(2021, 1, 3)) is None  # nothing half-written
