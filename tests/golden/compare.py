"""Comparing with a golden file: exactly, or rewriting it under UPDATE_GOLDEN=1 (see README)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def golden(name: str, data: Any) -> None:
    """Compare `data` with `<name>.json` exactly (or write it, under UPDATE_GOLDEN=1)."""
    path = HERE / f"{name}.json"
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"{path.name} is missing: run with UPDATE_GOLDEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{path.name} differs from what users now see; if meant, regenerate with "
        "UPDATE_GOLDEN=1 and review `git diff tests/golden`"
    )
