-- 0005: blended digests (issue 13): a day's arXiv announcement scored from several crowds.
--
-- A digest says which arXiv archives its universe covers (`archives`, JSON list: a request for
-- another archive fetches it and merges) and which crowds answered (`signals_ok`, JSON list)
-- or failed, with the failure's sentence (`signals_failed`, JSON object name -> sentence).
-- An entry's `score` may be NULL: a paper no crowd discussed has no score ("no discussion
-- yet"), never an invented 0; `read_at` (JSON object crowd -> ISO 8601 UTC) says when each
-- crowd's counts were read. SQLite cannot drop a NOT NULL, so digest_entries is rebuilt with
-- every row and column kept. Quoted posts stay in `tweets` (each gains source, likes, kind).
ALTER TABLE digests ADD COLUMN archives TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digests ADD COLUMN signals_ok TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digests ADD COLUMN signals_failed TEXT NOT NULL DEFAULT '{}';

CREATE TABLE digest_entries_new (
    source    TEXT NOT NULL,
    day       TEXT NOT NULL,
    rank      INTEGER NOT NULL CHECK (rank >= 1),
    arxiv_id  TEXT NOT NULL REFERENCES papers (arxiv_id),
    score     REAL,                          -- NULL: no crowd discussed the paper
    metrics   TEXT NOT NULL DEFAULT '{}',    -- JSON object of counts
    tweets    TEXT NOT NULL DEFAULT '[]',    -- JSON list of {author, handle, url, text, …}
    read_at   TEXT NOT NULL DEFAULT '{}',    -- JSON object crowd -> when its counts were read
    PRIMARY KEY (source, day, rank),
    UNIQUE (source, day, arxiv_id),
    FOREIGN KEY (source, day) REFERENCES digests (source, day) ON DELETE CASCADE
);
INSERT INTO digest_entries_new (source, day, rank, arxiv_id, score, metrics, tweets)
    SELECT source, day, rank, arxiv_id, score, metrics, tweets FROM digest_entries;
DROP TABLE digest_entries;
ALTER TABLE digest_entries_new RENAME TO digest_entries;
CREATE INDEX digest_entries_by_paper ON digest_entries (arxiv_id);
