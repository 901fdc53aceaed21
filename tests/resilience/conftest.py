"""The end-to-end fixtures of tests/app (sandbox, store with the sample, fake clock), shared."""

from tests.app.conftest import clock, sandbox, store

__all__ = ["clock", "sandbox", "store"]
