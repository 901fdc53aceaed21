-- 0002: every (channel, day) ends in one stated outcome; one poster per store.
--
-- posts.status gains 'empty' (nothing to post, `error` says why) and 'missed' (the bot was down
-- past the catch-up window, `error` says when it came back); `late` marks a day posted on a
-- moderator's request after its window; `generation` (part of every nonce) is bumped when a
-- post whose thread or header was deleted starts again from scratch. SQLite cannot alter a CHECK, so the table is rebuilt.

CREATE TABLE posts_new (
    channel_id   INTEGER NOT NULL,
    day          TEXT NOT NULL,
    guild_id     INTEGER NOT NULL,
    source       TEXT NOT NULL,
    nonce        TEXT NOT NULL CHECK (length(nonce) <= 25),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'empty', 'missed')),
    message_ids  TEXT NOT NULL DEFAULT '[]',
    thread_id    INTEGER,
    arxiv_ids    TEXT NOT NULL DEFAULT '[]',
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    posted_at    TEXT,
    late         INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    generation   INTEGER NOT NULL DEFAULT 0,  -- bumped when a broken post starts afresh
    PRIMARY KEY (channel_id, day)
);
INSERT INTO posts_new (channel_id, day, guild_id, source, nonce, status, message_ids, thread_id,
                       arxiv_ids, attempts, error, created_at, posted_at)
    SELECT channel_id, day, guild_id, source, nonce, status, message_ids, thread_id,
           arxiv_ids, attempts, error, created_at, posted_at FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;
CREATE INDEX posts_by_guild ON posts (guild_id, day);

-- When a failing channel last failed, so its long retry backoff survives a restart.
ALTER TABLE subscriptions ADD COLUMN failing_at TEXT;

-- The poster lease: one row per named lease; a process posts only while it holds it.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,        -- host:pid:random, unique per process start
    acquired_at TEXT NOT NULL,        -- ISO 8601, UTC
    expires_at  TEXT NOT NULL         -- ISO 8601, UTC; renewed while the holder runs
);

-- Recent process starts, so a crash loop backs off instead of burning IDENTIFYs.
CREATE TABLE starts (
    at  TEXT NOT NULL                 -- ISO 8601, UTC
);
