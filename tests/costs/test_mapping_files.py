"""The mapping YAML is validated when it is loaded (issue 18)."""

from __future__ import annotations

from typing import Any

import pytest

from skytally.costs.store import mapping


def _with_files(monkeypatch: pytest.MonkeyPatch, files: dict[str, dict[str, Any]]) -> None:
    real = mapping._load_yaml

    def load(name: str) -> dict[str, Any]:
        return files[name] if name in files else real(name)

    monkeypatch.setattr(mapping, "_load_yaml", load)
    mapping.layouts.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    mapping.layouts.cache_clear()
    yield
    mapping.layouts.cache_clear()


def test_shipped_mappings_load() -> None:
    assert {"mca", "ea_exports", "focus_1.0", "focus_1.2"} <= set(mapping.layouts())
    assert all(lay.cost_column and lay.cost_column != "None" for lay in mapping.layouts().values())


def test_a_layout_without_a_cost_column_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_files(monkeypatch, {"cost_management.yaml": {"canonical": {"CostInBillingCurrency": "DECIMAL"},
                                                       "date_column": "Date"}})
    with pytest.raises(ValueError, match="cost_column"):
        mapping.layouts()


def test_an_unknown_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = dict(mapping._load_yaml("mca.yaml"))
    data["colums"] = {"X": "Y"}
    _with_files(monkeypatch, {"mca.yaml": data})
    with pytest.raises(ValueError, match=r"(?s)mca\.yaml.*colums"):
        mapping.layouts()


def test_a_layout_without_a_date_column_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_files(monkeypatch, {"cost_management.yaml": {"canonical": {"Date": "DATE"},
                                                       "cost_column": "CostInBillingCurrency"}})
    with pytest.raises(ValueError, match=r"(?s)costs/mappings/\w+\.yaml.*date_column"):
        mapping.layouts()


def test_a_wrong_type_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = dict(mapping._load_yaml("mca.yaml"))
    data["rename"] = ["resourceGroupName"]
    _with_files(monkeypatch, {"mca.yaml": data})
    with pytest.raises(ValueError, match=r"(?s)mca\.yaml.*rename"):
        mapping.layouts()
