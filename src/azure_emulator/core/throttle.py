"""ARM-style token-bucket throttling per principal × subscription (or tenant).

Azure Resource Manager's current model: each principal has, per subscription and per
tenant, a bucket for reads, writes and deletes that refills continuously. The defaults
here are ARM's documented subscription limits (reads 250 burst + 25/s; writes and deletes
200 + 10/s). Each subscription also has a global bucket per kind shared by every principal,
"15 times the individual service principal limit" (learn.microsoft.com, Azure Resource
Manager request limits and throttling): its remainder is the ``…-subscription-global-{kind}``
header. Refill follows the emulator clock, so advancing the clock refills buckets.

With throttling switched off the buckets still count (the headers stay true), they only
stop refusing.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["reads", "writes", "deletes"]

_SUB_RE = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})(?:/|$)")


@dataclass(slots=True)
class BucketSpec:
    capacity: float
    refill_per_second: float


@dataclass(slots=True)
class ThrottleConfig:
    enabled: bool = True
    reads: BucketSpec = field(default_factory=lambda: BucketSpec(250, 25))
    writes: BucketSpec = field(default_factory=lambda: BucketSpec(200, 10))
    deletes: BucketSpec = field(default_factory=lambda: BucketSpec(200, 10))
    global_factor: float = 15.0  # a subscription's all-principals bucket, as a multiple of one principal's
    # Paths (regex on the path below /arm) that ARM does not meter with these buckets.
    exempt_paths: list[str] = field(
        default_factory=lambda: [r"(?i)/providers/Microsoft\.ResourceGraph/"]
    )

    def spec(self, kind: Kind) -> BucketSpec:
        return getattr(self, kind)  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, data: dict[str, Any]) -> None:
        """Apply a partial update, e.g. ``{"reads": {"capacity": 5}}``."""
        for key, value in data.items():
            if key in ("reads", "writes", "deletes") and isinstance(value, dict):
                spec = self.spec(key)  # type: ignore[arg-type]
                if "capacity" in value:
                    spec.capacity = float(value["capacity"])
                if "refill_per_second" in value:
                    spec.refill_per_second = float(value["refill_per_second"])
            elif key == "enabled":
                self.enabled = bool(value)
            elif key == "global_factor":
                self.global_factor = float(value)
            elif key == "exempt_paths":
                self.exempt_paths = [str(v) for v in value]
            else:
                raise ValueError(f"unknown throttle setting {key!r}")


def request_kind(method: str) -> Kind:
    if method in ("GET", "HEAD", "OPTIONS"):
        return "reads"
    if method == "DELETE":
        return "deletes"
    return "writes"


def subscription_in_path(path: str) -> str | None:
    match = _SUB_RE.search(path)
    return match.group(1).lower() if match else None


@dataclass(slots=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int
    scope: Literal["subscription", "tenant"]
    kind: Kind
    global_remaining: int | None = None  # the subscription's all-principals bucket (subscription scope only)

    def headers(self) -> dict[str, str]:
        """ARM's remaining-quota headers for this request."""
        out = {f"x-ms-ratelimit-remaining-{self.scope}-{self.kind}": str(self.remaining)}
        if self.global_remaining is not None:
            out[f"x-ms-ratelimit-remaining-subscription-global-{self.kind}"] = str(self.global_remaining)
        return out


class TokenBuckets:
    """Buckets keyed by (principal, scope id, kind)."""

    def __init__(self, config: ThrottleConfig | None = None) -> None:
        self.config = config or ThrottleConfig()
        self._state: dict[tuple[str, str, str], list[float]] = {}
        self._lock = threading.Lock()
        self._exempt: list[re.Pattern[str]] = []
        self._exempt_src: list[str] = []

    def reset(self) -> None:
        with self._lock:
            self._state.clear()

    def is_exempt(self, path: str) -> bool:
        if self._exempt_src != self.config.exempt_paths:
            self._exempt = [re.compile(p) for p in self.config.exempt_paths]
            self._exempt_src = list(self.config.exempt_paths)
        return any(p.search(path) for p in self._exempt)

    def _take(self, key: tuple[str, str, str], capacity: float, rate: float, now: float) -> tuple[float, list[float]]:
        """The bucket's tokens after refill up to ``now`` (not yet spent); caller holds the lock."""
        state = self._state.get(key)
        if state is None:
            state = [capacity, now]
            self._state[key] = state
        tokens = min(capacity, state[0] + max(0.0, now - state[1]) * rate)
        state[1] = now
        return tokens, state

    def consume(self, principal: str, scope_id: str, is_subscription: bool, kind: Kind, now: float) -> Decision:
        spec = self.config.spec(kind)
        scope: Literal["subscription", "tenant"] = "subscription" if is_subscription else "tenant"
        enforce = self.config.enabled
        with self._lock:
            tokens, state = self._take((principal, scope_id, kind), spec.capacity, spec.refill_per_second, now)
            g_tokens, g_state = tokens, None
            factor = self.config.global_factor
            if is_subscription:
                g_tokens, g_state = self._take(("*", scope_id, kind), spec.capacity * factor,
                                               spec.refill_per_second * factor, now)
            if (tokens >= 1.0 and g_tokens >= 1.0) or not enforce:
                state[0] = max(0.0, tokens - 1.0)
                if g_state is not None:
                    g_state[0] = max(0.0, g_tokens - 1.0)
                return Decision(True, int(state[0]), 0, scope, kind, int(g_state[0]) if g_state is not None else None)
            state[0] = tokens
            if g_state is not None:
                g_state[0] = g_tokens
            waits = [(1.0 - tokens) / (spec.refill_per_second or 1e-9)]
            if g_state is not None:
                waits.append((1.0 - g_tokens) / ((spec.refill_per_second * factor) or 1e-9))
            retry = max(1, math.ceil(max(waits)))
            return Decision(False, int(tokens), retry, scope, kind, int(g_tokens) if g_state is not None else None)
