-- 0001: papers, digests and their ranked entries, subscriptions, the post ledger, source health.
-- Append-only: never edit a released migration; add 0002_*.sql instead.

CREATE TABLE papers (
    arxiv_id    TEXT PRIMARY KEY,            -- version-less
    version     INTEGER,
    title       TEXT NOT NULL,
    authors     TEXT NOT NULL DEFAULT '[]',  -- JSON list
    categories  TEXT NOT NULL DEFAULT '[]',  -- JSON list, primary first
    abstract    TEXT NOT NULL DEFAULT '',
    abs_url     TEXT NOT NULL,
    pdf_url     TEXT NOT NULL
);

CREATE TABLE digests (
    source        TEXT NOT NULL,
    day           TEXT NOT NULL,             -- YYYY-MM-DD
    title         TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,             -- ISO 8601, UTC
    final         INTEGER NOT NULL CHECK (final IN (0, 1)),
    content_hash  TEXT NOT NULL,             -- makes re-imports of the same content a no-op
    PRIMARY KEY (source, day)
);

CREATE TABLE digest_entries (
    source    TEXT NOT NULL,
    day       TEXT NOT NULL,
    rank      INTEGER NOT NULL CHECK (rank >= 1),
    arxiv_id  TEXT NOT NULL REFERENCES papers (arxiv_id),
    score     REAL NOT NULL,
    metrics   TEXT NOT NULL DEFAULT '{}',    -- JSON object of counts
    tweets    TEXT NOT NULL DEFAULT '[]',    -- JSON list of {author, handle, url, text}
    PRIMARY KEY (source, day, rank),
    UNIQUE (source, day, arxiv_id),
    FOREIGN KEY (source, day) REFERENCES digests (source, day) ON DELETE CASCADE
);
CREATE INDEX digest_entries_by_paper ON digest_entries (arxiv_id);
CREATE INDEX digests_by_day ON digests (day);

CREATE TABLE subscriptions (
    channel_id      INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    post_time       TEXT NOT NULL,           -- HH:MM local
    timezone        TEXT NOT NULL,           -- IANA
    categories      TEXT NOT NULL DEFAULT '[]',
    max_papers      INTEGER NOT NULL,
    format          TEXT NOT NULL CHECK (format IN ('compact', 'detailed')),
    min_score       REAL NOT NULL DEFAULT 0,
    keywords        TEXT NOT NULL DEFAULT '[]',
    post_empty      INTEGER NOT NULL DEFAULT 1,
    source          TEXT NOT NULL DEFAULT 'default',
    enabled         INTEGER NOT NULL DEFAULT 1,
    failing_reason  TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX subscriptions_by_guild ON subscriptions (guild_id);

CREATE TABLE posts (
    channel_id   INTEGER NOT NULL,
    day          TEXT NOT NULL,
    guild_id     INTEGER NOT NULL,
    source       TEXT NOT NULL,
    nonce        TEXT NOT NULL CHECK (length(nonce) <= 25),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_ids  TEXT NOT NULL DEFAULT '[]',
    thread_id    INTEGER,
    arxiv_ids    TEXT NOT NULL DEFAULT '[]',
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    created_at   TEXT NOT NULL,
    posted_at    TEXT,
    PRIMARY KEY (channel_id, day)
);
CREATE INDEX posts_by_guild ON posts (guild_id, day);

CREATE TABLE source_health (
    source                TEXT PRIMARY KEY,
    ok                    INTEGER NOT NULL,
    checked_at            TEXT NOT NULL,
    last_ok_at            TEXT,
    error                 TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0
);
