-- 0006: several digests per channel, on any cadence (issue 14).
--
-- A subscription gets an integer `id` (the store's key and the ledger's) and a `name`, unique
-- per channel (UNIQUE (channel_id, name)); today's subscriptions keep every value, are named
-- 'daily' with cadence 'daily', and get ids 1, 2, … in channel order. New columns: cadence and
-- weekday (`bot.cadence`), paused and resumed_at (`/digest pause`, `resume`), role pings (role_id, ping,
-- ping_min_score, self_roles), late_risers, user_id (a personal digest), server_votes.
--
-- The post ledger is keyed by (subscription_id, day): exactly once per subscription and period
-- (`day` is the period's key day). Every existing post gets its channel's subscription id. The
-- posts of a channel that has no subscription any more (unsubscribed: its history is kept) get
-- an id of their own, one per channel, numbered after the subscriptions' ids: no subscription
-- has it, so that history stays readable by channel and guild (`/digest history`, `/paper`)
-- and no new subscription inherits it. Ids are never reused: the store gives a new
-- subscription 1 + the largest id in subscriptions or posts (`bot.store.subscriptions`), so a
-- deleted subscription's history stays its own, and a copy (`migrate-store`) keeps all of it.
-- SQLite cannot change a primary key, so both tables are rebuilt with every row kept.
CREATE TABLE subscriptions_new (
    id              INTEGER PRIMARY KEY,
    channel_id      INTEGER NOT NULL,
    guild_id        INTEGER NOT NULL,
    name            TEXT NOT NULL DEFAULT 'daily' CHECK (length(name) BETWEEN 1 AND 32),
    cadence         TEXT NOT NULL DEFAULT 'daily',
    weekday         INTEGER NOT NULL DEFAULT 0 CHECK (weekday BETWEEN 0 AND 6),
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
    paused          INTEGER NOT NULL DEFAULT 0,
    resumed_at      TEXT,                    -- ISO 8601 UTC: slots due before are not posted
    role_id         INTEGER,
    ping            TEXT NOT NULL DEFAULT 'off',
    ping_min_score  REAL NOT NULL DEFAULT 0,
    self_roles      INTEGER NOT NULL DEFAULT 0,
    late_risers     INTEGER NOT NULL DEFAULT 0,
    user_id         INTEGER,
    server_votes    INTEGER NOT NULL DEFAULT 0,
    failing_reason  TEXT,
    created_at      TEXT NOT NULL,
    failing_at      TEXT,
    UNIQUE (channel_id, name)
);
INSERT INTO subscriptions_new (
    id, channel_id, guild_id, post_time, timezone, categories, max_papers, format, min_score,
    keywords, post_empty, source, enabled, failing_reason, created_at, failing_at
)
SELECT
    row_number() OVER (ORDER BY channel_id), channel_id, guild_id, post_time, timezone,
    categories, max_papers, format, min_score, keywords, post_empty, source, enabled,
    failing_reason, created_at, failing_at
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id);

-- Each channel's subscription id, and one of its own for a channel whose posts outlived it.
CREATE TABLE subscription_ids_0006 (channel_id INTEGER PRIMARY KEY, id INTEGER NOT NULL);
INSERT INTO subscription_ids_0006 (channel_id, id) SELECT channel_id, id FROM subscriptions;
INSERT INTO subscription_ids_0006 (channel_id, id)
SELECT
    channel_id,
    (SELECT coalesce(max(id), 0) FROM subscriptions) + row_number() OVER (ORDER BY channel_id)
FROM (
    SELECT DISTINCT channel_id FROM posts
    WHERE channel_id NOT IN (SELECT channel_id FROM subscriptions)
);

CREATE TABLE posts_new (
    subscription_id  INTEGER NOT NULL,
    day              TEXT NOT NULL,            -- the period's key day (`bot.cadence`)
    channel_id       INTEGER NOT NULL,
    guild_id         INTEGER NOT NULL,
    source           TEXT NOT NULL,
    nonce            TEXT NOT NULL CHECK (length(nonce) <= 25),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'empty', 'missed')),
    message_ids      TEXT NOT NULL DEFAULT '[]',
    thread_id        INTEGER,
    arxiv_ids        TEXT NOT NULL DEFAULT '[]',
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       TEXT NOT NULL,
    posted_at        TEXT,
    late             INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    generation       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subscription_id, day)
);
INSERT INTO posts_new (
    subscription_id, day, channel_id, guild_id, source, nonce, status, message_ids, thread_id,
    arxiv_ids, attempts, error, created_at, posted_at, late, generation
)
SELECT
    i.id, p.day, p.channel_id, p.guild_id, p.source, p.nonce, p.status, p.message_ids,
    p.thread_id, p.arxiv_ids, p.attempts, p.error, p.created_at, p.posted_at, p.late,
    p.generation
FROM posts AS p JOIN subscription_ids_0006 AS i ON i.channel_id = p.channel_id;
DROP TABLE posts;
DROP TABLE subscription_ids_0006;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_by_guild ON posts (guild_id, day);
CREATE INDEX posts_by_channel ON posts (channel_id, day);
