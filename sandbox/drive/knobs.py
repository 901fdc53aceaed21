"""The conditions a test sets: REST and Cloudflare faults, settings, gateway actions, reset."""

# `timeout=` parameters decide an outcome, not just when to give up.
# ruff: noqa: ASYNC109

from __future__ import annotations

from typing import Any

from sandbox.cloudflare import CloudflareFault
from sandbox.drive.base import ControlBase, SandboxError
from sandbox.faults import Fault
from sandbox.primitives import JSON


class KnobControl(ControlBase):
    """The faults-and-settings part of `Control`."""

    def inject_fault(self, route: str = "*", **spec: Any) -> Fault:
        """Add a REST fault; see `sandbox.faults` (status, code, latency_ms, times, ...)."""
        return self.fault_book.add(route=route, **spec)

    def cloudflare_fault(
        self, route: str = "*", status: int = 502, times: int | None = 1
    ) -> CloudflareFault:
        """Answer matching requests with Cloudflare's HTML 502 or 504 page (see cloudflare.py)."""
        try:
            return self.cloudflare.add_fault(route, status, times)
        except ValueError as exc:
            raise SandboxError(str(exc)) from None

    def faults(self) -> list[Fault]:
        """The active REST faults, in the order they were added."""
        return list(self.fault_book.faults)

    def clear_faults(self, fault_id: int | None = None) -> None:
        """Remove one fault, or all."""
        self.fault_book.remove(fault_id)

    def configure(self, **settings: Any) -> JSON:
        """Change settings (names of `SandboxSettings`); returns them all."""
        try:
            self.state.settings.update(**settings)
        except KeyError as exc:
            raise SandboxError(str(exc.args[0])) from None
        return self.state.settings.to_json()

    async def gateway(self, action: str, resumable: bool = False) -> int:
        """ "reconnect" (op 7), "invalid_session" (op 9), "drop" or "silence" the connections."""
        gw = self.gw
        if action == "reconnect":
            return await gw.send_reconnect()
        if action == "invalid_session":
            return await gw.send_invalid_session(resumable)
        if action == "drop":
            return await gw.drop_connections()
        if action == "silence":
            return gw.silence()
        raise SandboxError(f"unknown gateway action {action!r}")

    async def wait_for_gateway(
        self, identifies: int = 0, resumes: int = 0, timeout: float = 10.0
    ) -> None:
        """Wait until the bot has identified / resumed that many times and is connected."""

        def reached() -> bool:
            s = self.gw.stats
            connected = any(c.session is not None and not c.silent for c in self.gw.connections)
            return s.identifies >= identifies and s.resumes >= resumes and connected

        await self.state.wait_for(reached, timeout)

    async def reset(self, full: bool = False) -> None:
        """Forget messages, requests, faults, interactions and rate-limit counts.

        With `full`, also forget guilds, commands and gateway sessions, as a fresh sandbox.
        """
        s = self.state
        if full:
            s.clear()
            self.gw.reset()
            await self.gw.close_all(4000)
        else:
            s.messages.clear()
            s.nonces.clear()
            s.requests.clear()
            for ids in s.channel_messages.values():
                ids.clear()
            s.forgot_messages()
        self.fault_book.remove()
        self.cloudflare.reset()
        self.limiter.reset()
        self.interactions.clear()
        self.denied.clear()
        await s.notify()
