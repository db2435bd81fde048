"""Per-app runtime state that is not part of the world (keys, behaviour, logs, flows)."""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure_emulator.core.faults import Faults
from azure_emulator.core.keys import Signer
from azure_emulator.core.throttle import TokenBuckets


@dataclass(frozen=True, slots=True)
class BaseUrls:
    """Absolute https URLs of each emulated host (all on one port, by path)."""

    root: str  # also the Entra ID authority host
    arm: str
    graph: str
    ea: str
    blobs: str
    control: str

    @property
    def login(self) -> str:
        return self.root

    @classmethod
    def from_root(cls, root: str) -> BaseUrls:
        root = root.rstrip("/")
        return cls(
            root=root,
            arm=f"{root}/arm",
            graph=f"{root}/graph",
            ea=f"{root}/ea",
            blobs=f"{root}/blobs",
            control=f"{root}/_emulator",
        )


class RequestLog:
    """A bounded log of requests served: method, path, status, principal, time."""

    def __init__(self, maxlen: int = 20000) -> None:
        self.entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.entries)

    def clear(self) -> None:
        self.entries.clear()


class WriteJournal:
    """Every tag write ARM applied (Tags at scope PUT / PATCH / DELETE), in order: what tests use
    to count applied writes exactly, even when the response was dropped (``seq`` increases)."""

    def __init__(self, maxlen: int = 500_000) -> None:
        self.entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._seq = 0

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._seq += 1
            self.entries.append({"seq": self._seq, **entry})

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.entries)

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()


@dataclass
class Runtime:
    base: BaseUrls
    signer: Signer
    state_dir: Path | None = None
    buckets: TokenBuckets = field(default_factory=TokenBuckets)
    faults: Faults = field(default_factory=Faults)
    log: RequestLog = field(default_factory=RequestLog)
    tag_writes: WriteJournal = field(default_factory=WriteJournal)
    # token → (claims, principal); cleared when it grows too large
    auth_cache: dict[str, Any] = field(default_factory=dict)
    # service-private state (Entra flows, codes, refresh tokens, ...) keyed by service name
    services: dict[str, Any] = field(default_factory=dict)

    def reset_behaviour(self) -> None:
        self.buckets.reset()
        self.faults.clear()
        self.log.clear()
        self.tag_writes.clear()
        self.auth_cache.clear()
