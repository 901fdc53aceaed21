"""Discord's numbers the sandbox uses: permission bits, intents, channel types, flags.

Values are Discord's own (permissions.mdx "Bitwise Permission Flags", channel.mdx "Channel
Types" and "Channel Flags", message.mdx "Message Flags"); plain ints, no behaviour.
"""

from __future__ import annotations

# Permission bits used by the sandbox (Discord's values).
ADMINISTRATOR = 1 << 3
ALL_PERMISSIONS = (1 << 51) - 1
# What a fresh guild's @everyone role gets on Discord (view channel, send messages, history, ...).
DEFAULT_EVERYONE_PERMISSIONS = 2_248_473_465_835_073
# Privileged gateway intents: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)

# More permission bits (permissions.mdx "Bitwise Permission Flags").
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
MANAGE_ROLES = 1 << 28
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

# Channel types.
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GROUP_DM = 3
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_STAGE_VOICE = 13
GUILD_FORUM = 15
GUILD_MEDIA = 16
THREAD_TYPES = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
THREAD_ONLY_TYPES = (GUILD_FORUM, GUILD_MEDIA)  # posts (threads) only, no plain messages
# Channel flags.
REQUIRE_TAG = 1 << 4

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7
