-- 0007: full-text search over every stored paper (issue 14, `/search` and `/paper`'s autocomplete).
--
-- No table and no column: GIN indexes over expressions of `papers`' own columns, which
-- PostgreSQL keeps in step with every write, so the papers table has the same columns as
-- SQLite's and `migrate-store` copies it unchanged (the target builds its indexes itself).
-- Queries name these exact expressions (bot/store/postgres/search.py). The 'simple'
-- configuration lower-cases and does not stem: titles and author names are matched as typed,
-- and as SQLite's FTS5 table (unicode61, no stemmer) matches them, so both backends find the
-- same papers; 'english' would also drop stop words from a title search.
-- One index over all three columns (a term may be in any of them), one over the title and one
-- over the authors (the relevance tiers: every term in the title; every term in the authors).
-- ASCII punctuation is read as spaces (translate): PostgreSQL's parser would keep `-3.5`,
-- `v1.2.3`, `github.com/x` and `a@b.org` as single tokens where FTS5 splits at every mark.
CREATE INDEX papers_search ON papers USING gin ((
    to_tsvector('simple'::regconfig, translate(title, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))
    || to_tsvector('simple'::regconfig, translate(authors, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))
    || to_tsvector('simple'::regconfig, translate(abstract, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))
));
CREATE INDEX papers_search_title ON papers USING gin ((
    to_tsvector('simple'::regconfig, translate(title, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))
));
CREATE INDEX papers_search_authors ON papers USING gin ((
    to_tsvector('simple'::regconfig, translate(authors, '!"#$%&''()*+,-./:;<=>?@[\]^_`{|}~', '                                '))
));
