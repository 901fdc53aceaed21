"""The REST routes under /api/v10, one module per resource, assembled by `sandbox.rest`.

- `request`: the parsed body and files of a request, and how a message reads back;
- `access`: the channel or message a path names, as the bot may see it, and permission checks;
- `posting`: building, editing and announcing messages (shared by messages, threads, webhooks);
- `identity`, `commands`, `channels`, `messages`, `threads`, `interactions`: the routes.

This package's `__init__` imports nothing, so its modules may import each other freely
downward without a circle through it.
"""
