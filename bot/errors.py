"""The project's exception hierarchy.

    HotPapersError            anything the project raises on purpose; its message is safe to show
     ├── DigestFormatError    a file or body that is not a Hot Papers digest (names file and line)
     ├── ConfigError          a bad setting (names the field)
     ├── SourceError          an upstream API failed or answered garbage
     │    └── UpstreamFormatError  the body is not what the API documents
     ├── StoreError           the store refused an operation (e.g. a schema from the future)
     └── UserInputError       a bad command argument; shown to the user as an ephemeral reply

Every error a user can cause is one of these, so the CLI and the bot's error handler can show
its message verbatim and treat anything else as a bug (logged, answered with an apology).
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
    """An upstream source failed (network, status, or garbage); nothing was stored."""


class UpstreamFormatError(SourceError):
    """The upstream answered, but with a body that is not what its API documents."""


class StoreError(HotPapersError):
    """The store cannot do what was asked (e.g. the database is newer than this code)."""


class UserInputError(HotPapersError):
    """A bad argument to a command; the message says what is accepted."""
