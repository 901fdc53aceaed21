"""What the engine needs of Discord: the `Sender` protocol, messages read back, nonces.

`bot.app.sender.DiscordSender` implements `Sender` over discord.py; tests script it. A
message read back (`SeenMessage`) says who posted it (`author`), so the recovery scan can
adopt only what the step it stands for would have posted: the bot's own plain messages for a
channel or thread message, one webhook's messages for a webhook target. Command replies,
other users' and other webhooks' messages are never adopted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

Payload = dict[str, Any]
NONCE_CHARS = 25

BOT = "bot"  # the bot's own plain message (type 0, not a command reply, not a webhook's)
REPLY = "reply"  # the bot's answer to a command, or a system message: never a post's
OTHER = "other"  # someone else (a user, another bot), or an author the sender cannot tell


def webhook_author(webhook_id: int) -> str:
    """The attribution of a message posted through webhook `webhook_id`."""
    return f"webhook:{webhook_id}"


@dataclass(frozen=True)
class SeenMessage:
    """A message read back from a channel: id, nonce if echoed, fingerprint, who posted it.

    `author` is `BOT`, `REPLY`, `OTHER` or `webhook_author(id)`; `edited` is True once the
    message was edited after it was posted (its nonce no longer vouches for its content).
    """

    id: int
    nonce: str | None
    fingerprint: str
    author: str
    edited: bool = False


class Sender(Protocol):
    """The Discord operations posting needs (implemented over discord.py's HTTP client)."""

    async def send(self, channel_id: int, payload: Payload, *, nonce: str) -> int:
        """Post `payload` with `nonce` and `enforce_nonce`; return the message id."""
        ...

    async def create_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """Open (or find the already opened) thread on a message; return the thread id."""
        ...

    async def recent(self, channel_id: int, *, after: datetime | None) -> list[SeenMessage]:
        """The messages in a channel since `after`, oldest first, each attributed."""
        ...

    async def delete(self, channel_id: int, message_id: int) -> None:
        """Delete one of the bot's messages; an already deleted one is not an error."""
        ...

    async def exists(self, channel_id: int, message_id: int) -> bool:
        """Whether a message is still there (False once it or its channel was deleted)."""
        ...


def nonce_for(
    subscription_id: int, channel_id: int, day: date, part: int = 0, generation: int = 0
) -> str:
    """The deterministic nonce of message `part` of (subscription, channel, day): 25 hex
    characters.

    The subscription's id is part of it, so two digests of one channel posting the same day
    (a daily one and a weekly one) never share a nonce (Discord would hand the second the
    first's message). `generation` > 0 (a post started afresh) gives new nonces, so
    Discord's dedup cannot hand back a message of the deleted attempt.
    """
    key = f"{subscription_id}/{channel_id}:{day.isoformat()}" + (f":{part}" if part else "")
    if generation:
        key += f"#{generation}"
    return hashlib.sha256(key.encode()).hexdigest()[:NONCE_CHARS]


_PING = re.compile(r"\A<@&[0-9]{1,20}> ?")


def fingerprint(message: Payload) -> str:
    """A short hash of what identifies a posted message: content and embed titles/text.

    Works on a payload we send and on a message object read back, so the two can be matched.
    """
    # A post's role ping (`bot.delivery.roles`) is decided from scores that may change between
    # a crash and the resume (a 👍 vote with `server_votes`): the first message is the same
    # message with or without it, so it is not part of what identifies the message.
    parts = [_PING.sub("", str(message.get("content") or ""), count=1).strip()]
    for embed in message.get("embeds") or []:
        parts.append(str(embed.get("title") or "").strip())
        parts.append(str(embed.get("description") or "").strip())
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
