-- 0004: a subscription's format names a delivery target (`bot.delivery.targets.TARGETS`).
-- The CHECK (format IN ('compact', 'detailed')) of 0001 made every new target a schema change;
-- the names are now checked where subscriptions are made (the subscriptions service), and a
-- stored name no target knows fails that channel's post with a stated reason. SQLite cannot
-- drop a CHECK, so the table is rebuilt with every row and column kept.
CREATE TABLE subscriptions_new (
    channel_id      INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    post_time       TEXT NOT NULL,           -- HH:MM local
    timezone        TEXT NOT NULL,           -- IANA
    categories      TEXT NOT NULL DEFAULT '[]',
    max_papers      INTEGER NOT NULL,
    format          TEXT NOT NULL CHECK (length(format) BETWEEN 1 AND 32),
    min_score       REAL NOT NULL DEFAULT 0,
    keywords        TEXT NOT NULL DEFAULT '[]',
    post_empty      INTEGER NOT NULL DEFAULT 1,
    source          TEXT NOT NULL DEFAULT 'default',
    enabled         INTEGER NOT NULL DEFAULT 1,
    failing_reason  TEXT,
    created_at      TEXT NOT NULL,
    failing_at      TEXT
);
INSERT INTO subscriptions_new (
    channel_id, guild_id, post_time, timezone, categories, max_papers, format, min_score,
    keywords, post_empty, source, enabled, failing_reason, created_at, failing_at
)
SELECT
    channel_id, guild_id, post_time, timezone, categories, max_papers, format, min_score,
    keywords, post_empty, source, enabled, failing_reason, created_at, failing_at
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id);
