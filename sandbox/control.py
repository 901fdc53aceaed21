"""The in-process control API: what a test (or the HTTP control API) does to the sandbox.

Build the world (guilds, channels, roles, members), act as a user (run a slash command, type
into an autocomplete option, click a button) and read back what the bot did (its answer with
latency, channel messages, every request), inject faults, change settings, reset. Everything
that the bot would see on Discord is announced over the gateway (GUILD_CREATE, ...).

`Control` is one object with a method per control route, assembled from one part per thing it
drives (`sandbox.drive`: world, users, readback, knobs). Its constructor takes the pieces it
drives, not the sandbox.
"""

from __future__ import annotations

from sandbox.drive.base import SandboxError
from sandbox.drive.knobs import KnobControl
from sandbox.drive.readback import ReadControl
from sandbox.drive.results import InteractionResult
from sandbox.drive.users import UserControl
from sandbox.drive.world import WorldControl

__all__ = ["Control", "InteractionResult", "SandboxError"]


class Control(WorldControl, UserControl, ReadControl, KnobControl):
    """Drive one sandbox from Python; every method mirrors a route of the HTTP control API.

    Built by `sandbox.app.Sandbox` as `Control(state, gateway, interactions, faults,
    cloudflare, limiter)` (`sandbox.drive.base.ControlBase`).
    """
