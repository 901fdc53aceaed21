-- 0009: late risers (issue 14 item 8): the follow-up ledger. Mirrors sqlite/0009.
--
-- One row per (subscription, paper), claimed before the follow-up is sent (with its exact
-- content and nonce) and recording its message after; `place_id` is the thread or channel it
-- goes to, `day` the post it follows up.
CREATE TABLE followups (
    subscription_id  BIGINT NOT NULL,
    arxiv_id         TEXT COLLATE "C" NOT NULL,
    day              TEXT COLLATE "C" NOT NULL,
    channel_id       BIGINT NOT NULL,
    place_id         BIGINT NOT NULL,
    rank             INTEGER NOT NULL CHECK (rank >= 1),
    content          TEXT NOT NULL,
    nonce            TEXT NOT NULL CHECK (length(nonce) <= 25),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_id       BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       TEXT NOT NULL,
    posted_at        TEXT,
    PRIMARY KEY (subscription_id, arxiv_id)
);
CREATE INDEX followups_by_channel ON followups (channel_id);
CREATE INDEX followups_by_day ON followups (day);
