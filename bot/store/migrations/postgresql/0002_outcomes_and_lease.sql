-- 0002: every (channel, day) ends in one stated outcome; one poster per store (as SQLite's 0002).
-- posts.status gains 'empty' and 'missed'; `late` marks a day posted late on request;
-- `generation` (part of every nonce) is bumped when a broken post starts afresh.
ALTER TABLE posts DROP CONSTRAINT posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'empty', 'missed'));
ALTER TABLE posts ADD COLUMN late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1));
ALTER TABLE posts ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;

-- When a failing channel last failed, so its long retry backoff survives a restart.
ALTER TABLE subscriptions ADD COLUMN failing_at TEXT;

-- The poster lease: one row per named lease; a process posts only while it holds it.
CREATE TABLE leases (
    name        TEXT COLLATE "C" PRIMARY KEY,
    holder      TEXT NOT NULL,        -- host:pid:random, unique per process start
    acquired_at TEXT NOT NULL,        -- ISO 8601, UTC
    expires_at  TEXT NOT NULL         -- ISO 8601, UTC; renewed while the holder runs
);

-- Recent process starts, so a crash loop backs off instead of burning IDENTIFYs.
CREATE TABLE starts (
    at  TEXT NOT NULL                 -- ISO 8601, UTC
);
