"""Outside attacks on `/hot`'s CPU work (issue 16): one `digest_meta` per `/hot`, the meta
built without validation (`rows.trusted`), the kept filter and the ranking memo.

Each test is a finding (it failed before its fix) or a probe that held.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.store import conftest as contract
from tests.store.backends import Backend, digest

# The contract suite's fixture: the store tests here run once per backend.
backend = contract.backend

DAY = date(2021, 3, 12)
T1 = datetime(2021, 3, 12, 10, 0, tzinfo=UTC)


async def test_a_resave_with_other_content_changes_the_metas_hash_on_every_backend(
    backend: Backend,
) -> None:
    """`/hot`'s answer cache is keyed on the meta's content hash: a day saved again with other
    papers of the same count and the same fetch stamp (an import of an edited file) must read
    back with another hash. PostgreSQL's `digest_meta` did not select the column: its hash
    was always "", and `/hot` kept serving the old answer."""
    store = await backend.open()
    first = digest("2021-03-12", ["2103.00001", "2103.00002"]).model_copy(
        update={"fetched_at": T1}
    )
    assert await store.save_digest(first, final=True)
    before = await store.digest_meta("test", DAY)
    swapped = digest("2021-03-12", ["2103.00002", "2103.00001"]).model_copy(
        update={"fetched_at": T1}
    )
    assert await store.save_digest(swapped, final=True)
    after = await store.digest_meta("test", DAY)
    assert before is not None and after is not None
    assert (before.fetched_at, before.paper_count) == (after.fetched_at, after.paper_count)
    assert before.content_hash and after.content_hash
    assert before.content_hash != after.content_hash
