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
-- Both tables are derived data (`papers_fts*`): never copied, rebuilt by the triggers from the
-- papers copied. unicode61 with remove_diacritics 2: "Erdos" finds "Erdős"; no stemming, as
-- PostgreSQL's 'simple' configuration (its migration 0007).
CREATE TABLE papers_fts_keys (
    id        INTEGER PRIMARY KEY,
    arxiv_id  TEXT NOT NULL UNIQUE
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
