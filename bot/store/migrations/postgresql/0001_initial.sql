-- 0001: papers, digests and their ranked entries, subscriptions, the post ledger, source health.
-- PostgreSQL's history mirrors SQLite's (bot/store/migrations/sqlite/), version for version,
-- with the same columns and the same encoding (`bot.store.rows`): times and days are ISO 8601
-- text, lists and objects JSON text, booleans 0/1 integers, Discord ids BIGINT. One encoding
-- means one row mapping for both backends and a copy between them that changes no value
-- (`hotpapers migrate-store`). Keys that lists are ordered by are COLLATE "C": byte order, as
-- SQLite compares text, whatever the database's locale. Append-only: never edit a released migration.

CREATE TABLE papers (
    arxiv_id    TEXT COLLATE "C" PRIMARY KEY, -- version-less
    version     INTEGER,
    title       TEXT NOT NULL,
    authors     TEXT NOT NULL DEFAULT '[]',  -- JSON list
    categories  TEXT NOT NULL DEFAULT '[]',  -- JSON list, primary first
    abstract    TEXT NOT NULL DEFAULT '',
    abs_url     TEXT NOT NULL,
    pdf_url     TEXT NOT NULL
);

CREATE TABLE digests (
    source        TEXT COLLATE "C" NOT NULL,
    day           TEXT COLLATE "C" NOT NULL, -- YYYY-MM-DD
    title         TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,             -- ISO 8601, UTC
    final         INTEGER NOT NULL CHECK (final IN (0, 1)),
    content_hash  TEXT NOT NULL,             -- makes re-imports of the same content a no-op
    PRIMARY KEY (source, day)
);

CREATE TABLE digest_entries (
    source    TEXT COLLATE "C" NOT NULL,
    day       TEXT COLLATE "C" NOT NULL,
    rank      INTEGER NOT NULL CHECK (rank >= 1),
    arxiv_id  TEXT COLLATE "C" NOT NULL REFERENCES papers (arxiv_id),
    score     DOUBLE PRECISION NOT NULL,
    metrics   TEXT NOT NULL DEFAULT '{}',    -- JSON object of counts
    tweets    TEXT NOT NULL DEFAULT '[]',    -- JSON list of {author, handle, url, text}
    PRIMARY KEY (source, day, rank),
    UNIQUE (source, day, arxiv_id),
    FOREIGN KEY (source, day) REFERENCES digests (source, day) ON DELETE CASCADE
);
CREATE INDEX digest_entries_by_paper ON digest_entries (arxiv_id);
CREATE INDEX digests_by_day ON digests (day);

CREATE TABLE subscriptions (
    channel_id      BIGINT PRIMARY KEY,
    guild_id        BIGINT NOT NULL,
    post_time       TEXT NOT NULL,           -- HH:MM local
    timezone        TEXT NOT NULL,           -- IANA
    categories      TEXT NOT NULL DEFAULT '[]',
    max_papers      INTEGER NOT NULL,
    format          TEXT NOT NULL CONSTRAINT subscriptions_format_check
                        CHECK (format IN ('compact', 'detailed')),
    min_score       DOUBLE PRECISION NOT NULL DEFAULT 0,
    keywords        TEXT NOT NULL DEFAULT '[]',
    post_empty      INTEGER NOT NULL DEFAULT 1,
    source          TEXT NOT NULL DEFAULT 'default',
    enabled         INTEGER NOT NULL DEFAULT 1,
    failing_reason  TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id);

CREATE TABLE posts (
    channel_id   BIGINT NOT NULL,
    day          TEXT COLLATE "C" NOT NULL,
    guild_id     BIGINT NOT NULL,
    source       TEXT NOT NULL,
    nonce        TEXT NOT NULL CHECK (length(nonce) <= 25),
    status       TEXT NOT NULL CONSTRAINT posts_status_check
                     CHECK (status IN ('pending', 'sent', 'failed')),
    message_ids  TEXT NOT NULL DEFAULT '[]',
    thread_id    BIGINT,
    arxiv_ids    TEXT NOT NULL DEFAULT '[]',
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    posted_at    TEXT,
    PRIMARY KEY (channel_id, day)
);
CREATE INDEX posts_by_guild ON posts (guild_id, day);

CREATE TABLE source_health (
    source                TEXT COLLATE "C" PRIMARY KEY,
    ok                    INTEGER NOT NULL,
    checked_at            TEXT NOT NULL,
    last_ok_at            TEXT,
    error                 TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0
);
