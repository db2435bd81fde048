"""Who runs a job: this process's identity, whether the process that ran a job is still
alive, and scratch directories owned by a process (removed once it is gone).

A worker's identity is `host:pid:start` (`start`: the process's start time as the kernel
counts it, so a reused pid is not mistaken for the worker that died). On the same host a
dead worker is known at once; on another host only by its run's heartbeat going silent.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCRATCH = "tmp"  # under the data dir
_OWNED = re.compile(r"^w-(?P<host>.+)-(?P<pid>\d+)-(?P<start>\d+)$")
LEGACY_SCRATCH_AGE = 24 * 3600  # unowned scratch directories (older versions) older than this go


@dataclass(frozen=True)
class Worker:
    host: str
    pid: int
    start: int

    @property
    def id(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @property
    def dirname(self) -> str:
        return f"w-{self.host}-{self.pid}-{self.start}"

    @classmethod
    def parse(cls, text: str | None) -> Worker | None:
        if not text:
            return None
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        try:
            return cls(host, int(pid), int(rest))
        except ValueError:
            return None

    def alive(self) -> bool | None:
        """True/False for a worker on this host, None when it runs elsewhere (unknowable)."""
        if self.host != this_worker().host:
            return None
        return _start_time(self.pid) == self.start


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), None if it is gone.
    Elsewhere: 0 while a process of that pid exists."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return 0
        return 0
    # the command name (field 2) may hold spaces and parentheses: split after its last ")"
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[19])  # field 22 of the whole line


@cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


_me: Worker | None = None


def this_worker() -> Worker:
    """This process (recomputed after a fork)."""
    global _me
    pid = os.getpid()
    if _me is None or _me.pid != pid:
        _me = Worker(_host(), pid, _start_time(pid) or 0)
    return _me


# --- scratch directories -------------------------------------------------------------
def scratch_dir(data_dir: Path, prefix: str) -> Path:
    """A new empty directory for one piece of work's temporary files, owned by this
    process: if it dies, the next worker to start (or the reaper) removes it."""
    d = data_dir / SCRATCH / this_worker().dirname / f"{prefix}-{uuid.uuid4().hex[:12]}"
    d.mkdir(parents=True, exist_ok=True)
    return d


@contextlib.contextmanager
def scratch(data_dir: Path, prefix: str) -> Iterator[Path]:
    d = scratch_dir(data_dir, prefix)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def sweep_scratch(data_dir: Path) -> list[str]:
    """Remove the scratch directories of processes of this host that are gone (and
    unowned ones of older versions past LEGACY_SCRATCH_AGE). Returns what it removed."""
    root = data_dir / SCRATCH
    removed: list[str] = []
    if not root.is_dir():
        return removed
    me = this_worker()
    for d in root.iterdir():
        if not d.is_dir():
            continue
        m = _OWNED.match(d.name)
        if m is None:
            if d.name.startswith("cost-import-") and time.time() - d.stat().st_mtime > LEGACY_SCRATCH_AGE:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(str(d))
            continue
        owner = Worker(m["host"], int(m["pid"]), int(m["start"]))
        if owner.host == me.host and owner != me and not owner.alive():
            shutil.rmtree(d, ignore_errors=True)
            removed.append(str(d))
    return removed
