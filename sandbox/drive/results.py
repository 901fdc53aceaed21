"""`InteractionResult`: what the bot answered to one interaction, as a test reads it."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.flags import EPHEMERAL
from sandbox.interactions import Interaction
from sandbox.primitives import JSON
from sandbox.state import SandboxState


@dataclass
class InteractionResult:
    """What the bot answered to one interaction.

    `status` is one of:
      "answered"     the bot responded (message, autocomplete choices or modal), and, after a
                     defer, edited the original or sent a follow-up;
      "deferred"     the bot deferred but never completed within the timeout;
      "no_response"  nothing within the interaction deadline (Discord: "did not respond");
      "denied"       the member lacks the command's default_member_permissions: Discord does not
                     deliver the command at all, so the bot never saw it;
      "unavailable"  Discord does not offer the command in that context (a guild command in a
                     DM, a command without USER_INSTALL in a private channel, `contexts`);
      "unknown_command" no synced command has that name (Discord would not offer it).
    """

    status: str
    command: str
    interaction_id: int | None = None
    response_type: int | None = None
    response: JSON | None = None
    original: JSON | None = None
    followups: list[JSON] = field(default_factory=list)
    choices: list[JSON] | None = None
    ephemeral: bool = False
    ack_latency_ms: float | None = None
    latency_ms: float | None = None

    @property
    def messages(self) -> list[JSON]:
        """The original response message (if any) followed by the follow-ups."""
        return ([self.original] if self.original else []) + self.followups

    @property
    def content(self) -> str:
        """The text of the first message the user sees ("" if none)."""
        return str(self.messages[0].get("content", "")) if self.messages else ""

    @property
    def embeds(self) -> list[JSON]:
        """The embeds of every message, in order."""
        return [e for m in self.messages for e in m.get("embeds", [])]

    def to_json(self) -> JSON:
        """The result as JSON (for the HTTP control API)."""
        return {
            "status": self.status,
            "command": self.command,
            "interaction_id": str(self.interaction_id) if self.interaction_id else None,
            "response_type": self.response_type,
            "response": self.response,
            "original": self.original,
            "followups": self.followups,
            "choices": self.choices,
            "ephemeral": self.ephemeral,
            "ack_latency_ms": self.ack_latency_ms,
            "latency_ms": self.latency_ms,
        }

    @classmethod
    def of(
        cls, status: str, name: str, inter: Interaction, state: SandboxState
    ) -> InteractionResult:
        """The result of `inter` as it stands: its response, messages, choices and latencies."""

        def ms(at: float | None) -> float | None:
            return None if at is None else round((at - inter.created_at) * 1000, 3)

        original = state.messages.get(inter.original_id) if inter.original_id else None
        choices = None
        if inter.response_type == 8 and inter.response_data is not None:
            choices = list(inter.response_data.get("choices") or [])
        return cls(
            status=status,
            command=name,
            interaction_id=inter.id,
            response_type=inter.response_type,
            response=inter.response_data,
            original=original.to_json() if original else None,
            followups=[
                state.messages[i].to_json() for i in inter.followup_ids if i in state.messages
            ],
            choices=choices,
            ephemeral=bool(original and original.flags & EPHEMERAL),
            ack_latency_ms=ms(inter.responded_at),
            latency_ms=ms(inter.completed_at),
        )
