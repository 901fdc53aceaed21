-- 0010: a write of many papers may index its new papers once, at its end (bench/imports.py).
--
-- Indexing a paper from the insert trigger of 0007 cost ~0.1 ms, 6 × the rest of its insert:
-- every statement that runs a trigger opens a statement savepoint, and FTS5 (3.40) writes its
-- pending terms out as a new segment at each savepoint, to merge them again later; so an
-- `executemany` of papers wrote one segment a paper. While `papers_fts_deferred` holds a row
-- the insert trigger does nothing, and the writer that put the row there indexes the papers
-- it inserted with one INSERT … SELECT before it deletes the row, in the same transaction
-- (bot/store/sqlite/digests.py, `_index_new_papers`): nobody else ever sees the row, and a
-- failed transaction takes it away with everything else. The keys get the ids the trigger
-- would have given them (in the order the papers were first inserted), and their best
-- listing is looked up from the entries, as 0007's backfill does (the entries' triggers
-- found no key to update). Updates and deletes of papers are still indexed by their
-- triggers: they need the old values, which only the trigger has.
CREATE TABLE papers_fts_deferred (writer INTEGER PRIMARY KEY);

DROP TRIGGER papers_fts_insert;

CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers
WHEN NOT EXISTS (SELECT 1 FROM papers_fts_deferred)
BEGIN
    INSERT INTO papers_fts_keys (arxiv_id) VALUES (new.arxiv_id);
    INSERT INTO papers_fts (rowid, title, authors, abstract)
        VALUES (last_insert_rowid(), new.title, new.authors, new.abstract);
END;
