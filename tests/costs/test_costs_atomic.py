"""Period replacement is atomic: re-imports never double count, and a process killed
(SIGKILL) at any point leaves every period wholly old or wholly new."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from skytally.costs import CostQuery, CostStore


def totals(store: CostStore, account: str) -> dict[str, Decimal]:
    return store.query(CostQuery(billing_accounts=[account])).total


def test_reimport_is_idempotent(store: CostStore, sample) -> None:
    exp = sample(layout="mca", rows=2000, periods=["2024-01", "2024-02"], billing_account_id="A")
    for _ in range(3):
        store.import_files([exp.path])
    assert totals(store, "A") == {"BilledCost": exp.billed, "EffectiveCost": exp.effective}
    assert len(store.periods()) == 2
    # the same file twice in one import is counted once (warned)
    res = store.import_files([exp.path, exp.path])
    assert res.BilledCost == exp.billed and any("counted once" in w for w in res.warnings)


def test_reimport_replaces_only_the_periods_it_contains(store: CostStore, sample) -> None:
    both = sample(layout="ea_c360", rows=2000, periods=["2024-01", "2024-02"], billing_account_id="E", seed=1)
    feb = sample(layout="ea_c360", rows=500, periods=["2024-02"], billing_account_id="E", seed=2)
    store.import_files([both.path])
    store.import_files([feb.path])
    jan = Decimal(both.by_period["2024-01"].billed) / 10**8
    assert totals(store, "E")["BilledCost"] == jan + feb.billed


def _child(root: Path, files: list[Path], hook: str = "") -> subprocess.Popen[bytes]:
    code = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from skytally.costs import CostStore
        store = CostStore(Path({str(root)!r}))
        {hook}
        store.import_files([Path(p) for p in {[str(f) for f in files]!r}])
        print("DONE", flush=True)
    """)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(pred, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_sigkill_mid_import_keeps_previous_data(tmp_path: Path, sample) -> None:
    root = tmp_path / "store"
    old = sample(layout="mca", rows=3000, periods=["2024-01", "2024-02"], billing_account_id="K", seed=1)
    new = sample(layout="mca", rows=80_000, periods=["2024-01", "2024-02"], billing_account_id="K", seed=2)
    store = CostStore(root)
    store.import_files([old.path])
    store.close()

    proc = _child(root, [new.path])
    staging = root / ".staging"
    # kill while DuckDB is writing the new periods aside
    _wait_for(lambda: any(staging.glob("*/files/*")) or proc.poll() is not None)
    assert proc.poll() is None, "import finished before it could be killed; use a bigger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert any(p.is_dir() for p in staging.iterdir())  # debris left behind

    store = CostStore(root)  # recovery at start discards the unfinished import
    assert any("discarded" in r for r in store.recovered)
    assert [p for p in staging.iterdir()] == []
    assert totals(store, "K") == {"BilledCost": old.billed, "EffectiveCost": old.effective}

    res = store.import_files([new.path])  # run again: exact, nothing counted twice
    assert (res.rows, res.BilledCost) == (new.rows, new.billed)
    assert totals(store, "K") == {"BilledCost": new.billed, "EffectiveCost": new.effective}
    store.close()


def test_sigkill_between_period_swaps_rolls_forward(tmp_path: Path, sample) -> None:
    root = tmp_path / "store"
    old = sample(layout="ea_c360", rows=2000, periods=["2024-01", "2024-02"], billing_account_id="R", seed=1)
    new = sample(layout="ea_c360", rows=2000, periods=["2024-01", "2024-02"], billing_account_id="R", seed=2)
    store = CostStore(root)
    store.import_files([old.path])
    store.close()
    # the child commits, moves the first period's old data aside, then hangs until killed
    # (the first rename of live data into the stage's "old" folder is followed by a hang)
    hook = ("import os; _rename = os.rename; os.rename = lambda a, b: (_rename(a, b), "
            "('/old/' in str(b)) and (print('SWAPPING', flush=True), time.sleep(60)))[0]")
    proc = _child(root, [new.path], hook)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == b"SWAPPING"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    store = CostStore(root)  # the import had committed: recovery completes it
    assert any("completed" in r for r in store.recovered)
    assert totals(store, "R") == {"BilledCost": new.billed, "EffectiveCost": new.effective}
    assert len(store.periods()) == 2
    store.close()


@pytest.mark.parametrize("marker", [False, True])
def test_leftover_staging_is_cleaned_at_start(tmp_path: Path, marker: bool) -> None:
    root = tmp_path / "store"
    CostStore(root).close()
    debris = root / ".staging" / "20240101T000000-dead"
    (debris / "new" / "billing_account=X" / "billing_period=2024-01").mkdir(parents=True)
    if marker:
        (debris / "COMMITTED").write_text('[["X", "2024-01"]]')
    store = CostStore(root)
    assert not debris.exists()
    assert [p["billing_account"] for p in store.periods()] == (["X"] if marker else [])
