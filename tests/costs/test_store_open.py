"""Pages and API requests share one cost store per process: crash recovery (which takes
the store's file lock) runs when it is first opened, not on every request (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skytally.costs import service
from skytally.costs.store.storage import StoreLayout


def test_the_store_is_opened_and_recovered_once_per_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real = StoreLayout.recover

    def counting(self: StoreLayout) -> list[str]:
        calls.append(self.root)
        return real(self)

    monkeypatch.setattr(StoreLayout, "recover", counting)
    monkeypatch.setattr(service, "_OPEN", {})
    first = service.open_store(tmp_path / "costs")
    assert service.open_store(tmp_path / "costs") is first
    assert service.open_store(str(tmp_path / "costs" / "." )) is first
    assert len(calls) == 1
    other = service.open_store(tmp_path / "other")
    assert other is not first and len(calls) == 2
