"""What an export run writes: the export's dataset for its timeframe as CSV, with a
``manifest.json``, into its destination container, as Cost Management's exports do:

    {container}/{rootFolderPath}/{exportName}/{YYYYMMDD-YYYYMMDD}/{runId}/part_0_0001.csv
    {container}/{rootFolderPath}/{exportName}/{YYYYMMDD-YYYYMMDD}/{runId}/manifest.json

``ActualCost`` / ``Usage`` and ``AmortizedCost`` write the cost details layout of the
account's agreement (EA or MCA, as the Cost Details API); ``FocusCost`` writes FOCUS 1.0
(``world/costs/focus.py``). The emulator holds one storage account: every destination's
container lands in its blob store, readable at ``/blobs/{container}/{path}`` with a SAS
(``GET /_emulator/blobs?prefix=…`` hands them out). Other dataset types, Parquet and
compressed formats fail the run with an error saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from azure_emulator.core.runtime import Runtime
from azure_emulator.services.blobs import backend as blobs
from azure_emulator.services.costmanagement import backend
from azure_emulator.services.costmanagement.scopes import CostScope, covers
from azure_emulator.world.billing import CostExport
from azure_emulator.world.costs import focus, formats
from azure_emulator.world.costs.generate import month_start
from azure_emulator.world.costs.report import rendered_rows
from azure_emulator.world.model import World

METRIC = {"ActualCost": "ActualCost", "Usage": "ActualCost", "AmortizedCost": "AmortizedCost", "FocusCost": "ActualCost"}
MANIFEST_VERSION = "2024-04-01"


@dataclass
class RunOutput:
    status: str  # Completed | Failed
    start: date
    end: date
    file_name: str = ""  # container-relative, as the run history reports it
    manifest_file: str = ""
    rows: int = 0
    error: dict[str, str] | None = None
    blob_names: list[str] = field(default_factory=list)


def _day(value: Any) -> date:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()


def period(export: CostExport, today: date, override: dict[str, Any] | None = None) -> tuple[date, date]:
    """The dates a run covers: the run request's timePeriod, else the definition's timeframe."""
    custom = override or (export.definition.get("timePeriod") if export.definition.get("timeframe") == "Custom" else None)
    if isinstance(custom, dict) and custom.get("from") and custom.get("to"):
        return _day(custom["from"]), _day(custom["to"])
    frame = str(export.definition.get("timeframe", "MonthToDate"))
    if frame in ("TheLastMonth", "TheLastBillingMonth"):
        end = month_start(today) - timedelta(days=1)
        return month_start(end), end
    if frame == "WeekToDate":
        return today - timedelta(days=today.weekday()), today
    return month_start(today), today


def write_run(runtime: Runtime, world: World, st: backend.CostState, scope: CostScope, export: CostExport,
              run_id: str, now: datetime, override: dict[str, Any] | None = None) -> RunOutput:
    start, end = period(export, now.date(), override)
    out = RunOutput("Failed", start, end)
    kind = str(export.definition.get("type"))
    compression = str(export.delivery.get("compressionMode") or export.definition.get("compressionMode") or "None")
    if kind not in METRIC or export.format != "Csv" or compression.lower() not in ("none", ""):
        out.error = {"code": "NotSupported", "message": f"The emulator writes Csv exports of ActualCost, Usage, "
                     f"AmortizedCost and FocusCost, uncompressed; this export is {kind}, {export.format}, {compression}."}
        return out
    in_scope = covers(scope)
    units = [u for u in backend.units(world, st, scope.account) if in_scope(u)]
    mca = scope.account.agreement == "MCA"
    header = formats.header("mca" if mca else "ea")
    lines = (line for line, _ in rendered_rows(scope.account, units, start, end, METRIC[kind], now, st.settings))
    chunks = focus.focus_lines(header, lines, mca) if kind == "FocusCost" else _with_header(header, lines)
    directory = st.directory(runtime) / "exports" / run_id
    directory.mkdir(parents=True, exist_ok=True)
    part = directory / "part_0_0001.csv"
    rows = -1
    with open(part, "w", encoding="utf-8", newline="") as fh:
        for chunk in chunks:
            fh.write(chunk)
            rows += 1
    container = str(export.delivery["container"]).strip("/")
    root = str(export.delivery.get("rootFolderPath") or "").strip("/")
    folder = "/".join(p for p in (root, export.name, f"{start:%Y%m%d}-{end:%Y%m%d}", run_id) if p)
    store = blobs.store(runtime)
    part_blob = f"{container}/{folder}/part_0_0001.csv"
    store.register(part_blob, part)
    manifest = {
        "manifestVersion": MANIFEST_VERSION, "byteCount": part.stat().st_size, "blobCount": 1, "dataRowCount": rows,
        "exportConfig": {"exportName": export.name, "resourceId": export.id, "dataVersion": _data_version(export),
                         "apiVersion": MANIFEST_VERSION, "type": kind,
                         "timeFrame": export.definition.get("timeframe"), "granularity": "Daily"},
        "deliveryConfig": {"partitionData": True, "dataOverwriteBehavior": "CreateNewReport", "fileFormat": "Csv",
                           "compressionMode": "None", "containerUri": export.delivery.get("resourceId", ""),
                           "rootFolderPath": root},
        "runInfo": {"executionType": "OnDemand", "submittedTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "runId": run_id, "startDate": f"{start:%Y-%m-%d}T00:00:00", "endDate": f"{end:%Y-%m-%d}T00:00:00"},
        "blobs": [{"blobName": f"{folder}/part_0_0001.csv", "byteCount": part.stat().st_size, "dataRowCount": rows}],
    }
    manifest_path = directory / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2))
    manifest_blob = f"{container}/{folder}/manifest.json"
    store.register(manifest_blob, manifest_path)
    out.status, out.rows = "Completed", rows
    out.file_name, out.manifest_file = f"{folder}/part_0_0001.csv", f"{folder}/manifest.json"
    out.blob_names = [part_blob, manifest_blob]
    return out


def _with_header(header: str, lines: Any) -> Any:
    yield header
    yield from lines


def _data_version(export: CostExport) -> str:
    dataset = export.definition.get("dataSet")
    config = dataset.get("configuration") if isinstance(dataset, dict) else None
    version = config.get("dataVersion") if isinstance(config, dict) else None
    return str(version or ("1.0" if export.definition.get("type") == "FocusCost" else "2021-10-01"))

