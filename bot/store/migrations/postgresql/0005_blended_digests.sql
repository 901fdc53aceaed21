-- 0005: blended digests (issue 13), as SQLite's 0005: a day's arXiv announcement scored from
-- several crowds.
--
-- A digest says which arXiv archives its universe covers (`archives`, JSON list) and which
-- crowds answered (`signals_ok`, JSON list) or failed, with the failure's sentence
-- (`signals_failed`, JSON object name -> sentence). An entry's `score` may be NULL: a paper
-- no crowd discussed has no score, never an invented 0; `read_at` (JSON object crowd -> ISO
-- 8601 UTC text) says when each crowd's counts were read. PostgreSQL can drop a NOT NULL in
-- place, so digest_entries keeps its rows, keys and collations (SQLite rebuilds the table).
ALTER TABLE digests ADD COLUMN archives TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digests ADD COLUMN signals_ok TEXT NOT NULL DEFAULT '[]';
ALTER TABLE digests ADD COLUMN signals_failed TEXT NOT NULL DEFAULT '{}';

ALTER TABLE digest_entries ALTER COLUMN score DROP NOT NULL;
ALTER TABLE digest_entries ADD COLUMN read_at TEXT NOT NULL DEFAULT '{}';
