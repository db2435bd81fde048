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
    assert sorted(skip for skip, _t in client.calls[1:]) == list(range(100, 2345, 100))  # asked by $skip


def test_a_result_that_changes_while_read_is_refused() -> None:
    client = FakeGraph(rows=1000, shrink_after=3)
    with pytest.raises(graph.GraphIncomplete, match="changed while it was read"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


def test_a_page_short_of_its_rows_is_refused() -> None:
    client = FakeGraph(rows=1000, short_page_at=500)
    with pytest.raises(graph.GraphIncomplete, match="page at row 500 held 99 of 100"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


def test_rows_shifted_while_read_are_refused() -> None:
    """A resource created before a page boundary (and another deleted after it, so the total
    stays) shifts the later pages by one: the first row of a page repeats the last of the
    previous one."""

    class Shifted(FakeGraph):
        def resources(self, request: Any, raw_response_hook: Any = None) -> _Answer:
            answer = super().resources(request, raw_response_hook)
            if request.options.skip == 300:
                answer.data = [{"id": "r000299"}, *answer.data[:-1]]
            return answer

    client = Shifted(rows=1000)
    with pytest.raises(graph.GraphIncomplete, match="page at row 300 repeats a row"):
        list(graph.pages(client, "q", ["s"], page_size=100))  # type: ignore[arg-type]


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
