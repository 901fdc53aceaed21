"""`/hot`'s cache of final days (`bot.services.hot_cache`): kept, served again, invalidated."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cli.preview import sample_digest
from bot.errors import UserInputError
from bot.filters import PaperFilter, build_filter
from bot.models import DigestMeta
from bot.schedule import ManualClock
from bot.services.digests import DigestService
from bot.services.hot_cache import HotCache, key_for
from bot.services.papers import PapersService
from bot.store.base import Store

from .conftest import DAY


@pytest.fixture
def service(store: Store, digests: DigestService, clock: ManualClock) -> PapersService:
    return PapersService(store, digests, clock=clock)


def _no_store_reads(monkeypatch: pytest.MonkeyPatch, digests: DigestService) -> None:
    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the answer should have come from the cache")

    monkeypatch.setattr(digests, "hot", refuse)


async def test_a_final_day_is_answered_once_then_from_the_cache(
    service: PapersService, digests: DigestService, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = service.hot_request("cs.CV", DAY.isoformat(), "day", 10)
    first = await service.hot(request)
    assert len(service.cache) == 1
    _no_store_reads(monkeypatch, digests)
    assert await service.hot(request) == first
    # The latest day (no date given) is the same stored day: the same key, no new entry.
    assert await service.hot(service.hot_request("cs.CV", None, "day", 10)) == first
    assert len(service.cache) == 1


async def test_other_options_are_other_answers(service: PapersService) -> None:
    a = await service.hot(service.hot_request("cs.CV", DAY.isoformat(), "day", 10))
    b = await service.hot(service.hot_request(None, DAY.isoformat(), "day", 3))
    assert a != b and len(service.cache) == 2


async def test_saving_the_day_again_with_other_papers_invalidates_it(
    service: PapersService, store: Store
) -> None:
    request = service.hot_request(None, DAY.isoformat(), "day", 25)
    before = await service.hot(request)
    sample = sample_digest()
    fewer = sample.model_copy(update={"papers": sample.papers[:2]})  # same fetch stamp
    assert await store.save_digest(fewer, final=True)
    after = await service.hot(request)
    assert after != before
    gone = sample.papers[2].arxiv_id
    assert gone in str(before) and gone not in str(after)


async def test_days_not_final_and_longer_windows_are_not_kept(
    service: PapersService, store: Store
) -> None:
    await service.hot(service.hot_request(None, DAY.isoformat(), "week", 10))
    assert len(service.cache) == 0
    assert await store.save_digest(sample_digest(), final=False) is False  # stays final
    later = sample_digest().model_copy(update={"day": DAY.replace(day=11)})
    await store.save_digest(later, final=False)
    await service.hot(service.hot_request(None, "2021-03-11", "day", 10))
    assert len(service.cache) == 0


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache = HotCache(size=2)
    stamp = sample_digest().fetched_at
    assert stamp is not None
    metas = [
        DigestMeta(source="s", day=DAY, fetched_at=stamp, final=True, paper_count=n)
        for n in range(3)
    ]
    keys = [key_for(meta, "day", PaperFilter()) for meta in metas]
    cache.put(keys[0], [{"content": "0"}])
    cache.put(keys[1], [{"content": "1"}])
    assert cache.get(keys[0]) == [{"content": "0"}]  # now the most recent
    cache.put(keys[2], [{"content": "2"}])
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    got = cache.get(keys[0])
    assert got is not None
    got[0]["content"] = "edited"  # a caller's edit does not reach the kept answer
    assert cache.get(keys[0]) == [{"content": "0"}]


async def test_a_missed_day_reads_its_meta_once_and_answers_as_without_it(
    service: PapersService,
    store: Store,
    digests: DigestService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[object] = []
    real = store.digest_meta

    async def counted(source: str, day: Any) -> DigestMeta | None:
        read.append(day)
        return await real(source, day)

    monkeypatch.setattr(store, "digest_meta", counted)
    request = service.hot_request("cs.CV", DAY.isoformat(), "day", 10)
    answer = await service.hot(request)
    assert read == [DAY]  # the cache key's read, passed along: not read again by `ranked`
    # The same answer as when `ranked` reads the meta itself (nothing passed along).
    plain = PapersService(store, digests, clock=service.clock)

    async def unknown(request: Any) -> None:
        return None

    monkeypatch.setattr(plain, "_final_meta", unknown)
    assert await plain.hot(request) == answer
    assert read == [DAY, DAY]


async def test_a_meta_of_another_day_is_not_used_for_this_one(
    store: Store, digests: DigestService
) -> None:
    meta = await store.digest_meta("hotpapers-md", DAY)
    assert meta is not None
    other = meta.model_copy(update={"day": DAY.replace(day=11), "signals_ok": ["hf"]})
    view = await digests.ranked("default", DAY, "day", PaperFilter(), known=other)
    assert view.view.signals_ok == []  # this day's own (none), not the other day's
    crowds = meta.model_copy(update={"signals_ok": ["hf"]})
    view = await digests.ranked("default", DAY, "day", PaperFilter(), known=crowds)
    assert view.view.signals_ok == ["hf"]  # this day's, as the caller read it


def test_hot_options_make_the_same_filter_as_typed_and_bad_ones_stay_refused(
    service: PapersService,
) -> None:
    first = service.hot_request("cs.CV, -cs.RO", None, "day", 5)
    again = service.hot_request("cs.CV, -cs.RO", None, "day", 5)
    assert first.filter == again.filter == build_filter(categories="cs.CV, -cs.RO", limit=5)
    assert service.hot_request("cs.CV", None, "day", 6).filter.limit == 6  # not the limit-5 one
    for _ in range(2):  # a refusal is not kept as an answer
        with pytest.raises(UserInputError):
            service.hot_request("cs.NOPE", None, "day", 5)
