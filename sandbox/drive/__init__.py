"""The parts of `sandbox.control.Control`, one module per thing it drives.

- `base`: what every part is handed (state, gateway, interaction book, fault books, rate
  limiter), `SandboxError`, and the lookups (a guild, channel, member, user or command by id);
- `world`: build the world (guilds, channels, threads, roles, members, overwrites, the clock);
- `users`: act as a user (a slash command, autocomplete, a button click) and collect the answer
  (`results.InteractionResult`);
- `readback`: read what the bot did (messages, commands, requests, the snapshot);
- `knobs`: faults, settings, gateway actions, reset.

This package's `__init__` imports nothing, so its modules may import each other freely
downward without a circle through it.
"""
