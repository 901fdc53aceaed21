"""The third-party parsers the sources import on first use, and the check that they are there.

The sources import YAML and front matter (`hotpapers_md`) and defusedxml (`arxiv`,
`arxiv_listing`) on the first post or feed they parse, not with the module: a bot served from
its store never loads them (docs/benchmarks.md, "Fourth pass: memory"). A missing one then
fails only at that first parse, inside the source's boundary, where it read as upstream's
fault ("arXiv sent metadata that could not be read") at every tick of a bot that started
fine. `hotpapers run` therefore asks for them at start: `find_spec` locates a package without
importing it, so the check keeps the saving.
"""

from __future__ import annotations

import importlib.util

PACKAGES = ("defusedxml", "frontmatter", "yaml")  # imported lazily by bot/sources/


def missing() -> list[str]:
    """The lazily imported packages this installation cannot find, in `PACKAGES` order."""
    return [name for name in PACKAGES if importlib.util.find_spec(name) is None]
