-- 0003: a start remembers how long it waited before connecting (crash-loop backoff), so the
-- time between one connection and the next start is known: that, not the wait, says whether
-- the previous run was a quick crash.
ALTER TABLE starts ADD COLUMN waited_seconds REAL NOT NULL DEFAULT 0;
