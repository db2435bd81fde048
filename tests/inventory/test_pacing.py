"""The push's client-side write bucket (pacing.Bucket) against a simulated ARM bucket:
it starts at capacity, then keeps ARM's refill rate although ARM's remaining-calls header
is a little stale and rounded down when it arrives."""

from __future__ import annotations

import random

from skytally.inventory.pacing import Bucket, BucketLimits


class _Clock:
    """A fake clock whose sleep delivers the answers due meanwhile (as a push's other
    threads do while one waits for a token)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.due: list[tuple[float, object]] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        until = self.now + max(seconds, 1e-6)  # (a float wait of 1e-17 would not move the clock)
        while self.due and min(self.due, key=lambda d: d[0])[0] <= until:
            at, deliver = min(self.due, key=lambda d: d[0])
            self.due.remove((at, deliver))
            self.now = max(self.now, at)
            deliver()  # type: ignore[operator]
        self.now = until


def _writes_in(seconds: float) -> int:
    """Writes a client sends in `seconds` against ARM's 20 + 10/s bucket: ARM handles each
    20 ms after it was sent, its answer (with ARM's remaining count) arrives 30 to 300 ms
    after it was sent."""
    jitter = random.Random(1)
    clock = _Clock()
    bucket = Bucket(BucketLimits(20, 10), clock=clock, sleep=clock.sleep)
    arm = [20.0, 0.0]  # ARM's tokens and when it last counted
    sent = 0
    while True:
        bucket.take()
        if clock.now >= seconds:
            return sent
        sent_at = clock.now
        handled = sent_at + 0.02
        arm[0] = min(20.0, arm[0] + (handled - arm[1]) * 10) - 1
        arm[1] = handled
        assert arm[0] >= -1e-9, "ARM would have answered 429"
        remaining = int(arm[0])
        clock.due.append((sent_at + jitter.uniform(0.03, 0.3), lambda r=remaining: bucket.observe(r)))
        sent += 1


def test_bucket_starts_full_then_keeps_the_refill_rate() -> None:
    """The burst at once, then ARM's refill rate: the stale, rounded-down remaining counts
    ARM answers with never hold the push below it (nor let it run into a 429)."""
    sent = _writes_in(30)
    assert sent >= 20 + 30 * 10 * 0.97, sent
