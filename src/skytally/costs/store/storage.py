"""The on-disk cost store: a Hive-partitioned Parquet dataset in FOCUS columns.

    <root>/focus/billing_account=<id>/billing_period=<YYYY-MM>/part-*.parquet
                                                               _import.json
    <root>/.staging/<import id>/      an import in progress (new/, old/, COMMITTED)
    <root>/.staging/<import id>.lock  held (flock) while that import runs
    <root>/quarantine/<import id>/    rows refused by an import (on_bad_rows="quarantine")

Replacing periods is a two-phase commit. An import writes everything under its staging
directory (same filesystem as the store), then writes `COMMITTED` listing the periods.
Only then does it move each period into place: the live directory (if any) is renamed
into `old/`, the new one renamed into `focus/`. Each rename is atomic; recovery (at
start, and before each import) finishes a committed import whose process died midway
and deletes an uncommitted one, so a crash at any instant leaves every period either
wholly old or wholly new, and nothing is counted twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from .. import coverage
from ..schemas import PeriodKey, decode_value, encode_value

COMMITTED = "COMMITTED"
MANIFEST = "_import.json"
# per-period pre-aggregate of tag values by day (sql/tag_daily.sql), swapped with the rows
TAG_DAILY = Path("_agg") / "tag_daily.parquet"


class Committed(NamedTuple):
    placed: list[PeriodKey]  # the periods put in place
    kept: dict[PeriodKey, dict[str, Any]]  # stored periods a higher-ranked source holds: their manifests


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def _held_lock_file(path: Path) -> Iterator[IO[str]]:
    """Open and flock `path`, making sure the file locked is still the one at `path`: a
    concurrent recovery may delete a lock file it finds unheld between our open and our
    flock (before the staging directory exists), and a lock on a deleted file guards nothing."""
    while True:
        f = open(path, "a+")  # noqa: SIM115 - closed below or handed to the caller
        try:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                same = os.fstat(f.fileno()).st_ino == os.stat(path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
        except BaseException:
            f.close()
            raise
        f.close()
    with f:
        yield f


class StoreLayout:
    """Paths, locks, commit and recovery of one store root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        self.data = self.root / "focus"
        self.staging = self.root / ".staging"
        self.quarantine = self.root / "quarantine"
        for p in (self.data, self.staging):
            p.mkdir(parents=True, exist_ok=True)

    # -- locks -----------------------------------------------------------------
    @contextlib.contextmanager
    def store_lock(self) -> Iterator[None]:
        """Serialises commits and recovery between processes."""
        with open(self.root / ".lock", "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def staging_dir(self, import_id: str) -> Iterator[Path]:
        """A staging directory held (flock) for the life of the import."""
        lock_path = self.staging / f"{import_id}.lock"
        with _held_lock_file(lock_path) as f:
            d = self.staging / import_id
            d.mkdir(parents=True, exist_ok=True)
            try:
                yield d
            finally:
                shutil.rmtree(d, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    lock_path.unlink()
                fcntl.flock(f, fcntl.LOCK_UN)

    # -- listing ---------------------------------------------------------------
    def periods(self, accounts: list[str] | None = None) -> list[PeriodKey]:
        out: list[PeriodKey] = []
        if not self.data.exists():
            return out
        wanted = None if accounts is None else {encode_value(a) for a in accounts}
        for acc_dir in sorted(self.data.iterdir()):
            if not acc_dir.name.startswith("billing_account="):
                continue
            enc = acc_dir.name.split("=", 1)[1]
            if wanted is not None and enc not in wanted:
                continue
            for per_dir in sorted(acc_dir.iterdir()):
                if per_dir.name.startswith("billing_period="):
                    out.append(PeriodKey(decode_value(enc), decode_value(per_dir.name.split("=", 1)[1])))
        return out

    def files(self, keys: list[PeriodKey]) -> list[str]:
        files: list[str] = []
        for k in keys:
            d = self.data / k.relpath
            if d.is_dir():
                files.extend(str(p) for p in sorted(d.glob("*.parquet")))
        return files

    def tag_daily_files(self, keys: list[PeriodKey]) -> list[str] | None:
        """The tag pre-aggregates of these periods, or None when a period holding rows
        has none (imported before they existed): the caller then reads the rows."""
        out: list[str] = []
        for k in keys:
            d = self.data / k.relpath
            agg = d / TAG_DAILY
            if agg.is_file():
                out.append(str(agg))
            elif d.is_dir() and any(d.glob("*.parquet")):
                return None
        return out

    def manifest(self, key: PeriodKey) -> dict[str, object] | None:
        p = self.data / key.relpath / MANIFEST
        try:
            data = json.loads(p.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_manifest(self, key: PeriodKey, data: dict[str, object], *, base: Path | None = None) -> None:
        """Replace a period's manifest atomically (`base`: a staging `new/` directory
        instead of the live store). Callers changing a live one hold the store lock."""
        d = (base if base is not None else self.data) / key.relpath
        tmp = d / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(data, default=str, indent=1), "utf-8")
        os.replace(tmp, d / MANIFEST)

    def drop(self, key: PeriodKey, *, only_kind: str | None = None) -> bool:
        """Remove a stored period (the source now says it has no data), atomically: the
        directory is renamed out of the store, then deleted. `only_kind`: only if the
        period's manifest names that kind of source. Returns whether it was removed."""
        with self.store_lock():
            live = self.data / key.relpath
            if not live.is_dir():
                return False
            if only_kind is not None:
                m = self.manifest(key) or {}
                src = m.get("source")
                if not isinstance(src, dict) or src.get("kind") != only_kind:
                    return False
            trash = self.staging / f"dropped-{uuid.uuid4().hex}"
            os.rename(live, trash)
            _fsync_dir(live.parent)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    # -- commit ----------------------------------------------------------------
    def commit(self, stage: Path, keys: list[PeriodKey]) -> Committed:
        """Under the store lock: settle each staged period against the stored one
        (coverage.settle), mark `stage` committed with the periods it replaces, then move
        those into place. The others stay as they are, this import noted on them."""
        with self.store_lock():
            done = self._settle(stage, keys)
            marker = stage / COMMITTED
            tmp = stage / (COMMITTED + ".tmp")
            tmp.write_text(json.dumps([[k.billing_account, k.billing_period] for k in done.placed]), "utf-8")
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, marker)
            _fsync_dir(stage)
            self._roll_forward(stage, done.placed)
        return done

    def _settle(self, stage: Path, keys: list[PeriodKey]) -> Committed:
        """Write each period's settled manifest: into the store for a period that stays,
        into `stage` for one replaced when it carries the replaced imports."""
        done = Committed([], {})
        for key in keys:
            new = json.loads((stage / "new" / key.relpath / MANIFEST).read_text("utf-8"))
            settled = coverage.settle(self.manifest(key), new)
            if not settled.replace:
                self.write_manifest(key, settled.manifest)
                done.kept[key] = settled.manifest
                continue
            if settled.manifest != new:
                self.write_manifest(key, settled.manifest, base=stage / "new")
            done.placed.append(key)
        return done

    def _roll_forward(self, stage: Path, keys: list[PeriodKey]) -> None:
        for k in keys:
            new = stage / "new" / k.relpath
            if not new.exists():
                continue  # already moved into place
            live = self.data / k.relpath
            old = stage / "old" / k.relpath
            if live.exists():
                old.parent.mkdir(parents=True, exist_ok=True)
                os.rename(live, old)
            live.parent.mkdir(parents=True, exist_ok=True)
            os.rename(new, live)
            _fsync_dir(live.parent)
        shutil.rmtree(stage / "old", ignore_errors=True)

    # -- recovery --------------------------------------------------------------
    def recover(self) -> list[str]:
        """Finish committed imports, drop abandoned ones. Returns what was done."""
        done: list[str] = []
        if not self.staging.exists():
            return done
        with self.store_lock():
            for d in sorted(self.staging.iterdir()):
                if not d.is_dir():
                    continue
                lock_path = self.staging / f"{d.name}.lock"
                if lock_path.exists():
                    with open(lock_path, "a+") as f:
                        try:
                            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except BlockingIOError:
                            continue  # a running import owns it
                        fcntl.flock(f, fcntl.LOCK_UN)
                marker = d / COMMITTED
                if marker.exists():
                    keys = [PeriodKey(a, p) for a, p in json.loads(marker.read_text("utf-8"))]
                    self._roll_forward(d, keys)
                    done.append(f"completed import {d.name}")
                else:
                    done.append(f"discarded unfinished import {d.name}")
                shutil.rmtree(d, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    lock_path.unlink()
            for lock in self.staging.glob("*.lock"):
                if not (self.staging / lock.stem).exists():
                    with open(lock, "a+") as f:
                        try:
                            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        except BlockingIOError:
                            continue
                        lock.unlink(missing_ok=True)
        return done
