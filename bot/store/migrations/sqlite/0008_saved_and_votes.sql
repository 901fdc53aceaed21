-- 0008: members' marks on posted papers (issue 14, buttons on posts).
--
-- `saved`: a member's own list (`/saved`, the 🔖 button), private to them and the same in
-- every server: one row per (user, paper), newest first by `saved_at`.
-- `votes`: one 👍 per member per paper per server: the primary key is what makes a repeated
-- click (or two at once) count once. `/paper`, `/hot scope:server` and a subscription's
-- `server_votes` ranking read them. Both reference the stored paper: a mark is always on a
-- paper the store knows.
CREATE TABLE saved (
    user_id   INTEGER NOT NULL,
    arxiv_id  TEXT NOT NULL REFERENCES papers (arxiv_id),
    saved_at  TEXT NOT NULL,                 -- ISO 8601, UTC
    PRIMARY KEY (user_id, arxiv_id)
);
CREATE INDEX saved_by_user_time ON saved (user_id, saved_at);

CREATE TABLE votes (
    guild_id  INTEGER NOT NULL,
    arxiv_id  TEXT NOT NULL REFERENCES papers (arxiv_id),
    user_id   INTEGER NOT NULL,
    voted_at  TEXT NOT NULL,                 -- ISO 8601, UTC
    PRIMARY KEY (guild_id, arxiv_id, user_id)
);
