"""The services' fixtures (real SQLite store in memory, manual clock, real `Publisher` over an
in-memory Discord) for delivery tests that go through a service too."""

from tests.services.conftest import clock, fake_discord, publisher, store  # noqa: F401
