"""Cost Management export runs write their file, as Azure does: azure-mgmt-costmanagement
(unchanged) creates and runs exports and reads their execution history; the CSV and its
manifest are then read back from the emulator's blob endpoint, like a storage client would.

ActualCost writes the cost details layout; FocusCost writes the columns of Microsoft's
FocusCost 1.0 export (finops-toolkit ``exports-schemas/focuscost_1.0.json``)."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from azure.mgmt.costmanagement import CostManagementClient

from azure_emulator.testing import RunningEmulator

from ._arm_clients import _close_sdk_clients, arm_kwargs, track, user_credential  # noqa: F401
from ._costs import previous_month
from ._swagger import REFERENCE, requires_reference


def _cm(emu: RunningEmulator) -> CostManagementClient:
    kwargs = arm_kwargs(emu)
    kwargs.pop("polling_interval")
    return track(CostManagementClient(user_credential(emu), **kwargs))


def _export(emu: RunningEmulator, kind: str, fmt: str = "Csv") -> dict[str, Any]:
    start, end, _ = previous_month(emu)
    return {"properties": {"format": fmt, "deliveryInfo": {"destination": {
        "resourceId": emu.fixtures["storage_account_id"], "container": "exports", "rootFolderPath": "finops/daily"}},
        "definition": {"type": kind, "timeframe": "Custom",
                       "timePeriod": {"from": f"{start}T00:00:00Z", "to": f"{end}T00:00:00Z"},
                       "dataSet": {"granularity": "Daily"}}}}


def _blob(http: httpx.Client, emu: RunningEmulator, name: str) -> str:
    listed = emu.control.get("/blobs", params={"prefix": name}).json()["value"]
    assert [b["name"] for b in listed] == [name]
    got = http.get(listed[0]["url"])
    assert got.status_code == 200, got.text
    return got.content.decode("utf-8")


def _run(emu: RunningEmulator, http: httpx.Client, name: str, kind: str) -> tuple[Any, list[dict[str, str]], dict[str, Any]]:
    sub = f"/subscriptions/{emu.fixtures['owned_subscription_id']}"
    cm = _cm(emu)
    cm.exports.create_or_update(sub, name, _export(emu, kind))
    cm.exports.execute(sub, name)
    history = cm.exports.get_execution_history(sub, name).value
    assert len(history) == 1 and history[0].status == "Completed", history[0].as_dict()
    run = history[0]
    expanded = cm.exports.get(sub, name, expand="runHistory")
    assert expanded.run_history.value[0].file_name == run.file_name
    text = _blob(http, emu, f"exports/{run.file_name}")
    manifest = json.loads(_blob(http, emu, f"exports/{run.manifest_file}"))
    return run, list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))), manifest


def _query_total(emu: RunningEmulator) -> Decimal:
    start, end, _ = previous_month(emu)
    body = {"type": "ActualCost", "timeframe": "Custom",
            "timePeriod": {"from": f"{start}T00:00:00Z", "to": f"{end}T23:59:59Z"},
            "dataset": {"granularity": "None", "aggregation": {"totalCost": {"name": "Cost", "function": "Sum"}}}}
    sub = f"/subscriptions/{emu.fixtures['owned_subscription_id']}"
    rows = _cm(emu).query.usage(sub, body).rows
    return Decimal(str(rows[0][0])) if rows else Decimal(0)


def test_actual_cost_export_run_writes_the_csv_and_manifest_where_azure_does(
        emulator: RunningEmulator, http: httpx.Client) -> None:
    start, end, _ = previous_month(emulator)
    run, rows, manifest = _run(emulator, http, "daily-actual", "ActualCost")
    # {rootFolderPath}/{exportName}/{YYYYMMDD-YYYYMMDD}/{runId}/part_0_0001.csv
    assert re.fullmatch(rf"finops/daily/daily-actual/{start:%Y%m%d}-{end:%Y%m%d}/{run.name}/part_0_0001\.csv",
                        run.file_name), run.file_name
    assert run.manifest_file == run.file_name.rsplit("/", 1)[0] + "/manifest.json"
    assert run.start_date.date() == start and run.end_date.date() == end
    assert rows and {r.get("SubscriptionId") for r in rows} == {emulator.fixtures["owned_subscription_id"]}
    cost = "Cost" if "Cost" in rows[0] else "costInBillingCurrency"
    assert abs(sum(Decimal(r[cost]) for r in rows) - _query_total(emulator)) < Decimal("0.05")
    assert manifest["blobs"] == [{"blobName": run.file_name, "byteCount": manifest["byteCount"], "dataRowCount": len(rows)}]
    assert manifest["exportConfig"]["exportName"] == "daily-actual" and manifest["exportConfig"]["type"] == "ActualCost"


@requires_reference
def test_focus_export_run_writes_microsofts_focuscost_columns(emulator: RunningEmulator, http: httpx.Client) -> None:
    schema = json.loads((REFERENCE / "cost-formats/finops-toolkit/exports-schemas/focuscost_1.0.json").read_text())
    columns = [m["source"]["name"] for m in schema["translator"]["mappings"]]
    _, rows, manifest = _run(emulator, http, "daily-focus", "FocusCost")
    assert rows and list(rows[0]) == columns
    start, _, _ = previous_month(emulator)
    assert {r["ChargePeriodStart"][:10] for r in rows} <= {f"{start:%Y-%m}-{d:02d}" for d in range(1, 32)}
    assert {r["SubAccountId"] for r in rows} == {f"/subscriptions/{emulator.fixtures['owned_subscription_id']}"}
    assert {r["ProviderName"] for r in rows} == {"Microsoft"} and all(r["ChargeCategory"] for r in rows)
    assert abs(sum(Decimal(r["BilledCost"]) for r in rows) - _query_total(emulator)) < Decimal("0.05")
    assert manifest["exportConfig"]["type"] == "FocusCost" and manifest["dataRowCount"] == len(rows)


def test_an_export_the_emulator_cannot_write_fails_its_run_saying_why(emulator: RunningEmulator) -> None:
    sub = f"/subscriptions/{emulator.fixtures['owned_subscription_id']}"
    cm = _cm(emulator)
    cm.exports.create_or_update(sub, "parquet-focus", _export(emulator, "FocusCost", fmt="Parquet"))
    cm.exports.execute(sub, "parquet-focus")
    run = cm.exports.get_execution_history(sub, "parquet-focus").value[0]
    assert run.status == "Failed" and "Parquet" in run.error.message and not run.file_name


@pytest.fixture(autouse=True)
def _no_leftover_exports(emulator: RunningEmulator) -> Any:
    yield
    with emulator.world.lock:
        emulator.world.cost_exports.clear()
