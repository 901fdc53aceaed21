"""Operations: the optional local HTTP endpoint with `/healthz` and Prometheus `/metrics`.

    metrics.py   `Metrics`: the `bot.observe.Observer` hooks as Prometheus metrics, one
                 registry per bot (so two bots in one process, or two tests, share nothing)
    health.py    `Health`: gateway connected, store writable (a real write), poster lease
                 held, each source's last outcome; 200 when healthy, 503 naming what failed
    server.py    `OpsServer`: the aiohttp site serving both, with its own error boundary

Off by default; `[ops] listen = "127.0.0.1:9108"` turns it on (`bot.config.OpsConfig`), and the
composition root (`bot.app.compose.build_bot`) starts it with the bot. Every field and metric
is documented in docs/operations.md. This package imports nothing from discord.py or
`bot.app`: what it needs of the running bot is handed in as plain callables.
"""
