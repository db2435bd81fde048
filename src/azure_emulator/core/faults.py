"""Injectable faults and latency, matched by path regex."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["429", "500", "503", "slow", "reset", "drop"]


@dataclass(slots=True)
class FaultRule:
    """A rule: for requests whose path matches ``path`` (regex, searched) and ``method``.

    ``rates`` maps a fault kind to its probability (0..1) per request; ``count`` (if set)
    limits how many requests this rule may still fault (deterministic tests use
    ``{"rates": {"500": 1}, "count": 2}``). ``latency_ms`` is added to every matching
    request; ``slow_seconds`` is the delay of a "slow" fault; ``retry_after`` is the
    Retry-After of an injected 429/503. ``reset`` drops the connection before the request
    reaches the service (nothing applied); ``drop`` lets the service apply the request, then
    drops the connection mid-response (the client sees a reset; Azure kept the write); with
    ``drop_after_seconds`` the answer is held that long first, so a client with a shorter read
    timeout sees a timeout instead.
    """

    path: str = ".*"
    method: str | None = None
    rates: dict[str, float] = field(default_factory=dict)
    count: int | None = None
    latency_ms: float = 0.0
    slow_seconds: float = 5.0
    retry_after: int = 1
    drop_after_seconds: float = 0.0
    _regex: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def matches(self, method: str, path: str) -> bool:
        if self._regex is None:
            self._regex = re.compile(self.path)
        if self.method and self.method.upper() != method:
            return False
        return self._regex.search(path) is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_regex", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {"path", "method", "rates", "count", "latency_ms", "slow_seconds", "retry_after", "drop_after_seconds"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        rule = cls(**data)
        for kind in rule.rates:
            if kind not in ("429", "500", "503", "slow", "reset", "drop"):
                raise ValueError(f"unknown fault kind {kind!r}")
        re.compile(rule.path)
        return rule


@dataclass(slots=True)
class FaultDecision:
    latency_s: float = 0.0
    fault: str | None = None
    retry_after: int = 1
    slow_seconds: float = 0.0
    drop_after_seconds: float = 0.0


class Faults:
    """The set of active rules plus a global latency."""

    def __init__(self, seed: int | None = None) -> None:
        self.rules: list[FaultRule] = []
        self.latency_ms: float = 0.0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.latency_ms = 0.0

    def decide(self, method: str, path: str) -> FaultDecision | None:
        if not self.rules and not self.latency_ms:
            return None
        decision = FaultDecision(latency_s=self.latency_ms / 1000.0)
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path):
                    continue
                decision.latency_s += rule.latency_ms / 1000.0
                if decision.fault is not None or (rule.count is not None and rule.count <= 0):
                    continue
                for kind, rate in rule.rates.items():
                    if rate > 0 and self._rng.random() < rate:
                        decision.fault = kind
                        decision.retry_after = rule.retry_after
                        decision.slow_seconds = rule.slow_seconds
                        decision.drop_after_seconds = rule.drop_after_seconds
                        if rule.count is not None:
                            rule.count -= 1
                        break
        return decision
