"""Resource Graph paging and quota (graph.pages, graph.Quota) against a scripted client:
the fewest queries, pages fetched at once by `$skip`, never a silent truncation, and the
per-user quota spent without a 429."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from skytally.inventory import graph


@dataclass
class _Answer:
    data: list[dict[str, Any]]
    total_records: int
    skip_token: str | None
    result_truncated: str = "false"


@dataclass
class _Raw:
    headers: dict[str, str]

    @property
    def http_response(self) -> _Raw:
        return self


@dataclass
class FakeGraph:
    """Rows r0..r{n-1}; `shrink_after` calls, the result loses its last row (a resource
    deleted while the listing runs)."""

    rows: int
    shrink_after: int | None = None
    short_page_at: int | None = None
    calls: list[tuple[int | None, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resources(self, request: Any, raw_response_hook: Any = None) -> _Answer:
        options = request.options
        with self.lock:
            self.calls.append((options.skip, options.skip_token))
            n = self.rows - (1 if self.shrink_after is not None and len(self.calls) > self.shrink_after else 0)
        offset = options.skip if options.skip is not None else int(options.skip_token or 0)
        data = [{"id": f"r{i:06d}"} for i in range(offset, min(n, offset + options.top))]
        if self.short_page_at == offset:
            data = data[:-1]
        if raw_response_hook:
            raw_response_hook(_Raw({"x-ms-user-quota-remaining": "100", "x-ms-user-quota-resets-after": "00:00:05"}))
        nxt = offset + options.top
        return _Answer(data, n, str(nxt) if nxt < n else None)


def _ids(pages: list[list[dict[str, Any]]]) -> list[str]:
    return [r["id"] for page in pages for r in page]


def test_every_page_once_in_order_with_the_fewest_queries() -> None:
    client = FakeGraph(rows=2345)
    got = list(graph.pages(client, "Resources | order by id asc", ["s"], page_size=100))  # type: ignore[arg-type]
    assert _ids(got) == [f"r{i:06d}" for i in range(2345)]
    assert len(client.calls) == 24  # ceil(2345 / 100): not one query more than the skip tokens would take
    assert client.calls[0] == (None, None)
    # asked by $skip, each page from the last row of the one before (99 new rows a page here)
    assert sorted(skip for skip, _t in client.calls[1:]) == list(range(99, 2344, 99))


def test_a_result_that_changes_while_read_is_refused() -> None:
    client = FakeGraph(rows=1000, shrink_after=3)
    with pytest.raises(graph.GraphIncomplete, match="changed while it was read"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


def test_a_page_short_of_its_rows_is_refused() -> None:
    client = FakeGraph(rows=1000, short_page_at=495)
    with pytest.raises(graph.GraphIncomplete, match="page at row 495 held 99 of 100"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


def test_rows_shifted_while_read_are_refused() -> None:
    """A resource created before a page boundary (and another deleted after it, so the total
    stays) shifts the later pages by one: the page read from row 297 starts with the row
    before the last row of the previous page (it would repeat it)."""

    class Shifted(FakeGraph):
        def resources(self, request: Any, raw_response_hook: Any = None) -> _Answer:
            answer = super().resources(request, raw_response_hook)
            if request.options.skip == 297:
                answer.data = [{"id": "r000296"}, *answer.data[:-1]]
            return answer

    client = Shifted(rows=1000)
    with pytest.raises(graph.GraphIncomplete, match="page at row 297 does not start with the last row"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


class ChangingGraph:
    """A result ordered by id that changes after a given number of queries (`changes`:
    call count -> a function that edits the sorted id list), as Azure's does while a sync
    reads its pages. Pages are read one at a time (parallel=1) so the change falls between
    two known pages."""

    def __init__(self, rows: int, changes: dict[int, Any]) -> None:
        self.ids = [f"r{i:06d}" for i in range(rows)]
        self.changes = changes
        self.calls: list[tuple[int | None, str | None]] = []

    def resources(self, request: Any, raw_response_hook: Any = None) -> _Answer:
        options = request.options
        self.calls.append((options.skip, options.skip_token))
        offset = options.skip if options.skip is not None else int(options.skip_token or 0)
        data = [{"id": i} for i in self.ids[offset:offset + options.top]]
        answer = _Answer(data, len(self.ids), str(offset + options.top) if offset + options.top < len(self.ids) else None)
        if len(self.calls) in self.changes:
            self.changes[len(self.calls)](self.ids)
            self.ids.sort()
        return answer


def test_a_row_skipped_by_a_shift_is_refused() -> None:
    """The shift the total cannot show and no page repeats: after three pages were read, a
    resource before the boundary is deleted and one after it created. The rows after the
    boundary move up by one, so with pages read end to end the boundary's row would fall
    between two pages and be missed; the page read from the last row of the page before
    starts with another row instead."""

    def delete_before_create_after(ids: list[str]) -> None:
        ids.remove("r000050")
        ids.append("r000950x")

    client = ChangingGraph(rows=1000, changes={3: delete_before_create_after})
    with pytest.raises(graph.GraphIncomplete, match="does not start with the last row of the page before"):
        list(graph.pages(client, "q", ["s"], page_size=100, parallel=1))  # type: ignore[arg-type]


def test_a_change_after_the_rows_read_is_not_refused() -> None:
    """A resource deleted and another created beyond the rows read so far move no boundary:
    the pages follow on, and every row that existed throughout is there once."""

    def delete_and_create_later(ids: list[str]) -> None:
        ids.remove("r000800")
        ids.append("r000850x")

    client = ChangingGraph(rows=1000, changes={3: delete_and_create_later})
    got = _ids(list(graph.pages(client, "q", ["s"], page_size=100, parallel=1)))  # type: ignore[arg-type]
    assert len(got) == len(set(got)) == 1000
    assert set(got) == {f"r{i:06d}" for i in range(1000) if i != 800} | {"r000850x"}


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def _answer(quota: graph.Quota, left: int, resets: str) -> None:
    quota.observe(_Raw({"x-ms-user-quota-remaining": str(left), "x-ms-user-quota-resets-after": resets}))
    quota.release()


def test_quota_is_learned_then_spent_without_waiting_for_answers() -> None:
    clock = _Clock()
    quota = graph.Quota(clock=clock, sleep=clock.sleep)
    quota.acquire()  # the first query finds out the quota
    _answer(quota, 2, "00:00:05")  # 3 per 5 s window
    quota.acquire()
    quota.acquire()  # the two left go out at once, before any answer
    assert clock.now == 100.0
    _answer(quota, 1, "00:00:05")
    _answer(quota, 0, "00:00:05")
    quota.acquire()  # none left: waits for the window's end (its first answer + 5 s), not 429
    assert clock.now == pytest.approx(105.0)
    _answer(quota, 2, "00:00:05")  # the first answer of the new window
    quota.acquire()
    quota.acquire()
    assert clock.now == pytest.approx(105.0)


def test_no_quota_headers_means_unmetered() -> None:
    quota = graph.Quota()
    quota.acquire()
    quota.observe(_Raw({}))
    quota.release()
    for _ in range(50):
        quota.acquire()
