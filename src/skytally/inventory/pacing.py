"""Client-side pacing of Azure Resource Manager calls per subscription × principal.

ARM meters each principal per subscription with token buckets that refill continuously
(writes: 200 burst + 10/s; reads: 250 + 25/s, Azure's documented limits). A push paces
itself with the same buckets so that it stays under them instead of running into 429s,
and it lowers its own count when ARM's `x-ms-ratelimit-remaining-subscription-writes`
(or `-reads`) header says fewer are left (another client shares the bucket). The SDK's
retry policy still handles a 429 that happens anyway (honouring Retry-After).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

WRITES_HEADER = "x-ms-ratelimit-remaining-subscription-writes"
READS_HEADER = "x-ms-ratelimit-remaining-subscription-reads"


@dataclass(frozen=True)
class BucketLimits:
    capacity: float
    refill_per_second: float


ARM_WRITES = BucketLimits(200, 10)
ARM_READS = BucketLimits(250, 25)


class Bucket:
    """A token bucket; `take` blocks until a token is there."""

    def __init__(self, limits: BucketLimits, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limits = limits
        self._clock, self._sleep = clock, sleep
        self._tokens = limits.capacity
        self._at = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.limits.capacity, self._tokens + (now - self._at) * self.limits.refill_per_second)
        self._at = now

    def take(self) -> None:
        while True:
            with self._lock:
                self._refill()
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.limits.refill_per_second
            self.waited += wait
            self._sleep(wait)

    def observe(self, remaining: float) -> None:
        """ARM said how many calls are left: never believe we have more."""
        with self._lock:
            self._refill()
            self._tokens = min(self._tokens, max(0.0, remaining))


class Pacer:
    """The read and write buckets of one subscription."""

    def __init__(self, writes: BucketLimits = ARM_WRITES, reads: BucketLimits = ARM_READS) -> None:
        self.writes = Bucket(writes)
        self.reads = Bucket(reads)

    def observe(self, headers: Mapping[str, str]) -> None:
        for name, bucket in ((WRITES_HEADER, self.writes), (READS_HEADER, self.reads)):
            value = headers.get(name)
            if value is not None:
                try:
                    bucket.observe(float(value))
                except ValueError:
                    pass
