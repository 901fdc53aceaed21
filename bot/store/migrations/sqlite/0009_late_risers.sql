-- 0009: late risers (issue 14 item 8): the follow-up ledger.
--
-- One row per (subscription, paper): a paper that was below a subscription's cut on its day
-- and later entered its top K of the week gets one "climbing" follow-up, ever. The row is
-- claimed (`pending`, with the exact `content` and the deterministic `nonce`) before the
-- message is sent and records the message after it, as the post ledger does. `day` is the
-- post the follow-up belongs to; `place_id` where it goes (that post's thread, or its
-- channel when it opened none). Subscriptions keep their `late_risers` (0006).
CREATE TABLE followups (
    subscription_id  INTEGER NOT NULL,
    arxiv_id         TEXT NOT NULL,
    day              TEXT NOT NULL,          -- YYYY-MM-DD of the post it follows up
    channel_id       INTEGER NOT NULL,
    place_id         INTEGER NOT NULL,       -- the thread or channel it goes to
    rank             INTEGER NOT NULL CHECK (rank >= 1),
    content          TEXT NOT NULL,
    nonce            TEXT NOT NULL CHECK (length(nonce) <= 25),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    message_id       INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       TEXT NOT NULL,
    posted_at        TEXT,
    PRIMARY KEY (subscription_id, arxiv_id)
);
CREATE INDEX followups_by_channel ON followups (channel_id);
CREATE INDEX followups_by_day ON followups (day);
