"""SQLite's digest writes index their new papers once, at the end of the transaction
(migration 0010, `bot.store.sqlite.digests._NewPapers`): the index, its keys (with their ids)
and the best listings end exactly as the per-row triggers of 0007 leave them, and the trigger
is never left switched off, by a save that works or by one that fails."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.models import Digest, Paper
from bot.store import rows
from bot.store.sqlite import open_store
from tests.store.backends import digest

D1, D2, D3 = date(2021, 4, 1), date(2021, 4, 2), date(2021, 4, 3)


def _paper(n: int, title: str, score: float | None, **kw: Any) -> Paper:
    return Paper(arxiv_id=f"2104.0000{n}", title=title, score=score, **kw)


# A batch: new papers, a paper named by two days (renamed by the later one, which lists it
# with no score), a day holding an unscored paper, then a day replaced within the batch.
BATCH = [
    Digest(day=D1, source="a", papers=[
        _paper(3, "Third first", 4, authors=["Émile Borel"], abstract="Measure theory."),
        _paper(1, "Diffusion of heat", 9),
    ]),
    Digest(day=D2, source="a", papers=[
        _paper(2, "Unscored", None), _paper(1, "Diffusion of light", None),
    ]),
    Digest(day=D3, source="b", papers=[_paper(4, "Gone soon", 1)]),
    Digest(day=D3, source="b", papers=[_paper(5, "Kept", 2), _paper(3, "Third first", 8)]),
]  # fmt: skip
WORDS = ["third", "first", "borel", "emile", "measure", "diffusion", "heat", "light",
         "unscored", "gone", "kept", "soon"]  # fmt: skip


def _per_row(path: Path, digests: list[Digest]) -> None:
    """The same days written as plain statements, one row at a time: every trigger fires."""
    db = sqlite3.connect(path)
    for d in digests:
        for p in d.papers:
            r = rows.paper_row(p)
            db.execute(
                "INSERT INTO papers (arxiv_id, version, title, authors, categories, abstract,"
                " abs_url, pdf_url) VALUES (:arxiv_id, :version, :title, :authors,"
                " :categories, :abstract, :abs_url, :pdf_url) ON CONFLICT (arxiv_id)"
                " DO UPDATE SET title = excluded.title",
                r,
            )
        db.execute(
            "DELETE FROM digest_entries WHERE source = ? AND day = ?", (d.source, str(d.day))
        )
        db.executemany(
            "INSERT INTO digest_entries (source, day, rank, arxiv_id, score, metrics, tweets,"
            " read_at) VALUES (:source, :day, :rank, :arxiv_id, :score, :metrics, :tweets,"
            " :read_at)",
            rows.entry_rows(d),
        )
    db.commit()
    db.close()


def _index(path: Path) -> tuple[list[Any], dict[str, list[int]], int]:
    """The keys (id, paper, best listing), the rowids each word finds, the deferring rows."""
    db = sqlite3.connect(path)
    keys = db.execute("SELECT * FROM papers_fts_keys ORDER BY id").fetchall()
    found = {
        w: [r for (r,) in db.execute("SELECT rowid FROM papers_fts(?) ORDER BY rowid", (w,))]
        for w in WORDS
    }
    (deferring,) = db.execute("SELECT count(*) FROM papers_fts_deferred").fetchone()
    db.close()
    return keys, found, deferring


async def test_a_batch_indexes_as_the_per_row_triggers_do(tmp_path: Path) -> None:
    async with open_store(tmp_path / "batch.sqlite3") as store:
        assert await store.save_digests(BATCH) == [True, True, True, True]
    async with open_store(tmp_path / "rows.sqlite3"):
        pass
    _per_row(tmp_path / "rows.sqlite3", BATCH)
    keys, found, deferring = _index(tmp_path / "batch.sqlite3")
    assert (keys, found, deferring) == _index(tmp_path / "rows.sqlite3")
    assert keys == [
        (1, "2104.00003", 8.0, "2021-04-03"),
        (2, "2104.00001", 9.0, "2021-04-01"),
        (3, "2104.00002", None, "2021-04-02"),
        (4, "2104.00004", None, None),  # its day was replaced: in no digest now
        (5, "2104.00005", 2.0, "2021-04-03"),
    ]
    assert found["diffusion"] == [2] and found["light"] == [2] and found["heat"] == []
    assert found["emile"] == [1] and deferring == 0


async def test_later_saves_and_raw_rows_are_indexed_and_keep_their_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with open_store(path) as store:
        await store.save_digests(BATCH[:2])
        await store.save_digest(Digest(day=D3, source="b", papers=[_paper(1, "Heat", 1)]))
        await store.save_digest(digest("2021-04-04", ["2104.00009"]))  # a new paper, alone
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO papers (arxiv_id, title, abs_url, pdf_url)"
        " VALUES ('2104.00008', 'Raw', '', '')"
    )  # by hand: the trigger indexes it
    db.commit()
    keys, found, deferring = _index(path)
    db.close()
    assert [k[:2] for k in keys] == [
        (1, "2104.00003"),
        (2, "2104.00001"),
        (3, "2104.00002"),
        (4, "2104.00009"),
        (5, "2104.00008"),
    ]
    assert found["heat"] == [2] and found["light"] == [] and deferring == 0
    con = sqlite3.connect(path)
    assert con.execute("SELECT rowid FROM papers_fts('raw')").fetchall() == [(5,)]
    con.close()


async def test_a_failed_batch_leaves_the_trigger_on(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with open_store(path) as store:
        twice = digest("2021-04-02", ["2104.00002", "2104.00002"])  # one entry per paper a day
        with pytest.raises(sqlite3.IntegrityError):
            await store.save_digests([digest("2021-04-01", ["2104.00001"]), twice])
        keys, _, deferring = _index(path)
        assert (keys, deferring) == ([], 0)
        await store.save_digest(digest("2021-04-01", ["2104.00001"]))
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO papers (arxiv_id, title, abs_url, pdf_url)"
        " VALUES ('2104.00008', 'Raw', '', '')"
    )
    db.commit()
    assert db.execute("SELECT rowid FROM papers_fts('raw')").fetchall() == [(2,)]
    db.close()
