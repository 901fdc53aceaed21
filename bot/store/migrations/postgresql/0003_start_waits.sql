-- 0003: a start remembers how long it waited before connecting (crash-loop backoff), as
-- SQLite's 0003.
ALTER TABLE starts ADD COLUMN waited_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
