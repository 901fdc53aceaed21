"""The source boundary: whatever goes wrong inside a source leaves it as one `SourceError`.

A parser meeting a body nobody foresaw (a number where a list was, a truncated feed, a null)
may raise any exception type. Callers (the scheduler, `/hot`, `hotpapers fetch`) contain
`SourceError`; anything else would escape them and stop unrelated work. So each source wraps
its work in `boundary(...)`: a `SourceError`, a user error or a `NoAnnouncement` (a day arXiv
announced nothing, a state rather than a failure) passes through unchanged, any other
`Exception` becomes an `UpstreamFormatError` with a plain sentence naming the source, the
original chained (`from exc`) for the log and never shown.

The sentence names the source by its `title` ("Hugging Face"), which the caller passes: a
source module knows its own, and code above the sources asks `bot.sources.registry.title`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.errors import NoAnnouncement, SourceError, UpstreamFormatError, UserInputError

log = logging.getLogger(__name__)


@contextmanager
def boundary(name: str, what: str, *, title: str) -> Iterator[None]:
    """Turn any exception but SourceError/UserInputError into a SourceError naming `title`.

    `what` says what was being done, for the sentence ("sent a day I could not read"); `name`
    is the source's short name, for the log.
    """
    try:
        yield
    except (SourceError, UserInputError, NoAnnouncement):
        raise
    except Exception as exc:
        detail = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("%s: %s: %s", name, what, detail, exc_info=exc)
        raise UpstreamFormatError(f"{title} {what}.", detail=detail) from exc
