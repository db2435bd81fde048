"""ARM-style token-bucket throttling per principal × subscription (or tenant).

Azure Resource Manager's current model: each principal has, per subscription and per
tenant, a bucket for reads, writes and deletes that refills continuously. The defaults
here are ARM's documented subscription limits (reads 250 burst + 25/s; writes and deletes
200 + 10/s). Refill follows the emulator clock, so advancing the clock refills buckets.
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

    def consume(self, principal: str, scope_id: str, is_subscription: bool, kind: Kind, now: float) -> Decision:
        spec = self.config.spec(kind)
        key = (principal, scope_id, kind)
        scope: Literal["subscription", "tenant"] = "subscription" if is_subscription else "tenant"
        with self._lock:
            state = self._state.get(key)
            if state is None:
                state = [spec.capacity, now]
                self._state[key] = state
            tokens = min(spec.capacity, state[0] + max(0.0, now - state[1]) * spec.refill_per_second)
            state[1] = now
            if tokens >= 1.0:
                state[0] = tokens - 1.0
                return Decision(True, int(state[0]), 0, scope, kind)
            state[0] = tokens
            rate = spec.refill_per_second or 1e-9
            retry = max(1, math.ceil((1.0 - tokens) / rate))
            return Decision(False, 0, retry, scope, kind)
