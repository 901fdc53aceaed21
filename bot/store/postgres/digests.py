"""PostgreSQL's digests-and-papers aggregate (`bot.store.digests.DigestStore`).

The same SQL shapes as SQLite's (bot/store/sqlite/digests.py): a paper row carries its five
JSON columns joined into one JSON array in SQL, one `orjson.loads` a row, papers built
without validating them again, an unreadable entry left out with a warning.

A changed digest is written in one transaction that locks in a fixed order: its papers sorted
by id, then the digest row (its upsert), then its entries. Two writers of one day therefore
take turns (the second sees the first's entries when it deletes them), and two digests that
share papers never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from bot.models import Digest, DigestMeta, Entry, Paper
from bot.store import rows
from bot.store.postgres.connection import PgBase

# As SQLite's: an entry-less paper gets score 0, {} and []; an entry's NULL score (a paper no
# crowd discussed) stays NULL.
_PAPER_COLUMNS = (
    "p.arxiv_id, p.version, p.title, p.abstract, p.abs_url, p.pdf_url,"
    " CASE WHEN e.rank IS NULL THEN 0.0 ELSE e.score END AS score,"
    " '[' || p.authors || ',' || p.categories || ',' || coalesce(e.metrics, '{}') || ','"
    " || coalesce(e.tweets, '[]') || ',' || coalesce(e.read_at, '{}') || ']' AS blob"
)
_PAPER_COLUMNS_NO_TWEETS = _PAPER_COLUMNS.replace("coalesce(e.tweets, '[]')", "'[]'")

# As SQLite's: never replace known metadata with an empty value, the highest version wins, an
# unchanged paper is not written.
_UPSERT_PAPER = (
    "INSERT INTO papers AS papers (arxiv_id, version, title, authors, categories, abstract,"
    " abs_url, pdf_url) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (arxiv_id) DO UPDATE SET"
    " version = greatest(coalesce(excluded.version, 0), coalesce(papers.version, 0)),"
    " title = CASE WHEN excluded.title <> '' THEN excluded.title ELSE papers.title END,"
    " authors = CASE WHEN excluded.authors <> '[]' THEN excluded.authors"
    "   ELSE papers.authors END,"
    " categories = CASE WHEN excluded.categories <> '[]' THEN excluded.categories"
    "   ELSE papers.categories END,"
    " abstract = CASE WHEN excluded.abstract <> '' THEN excluded.abstract"
    "   ELSE papers.abstract END,"
    " abs_url = excluded.abs_url, pdf_url = excluded.pdf_url"
    " WHERE excluded.title <> papers.title OR excluded.authors <> papers.authors"
    "   OR excluded.categories <> papers.categories"
    "   OR (excluded.abstract <> '' AND excluded.abstract <> papers.abstract)"
    "   OR coalesce(excluded.version, 0) > coalesce(papers.version, 0)"
    "   OR excluded.abs_url <> papers.abs_url OR excluded.pdf_url <> papers.pdf_url"
)
_PAPER_FIELDS = (
    *("arxiv_id", "version", "title", "authors", "categories", "abstract"),
    *("abs_url", "pdf_url"),
)
_DIGEST_FIELDS = (
    *("source", "day", "title", "fetched_at", "final", "content_hash"),
    *("archives", "signals_ok", "signals_failed"),
)
_ENTRY_FIELDS = ("source", "day", "rank", "arxiv_id", "score", "metrics", "tweets", "read_at")


_BOOKKEEPING = (
    "UPDATE digests SET fetched_at = $1, final = greatest(final, $2) WHERE source = $3 AND day = $4"
)
_UPSERT_DIGEST = (
    "INSERT INTO digests (source, day, title, fetched_at, final, content_hash,"
    " archives, signals_ok, signals_failed)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (source, day) DO UPDATE SET title = excluded.title,"
    " fetched_at = excluded.fetched_at, final = excluded.final,"
    " content_hash = excluded.content_hash, archives = excluded.archives,"
    " signals_ok = excluded.signals_ok, signals_failed = excluded.signals_failed"
)


def _runs_of_distinct_days(digests: Sequence[Digest]) -> list[list[Digest]]:
    """`digests` cut, in order, into runs that name each (source, day) once: a day named
    again is compared with its first save, so it starts the next transaction."""
    runs: list[list[Digest]] = []
    seen: set[tuple[str, date]] = set()
    for d in digests:
        if not runs or (d.source, d.day) in seen:
            runs.append([])
            seen = set()
        seen.add((d.source, d.day))
        runs[-1].append(d)
    return runs


def _paper(row: Any) -> Paper:
    """A stored paper from a row of `_PAPER_COLUMNS`."""
    authors, categories, metrics, tweets, read_at = orjson.loads(row["blob"])
    return rows.paper_from(row, authors, categories, metrics, tweets, read_at)


def _paper_key(row: Any) -> str:
    return f"paper {row['arxiv_id']}"


def _papers(found: Sequence[Any]) -> list[Paper]:
    return rows.all_readable(_paper, found, _paper_key)


class PgDigests(PgBase):
    """Digests and papers on PostgreSQL."""

    async def save_digest(self, digest: Digest, *, final: bool = True) -> bool:
        """Store a digest; a digest with the same content as the stored one changes no row."""
        return (await self.save_digests([digest], final=final))[0]

    async def save_digests(self, digests: Sequence[Digest], *, final: bool = True) -> list[bool]:
        """`save_digest` of each, in order, one transaction per run of distinct days.

        Locks in the module's fixed order across the whole run: every changed day's papers
        sorted by id (stably, so a paper named by two days is upserted in day order), then
        the digest rows sorted by (source, day), each followed by its entries.
        """
        done: list[bool] = []
        for run in _runs_of_distinct_days(digests):
            done.extend(await self._save_run(run, final))
        return done

    async def _save_run(self, run: list[Digest], final: bool) -> list[bool]:
        existing = {
            (r["source"], r["day"]): r
            for r in await self._all(
                "SELECT source, day, content_hash, final, fetched_at FROM digests"
                " WHERE (source, day) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                [d.source for d in run],
                [d.day.isoformat() for d in run],
            )
        }
        changed: list[bool] = []
        touched: list[tuple[tuple[str, str], str, tuple[Any, ...]]] = []
        papers: list[dict[str, Any]] = []
        writes: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for digest in run:
            key = (digest.source, digest.day.isoformat())
            # The rows the save writes, built once: the hash is taken from them too.
            paper_rows = [rows.paper_row(p) for p in digest.papers]
            entry_rows = rows.entry_rows(digest)
            digest_hash = rows.rows_hash(digest, paper_rows, entry_rows)
            old = existing.get(key)
            if old is not None and old["content_hash"] == digest_hash:
                stamp = rows.to_text(digest.fetched_at) if digest.fetched_at else old["fetched_at"]
                now_final = bool(old["final"]) or final
                moved = stamp != old["fetched_at"] or now_final != bool(old["final"])
                if moved:
                    touched.append((key, _BOOKKEEPING, (stamp, int(now_final), *key)))
                changed.append(moved)
                continue
            head = rows.digest_row(digest, final=final, content=digest_hash)
            touched.append((key, _UPSERT_DIGEST, tuple(head[k] for k in _DIGEST_FIELDS)))
            writes[key] = entry_rows
            papers.extend(paper_rows)
            changed.append(True)
        if not touched:
            return changed
        papers.sort(key=lambda r: r["arxiv_id"])
        async with self._write() as db:
            if papers:
                await db.executemany(
                    _UPSERT_PAPER, [tuple(r[k] for k in _PAPER_FIELDS) for r in papers]
                )
            for key, sql, args in sorted(touched, key=lambda t: t[0]):
                await db.execute(sql, *args)
                entries = writes.get(key)
                if entries is None:
                    continue
                await db.execute("DELETE FROM digest_entries WHERE source = $1 AND day = $2", *key)
                if entries:
                    await db.executemany(
                        "INSERT INTO digest_entries (source, day, rank, arxiv_id, score,"
                        " metrics, tweets, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        [tuple(r[k] for k in _ENTRY_FIELDS) for r in entries],
                    )
        return changed

    async def _entries(self, source: str, day: str) -> list[Paper]:
        found = await self._all(
            f"SELECT {_PAPER_COLUMNS} FROM digest_entries e"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id"
            " WHERE e.source = $1 AND e.day = $2 ORDER BY e.rank",
            source,
            day,
        )
        return _papers(found)

    async def get_digest(self, source: str, day: date) -> Digest | None:
        """The stored digest of `source` for `day`, papers in rank order, or None."""
        row = await self._one(
            "SELECT * FROM digests WHERE source = $1 AND day = $2", source, day.isoformat()
        )
        if row is None:
            return None
        return rows.digest_from(row, await self._entries(source, row["day"]))

    async def digest_meta(self, source: str, day: date) -> DigestMeta | None:
        """Fetch time, finality and size of a stored digest, without loading its papers."""
        row = await self._one(
            "SELECT d.fetched_at, d.final, d.content_hash, d.archives, d.signals_ok,"
            " d.signals_failed, (SELECT count(*) FROM digest_entries e"
            " WHERE e.source = d.source AND e.day = d.day) AS n"
            " FROM digests d WHERE d.source = $1 AND d.day = $2",
            source,
            day.isoformat(),
        )
        return rows.meta_from(row, source, day) if row is not None else None

    async def latest_day(self, source: str | None = None) -> date | None:
        """The most recent stored day, of one source or of any."""
        if source is None:
            row = await self._one("SELECT max(day) AS d FROM digests")
        else:
            row = await self._one("SELECT max(day) AS d FROM digests WHERE source = $1", source)
        return date.fromisoformat(row["d"]) if row and row["d"] else None

    async def digests_between(self, source: str | None, start: date, end: date) -> list[Digest]:
        """Stored digests with start <= day <= end, newest first: one query for the window."""
        args: list[Any] = [start.isoformat(), end.isoformat()]
        where = "d.day BETWEEN $1 AND $2"
        if source is not None:
            where += " AND d.source = $3"
            args.append(source)
        found = await self._all(
            "SELECT d.source AS d_source, d.day AS d_day, d.title AS d_title,"
            " d.fetched_at AS d_fetched_at, d.archives AS d_archives,"
            " d.signals_ok AS d_signals_ok, d.signals_failed AS d_signals_failed,"
            f" {_PAPER_COLUMNS}"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id"
            f" WHERE {where} ORDER BY d.day DESC, d.source, e.rank",
            *args,
        )
        groups: dict[tuple[str, str], tuple[Any, list[Paper]]] = {}
        for r in found:
            _, papers = groups.setdefault((r["d_source"], r["d_day"]), (r, []))
            if r["arxiv_id"] is not None:
                papers.extend(_papers([r]))
        return [rows.digest_from(first, papers, prefix="d_") for first, papers in groups.values()]

    async def window_entries(
        self, source: str, start: date, end: date, *, categories: bool = True
    ) -> tuple[dict[date, str], list[Entry]]:
        """The window's digests and entries, without paper text (see `DigestStore`)."""
        cats = "p.categories" if categories else "'[]'"
        join = " LEFT JOIN papers p ON p.arxiv_id = e.arxiv_id" if categories else ""
        found = await self._all(
            "SELECT d.day, d.title, e.arxiv_id, e.rank, e.score,"
            f" '[' || e.metrics || ',' || {cats} || ']'"
            " FROM digests d"
            " LEFT JOIN digest_entries e ON e.source = d.source AND e.day = d.day"
            f"{join}"
            " WHERE d.source = $1 AND d.day BETWEEN $2 AND $3 ORDER BY d.day DESC, e.rank",
            source,
            start.isoformat(),
            end.isoformat(),
        )
        titles: dict[date, str] = {}
        days: dict[str, date] = {}
        entries: list[Entry] = []
        for text_day, title, arxiv_id, rank, score, blob in found:
            day = days.get(text_day)
            if day is None:
                day = days[text_day] = date.fromisoformat(text_day)
                titles[day] = title
            if arxiv_id is not None:
                try:
                    metrics, cats_ = orjson.loads(blob)
                except (ValueError, TypeError):
                    rows.log.warning("leaving out an unreadable entry of %s on %s", arxiv_id, day)
                    continue
                entries.append(Entry(arxiv_id, day, rank, score, metrics, cats_))
        return titles, entries

    async def entry_papers(self, source: str, entries: Sequence[Entry]) -> list[Paper]:
        """The papers of chosen entries, in the given order: one indexed lookup each."""
        if not entries:
            return []
        found = await self._all(
            f"SELECT {_PAPER_COLUMNS_NO_TWEETS}"
            " FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS v(day, arxiv_id, n)"
            " JOIN digest_entries e"
            " ON e.source = $1 AND e.day = v.day AND e.arxiv_id = v.arxiv_id"
            " JOIN papers p ON p.arxiv_id = e.arxiv_id ORDER BY v.n",
            source,
            [e.day.isoformat() for e in entries],
            [e.arxiv_id for e in entries],
        )
        return _papers(found)

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        """A paper's metadata with its most recent entry's score, metrics and tweets."""
        row = await self._one(
            f"SELECT {_PAPER_COLUMNS} FROM papers p"
            " LEFT JOIN digest_entries e ON e.arxiv_id = p.arxiv_id"
            " WHERE p.arxiv_id = $1 ORDER BY e.day DESC NULLS LAST LIMIT 1",
            arxiv_id,
        )
        return rows.readable(_paper, row, _paper_key(row)) if row is not None else None

    async def paper_days(self, arxiv_id: str, source: str | None = None) -> list[tuple[str, date]]:
        """The digests listing a paper, newest first (one lookup on the entries' paper index)."""
        sql = "SELECT source, day FROM digest_entries WHERE arxiv_id = $1"
        order = " ORDER BY day DESC, source"
        if source is None:
            found = await self._all(sql + order, arxiv_id)
        else:
            found = await self._all(sql + " AND source = $2" + order, arxiv_id, source)
        return [(r[0], date.fromisoformat(r[1])) for r in found]
