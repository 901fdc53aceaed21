"""A real PostgreSQL server for the tests, started by the tests themselves, once per session.

`server()` finds the machine's PostgreSQL binaries (`initdb`, `pg_ctl` on PATH or in
/usr/lib/postgresql/*/bin, newest first), runs `initdb` into a fresh temporary folder and
`pg_ctl start` on a free port of 127.0.0.1 (no Unix socket), and stops it, removing the folder,
when the test process exits. Each test gets a schema of its own (`PgServer.schema`), which is
far faster than a database per test; `PgServer.url(schema)` is a store location whose
`search_path` is that schema. A test that needs the server and finds no binaries is skipped,
saying so (`pytest.skip`); .ci/run installs them.

PostgreSQL refuses to run as root, and the tests run as root here and in CI: then the server's
binaries run as the `postgres` system user (which Debian's package creates) and the folder is
handed to it. The server is tuned for tests (no fsync): a crash of the machine may lose it,
which costs nothing but the test run.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "postgres"
DATABASE = "postgres"
SERVER_USER = "postgres"  # the system user the server runs as when the tests run as root
NO_SERVER = (
    "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin: "
    "install them (Debian: apt-get install postgresql) to run the PostgreSQL store tests"
)


def find_bindir() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`, or None."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def major(path: str) -> int:
        m = re.search(r"/postgresql/(\d+)/", path)
        return int(m.group(1)) if m else 0

    for initdb in sorted(found, key=major, reverse=True):
        folder = Path(initdb).parent
        if (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PgServer:
    """One running server: its folder, port and the schemas handed out so far."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="hotpapers-pg-"))
        self.data = self.folder / "data"
        self.port = 0
        self._as_user: dict[str, Any] = {}
        self._schemas = 0
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _run(self, args: Sequence[str], timeout: float = 120) -> None:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.folder,
            timeout=timeout,
            check=False,
            **self._as_user,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}")

    def start(self) -> None:
        """initdb, then start on a free port (another one if that port was taken meanwhile)."""
        self._run(
            [
                *("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust"),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ]
        )
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                " -c max_connections=300"
            )
            try:
                self._run(
                    [
                        *("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data)),
                        *("-l", str(self.folder / "server.log"), "-o", options),
                    ]
                )
                return
            except RuntimeError:
                if attempt == 4:
                    raise

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and remove its folder."""
        if self.data.exists():
            with contextlib.suppress(Exception):
                self._run(["pg_ctl", "stop", "-D", str(self.data), "-m", "immediate"], 60)
        shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, database: str = DATABASE) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def url(self, schema: str) -> str:
        """A store location on `schema` of the server's database."""
        return f"{self.dsn()}?search_path={schema}"

    def schema(self, prefix: str = "t") -> str:
        """Create a new, empty schema and return its name."""
        self._schemas += 1
        name = f"{prefix}_{os.getpid()}_{self._schemas}"
        run_sql(self.dsn(), f'CREATE SCHEMA "{name}"')
        return name


def run_sql(dsn: str, sql: str, *args: Any) -> None:
    """Run one statement on its own connection, from synchronous code (a harness's raw rows):
    in a thread with its own event loop, since the caller may be inside one."""
    import asyncpg

    async def go() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql, *args)
        finally:
            await conn.close()

    with_loop = _worker()
    with_loop.submit(asyncio.run, go()).result(timeout=60)


_pool: Any = None


def _worker() -> Any:
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-raw")
    return _pool


_server: PgServer | None = None
_failed: str | None = None


def server() -> PgServer:
    """The session's server, started on first use; skips the test when none can run."""
    global _server, _failed
    if _server is not None:
        return _server
    if _failed is not None:
        pytest.fail(_failed)
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(NO_SERVER)
    try:
        started = PgServer(bindir)
    except KeyError:
        _failed = (
            f"the tests run as root and there is no {SERVER_USER!r} system user to run "
            "PostgreSQL as (Debian's postgresql package creates it)"
        )
        pytest.fail(_failed)
    try:
        started.start()
    except Exception as exc:
        started.stop()
        _failed = f"the test PostgreSQL server did not start: {exc}"
        pytest.fail(_failed)
    atexit.register(started.stop)
    _server = started
    return started
