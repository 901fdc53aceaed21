-- 0008: members' marks on posted papers (issue 14, buttons on posts), as SQLite's 0008.
--
-- `saved`: a member's own list (`/saved`), one row per (user, paper), newest first.
-- `votes`: one 👍 per member per paper per server; the primary key makes a repeated click
-- (or two at once) count once. Ids are BIGINT, times ISO 8601 text, keys COLLATE "C", as
-- every table of this dialect (0001).
CREATE TABLE saved (
    user_id   BIGINT NOT NULL,
    arxiv_id  TEXT COLLATE "C" NOT NULL REFERENCES papers (arxiv_id),
    saved_at  TEXT COLLATE "C" NOT NULL,     -- ISO 8601, UTC
    PRIMARY KEY (user_id, arxiv_id)
);
CREATE INDEX saved_by_user_time ON saved (user_id, saved_at);

CREATE TABLE votes (
    guild_id  BIGINT NOT NULL,
    arxiv_id  TEXT COLLATE "C" NOT NULL REFERENCES papers (arxiv_id),
    user_id   BIGINT NOT NULL,
    voted_at  TEXT COLLATE "C" NOT NULL,     -- ISO 8601, UTC
    PRIMARY KEY (guild_id, arxiv_id, user_id)
);
