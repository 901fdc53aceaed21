"""Holder ids of the poster lease and who is known to be gone (`bot.app.lease`)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.app.lease import holder_is_gone, new_holder


@pytest.mark.slow
def test_holder_ids_and_who_is_known_to_be_gone() -> None:
    me = new_holder()
    host, pid, token = me.rsplit(":", 2)
    assert pid.isdigit() and len(token) == 8
    assert holder_is_gone(me, me=me) is False
    assert holder_is_gone(f"{host}:{pid}:00000000", me=me) is True  # an earlier start, same PID
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = int(child.stdout)  # exited and reaped
    assert holder_is_gone(f"{host}:{dead}:abcdabcd", me=me) is True
    assert holder_is_gone(f"{host}:{os.getppid()}:abcdabcd", me=me) is False  # running
    assert holder_is_gone(f"elsewhere:{dead}:abcdabcd", me=me) is False  # another host: unknown
    assert holder_is_gone("garbage", me=me) is False
