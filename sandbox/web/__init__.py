"""The sandbox in a browser: a page served at `/` that shows the guilds and channels and renders
each channel's messages the way Discord does (markdown, embeds, threads, ephemeral replies),
updated live over server-sent events, with a command box and clickable buttons that act
through the control API.

- `readout`: the JSON the page reads (the world, a channel's messages as rendered);
- `stream`: the live event stream, fed by `sandbox.feed`;
- `site`: `WebView`, the routes (the page, its static files, the read-out, the stream);
- `static/`: index.html, style.css and the JavaScript modules (package data, no build step).

This package's `__init__` imports nothing.
"""
