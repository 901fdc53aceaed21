-- 0007: full-text search over every stored paper (issue 14, `/search` and `/paper`'s autocomplete).
--
-- `papers_fts` is a contentless FTS5 table (it keeps the index, not a second copy of every
-- abstract) over each paper's title, authors (the JSON list as stored: the tokenizer splits on
-- its punctuation) and abstract. Its rowid is the paper's key in `papers_fts_keys`, not the
-- rowid of `papers`: `papers` is keyed by text, so its rowids may change (VACUUM, a table
-- rebuild in a later migration) and an index on them would drift. Searches read rowids only
-- (reading a column of an FTS5 row costs a lookup of the whole row) and map them to ids here.
-- Triggers keep both in step with every insert, update and delete of `papers`, whoever writes
-- them (the digest upsert, `migrate-store`, a hand edit): a contentless table forgets a row
-- through the 'delete' command given the values it indexed, which the trigger has as `old`.
-- A key also holds the paper's best listing (its highest score, then newest day, over every
-- digest entry), kept by triggers on `digest_entries`: a search ranks its hits on the keys
-- alone, without a lookup of the entries per hit (bench/search.py).
-- Both tables are derived data (`papers_fts*`): never copied, rebuilt by the triggers from the
-- papers and entries copied. unicode61 with remove_diacritics 2: "Erdos" finds "Erdős"; no stemming, as
-- PostgreSQL's 'simple' configuration (its migration 0007).
CREATE TABLE papers_fts_keys (
    id          INTEGER PRIMARY KEY,
    arxiv_id    TEXT NOT NULL UNIQUE,
    best_score  REAL,               -- NULL: no entry, or no entry with a score
    best_day    TEXT                -- NULL: in no digest
);

CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, authors, abstract,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO papers_fts_keys (arxiv_id) SELECT arxiv_id FROM papers ORDER BY arxiv_id;
INSERT INTO papers_fts (rowid, title, authors, abstract)
    SELECT k.id, p.title, p.authors, p.abstract
    FROM papers p JOIN papers_fts_keys k ON k.arxiv_id = p.arxiv_id;

CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
    INSERT INTO papers_fts_keys (arxiv_id) VALUES (new.arxiv_id);
    INSERT INTO papers_fts (rowid, title, authors, abstract)
        VALUES (last_insert_rowid(), new.title, new.authors, new.abstract);
END;

CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
        SELECT 'delete', id, old.title, old.authors, old.abstract
        FROM papers_fts_keys WHERE arxiv_id = old.arxiv_id;
    DELETE FROM papers_fts_keys WHERE arxiv_id = old.arxiv_id;
END;

CREATE TRIGGER papers_fts_update AFTER UPDATE OF arxiv_id, title, authors, abstract ON papers
BEGIN
    INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
        SELECT 'delete', id, old.title, old.authors, old.abstract
        FROM papers_fts_keys WHERE arxiv_id = old.arxiv_id;
    UPDATE papers_fts_keys SET arxiv_id = new.arxiv_id WHERE arxiv_id = old.arxiv_id;
    INSERT INTO papers_fts (rowid, title, authors, abstract)
        SELECT id, new.title, new.authors, new.abstract
        FROM papers_fts_keys WHERE arxiv_id = new.arxiv_id;
END;

-- The best listing: a new entry replaces it when better (a score beats none; then the higher
-- score; then the newer day); a removed or changed entry that was the best is looked up again.
UPDATE papers_fts_keys SET (best_score, best_day) = (
    SELECT e.score, e.day FROM digest_entries e WHERE e.arxiv_id = papers_fts_keys.arxiv_id
    ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1
);

CREATE TRIGGER papers_fts_best_insert AFTER INSERT ON digest_entries BEGIN
    UPDATE papers_fts_keys SET best_score = new.score, best_day = new.day
        WHERE arxiv_id = new.arxiv_id AND (
            best_day IS NULL
            OR (new.score IS NOT NULL AND (best_score IS NULL OR new.score > best_score
                OR (new.score = best_score AND new.day > best_day)))
            OR (new.score IS NULL AND best_score IS NULL AND new.day > best_day)
        );
END;

CREATE TRIGGER papers_fts_best_delete AFTER DELETE ON digest_entries BEGIN
    UPDATE papers_fts_keys SET (best_score, best_day) = (
        SELECT e.score, e.day FROM digest_entries e WHERE e.arxiv_id = old.arxiv_id
        ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1
    ) WHERE arxiv_id = old.arxiv_id AND best_day = old.day AND best_score IS old.score;
END;

CREATE TRIGGER papers_fts_best_update AFTER UPDATE OF arxiv_id, score, day ON digest_entries
BEGIN
    UPDATE papers_fts_keys SET (best_score, best_day) = (
        SELECT e.score, e.day FROM digest_entries e WHERE e.arxiv_id = papers_fts_keys.arxiv_id
        ORDER BY e.score IS NULL, e.score DESC, e.day DESC LIMIT 1
    ) WHERE arxiv_id IN (old.arxiv_id, new.arxiv_id);
END;
