-- 0007: full-text search over every stored paper (issue 14, `/search` and `/paper`'s autocomplete).
--
-- `papers_fts` is an FTS5 table holding each paper's id, title, authors (the JSON list as
-- stored: the tokenizer splits on its punctuation) and abstract. It has its own copy of the
-- text rather than pointing at `papers` by rowid: `papers` is keyed by text, so its rowids may
-- change (VACUUM, a table rebuild in a later migration) and an index keyed on them would drift.
-- Its rows are found by the `arxiv_id` column instead, which is indexed for that: searches
-- name the other three columns only. Triggers keep it in step with every insert, update and
-- delete of `papers`, whoever writes them (the digest upsert, `migrate-store`, a hand edit), so
-- it is derived data: never copied, rebuilt by the triggers from the papers copied.
-- unicode61 with remove_diacritics 2: "Erdos" finds "Erdős"; no stemming, as PostgreSQL's
-- 'simple' configuration (its migration 0007).
CREATE VIRTUAL TABLE papers_fts USING fts5(
    arxiv_id, title, authors, abstract,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO papers_fts (arxiv_id, title, authors, abstract)
    SELECT arxiv_id, title, authors, abstract FROM papers;

CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
    INSERT INTO papers_fts (arxiv_id, title, authors, abstract)
        VALUES (new.arxiv_id, new.title, new.authors, new.abstract);
END;

-- The row is found through the index (the id as a quoted phrase of its own column), then
-- checked for the exact id.
CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
    DELETE FROM papers_fts
        WHERE papers_fts MATCH 'arxiv_id : "' || replace(old.arxiv_id, '"', '""') || '"'
        AND arxiv_id = old.arxiv_id;
END;

CREATE TRIGGER papers_fts_update AFTER UPDATE ON papers BEGIN
    DELETE FROM papers_fts
        WHERE papers_fts MATCH 'arxiv_id : "' || replace(old.arxiv_id, '"', '""') || '"'
        AND arxiv_id = old.arxiv_id;
    INSERT INTO papers_fts (arxiv_id, title, authors, abstract)
        VALUES (new.arxiv_id, new.title, new.authors, new.abstract);
END;
