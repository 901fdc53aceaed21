-- 0006: several digests per channel, on any cadence (issue 14), as SQLite's 0006 (read its
-- comment for the why): subscriptions get an integer `id` (1, 2, … in channel order) and a
-- `name` ('daily'), unique per channel, plus cadence, weekday, paused, resumed_at, role pings,
-- late_risers, user_id and server_votes; the post ledger is keyed by (subscription_id, day).
-- A channel whose posts outlived its subscription gets an id of its own for them, numbered
-- after the subscriptions'. Ids are given by the store (1 + the largest in subscriptions or
-- posts), not by a sequence, so a copy between backends keeps them and never reuses one.
-- PostgreSQL changes both tables in place (SQLite rebuilds them).
ALTER TABLE subscriptions ADD COLUMN id BIGINT;
UPDATE subscriptions AS s SET id = n.id
FROM (SELECT channel_id, row_number() OVER (ORDER BY channel_id) AS id FROM subscriptions) AS n
WHERE n.channel_id = s.channel_id;
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_pkey;
ALTER TABLE subscriptions ALTER COLUMN id SET NOT NULL;
ALTER TABLE subscriptions ADD PRIMARY KEY (id);
ALTER TABLE subscriptions ADD COLUMN name TEXT COLLATE "C" NOT NULL DEFAULT 'daily'
    CHECK (length(name) BETWEEN 1 AND 32);
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_channel_name UNIQUE (channel_id, name);
ALTER TABLE subscriptions ADD COLUMN cadence TEXT NOT NULL DEFAULT 'daily';
ALTER TABLE subscriptions ADD COLUMN weekday INTEGER NOT NULL DEFAULT 0
    CHECK (weekday BETWEEN 0 AND 6);
ALTER TABLE subscriptions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN resumed_at TEXT;
ALTER TABLE subscriptions ADD COLUMN role_id BIGINT;
ALTER TABLE subscriptions ADD COLUMN ping TEXT NOT NULL DEFAULT 'off';
ALTER TABLE subscriptions ADD COLUMN ping_min_score DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN self_roles INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN late_risers INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN user_id BIGINT;
ALTER TABLE subscriptions ADD COLUMN server_votes INTEGER NOT NULL DEFAULT 0;

ALTER TABLE posts ADD COLUMN subscription_id BIGINT;
UPDATE posts AS p SET subscription_id = s.id FROM subscriptions AS s
WHERE s.channel_id = p.channel_id;
UPDATE posts AS p SET subscription_id = o.id
FROM (
    SELECT channel_id,
           (SELECT coalesce(max(id), 0) FROM subscriptions)
               + row_number() OVER (ORDER BY channel_id) AS id
    FROM (SELECT DISTINCT channel_id FROM posts WHERE subscription_id IS NULL) AS orphans
) AS o
WHERE o.channel_id = p.channel_id AND p.subscription_id IS NULL;
ALTER TABLE posts ALTER COLUMN subscription_id SET NOT NULL;
ALTER TABLE posts DROP CONSTRAINT posts_pkey;
ALTER TABLE posts ADD PRIMARY KEY (subscription_id, day);
CREATE INDEX posts_by_channel ON posts (channel_id, day);
