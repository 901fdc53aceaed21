"""The project's exception hierarchy.

    HotPapersError            anything the project raises on purpose; its message is safe to show
     ├── DigestFormatError    a file or body that is not a Hot Papers digest (names file and line)
     ├── ConfigError          a bad setting (names the field)
     ├── SourceError          an upstream API failed or answered garbage
     │    ├── UpstreamFormatError   the body is not what the API documents
     │    └── UpstreamMissingError  the upstream says it has no such thing (a day, an id)
     ├── StoreError           the store refused an operation (e.g. a schema from the future)
     └── UserInputError       a bad command argument; shown to the user as an ephemeral reply
          ├── BusyError       too many member requests waiting for an upstream; try later
          └── NotKeptError    a day too old to fetch for a member and not in the store
    NoAnnouncement            not an error: arXiv announced nothing that day (a weekend, a holiday)

Every error a user can cause is one of these, so the CLI and the bot's error handler can show
its message verbatim and treat anything else as a bug (logged, answered with an apology).
`NoAnnouncement` is deliberately outside that tree: it is a state of the day, stated as the
day's outcome ("no arXiv announcement on Saturdays"), never counted against a source's health.
"""

from __future__ import annotations


class HotPapersError(Exception):
    """Base class: the message is meant for humans and never holds secrets."""


class DigestFormatError(HotPapersError):
    """Input that is not a Hot Papers digest: the message names the file and the line."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class ConfigError(HotPapersError):
    """A configuration value that fails validation: the message names the field."""


class SourceError(HotPapersError):
    """An upstream source failed (network, status, or garbage); nothing was stored.

    The message is one plain sentence naming the source ("Hugging Face did not answer within
    30 s."), safe to show. `detail` holds what only the log should see (URLs, body excerpts,
    exception text); the raw exception, when there is one, is chained as `__cause__`.
    """

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class UpstreamFormatError(SourceError):
    """The upstream answered, but with a body that is not what its API documents."""


class UpstreamMissingError(SourceError):
    """The upstream answered that it has no such thing (no post for a day): worth remembering."""


class StoreError(HotPapersError):
    """The store cannot do what was asked (e.g. the database is newer than this code)."""


class UserInputError(HotPapersError):
    """A bad argument to a command; the message says what is accepted."""


class BusyError(UserInputError):
    """Too many member requests are already waiting for an upstream; the member retries later.

    Raised at once instead of queueing, so member requests never pile up behind (or in front
    of) the scheduled fetch.
    """


class NotKeptError(UserInputError):
    """A day older than the fetch horizon that the store does not hold: it is not fetched."""


class NoAnnouncement(Exception):
    """arXiv announced nothing on the day asked for; `reason` says why, safe to show.

    Raised by a day source whose universe is arXiv's announcement (`bot.arxiv_calendar`), so
    that the scheduler, `/digest post-now` and `/hot` can record and say "no arXiv
    announcement on Saturdays" instead of "the source had none" or an outage. Not a
    `HotPapersError`: nothing failed, and nothing is retried.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
