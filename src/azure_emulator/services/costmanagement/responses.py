"""Cost Management JSON shapes: exports and their runs (ExportRun, 2025-03-01: fileName,
manifestFile, startDate/endDate, runSettings, error). Query results, dimensions, budgets and
alerts are shaped where they are computed (``query.py``, ``budget_rules.py``)."""

from __future__ import annotations

from typing import Any

from azure_emulator.world.billing import CostExport, ExportRun


def run_json(export: CostExport, run: ExportRun) -> dict[str, Any]:
    def ts(v: Any) -> str | None:
        return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if v is not None else None

    return {
        "id": f"{export.id}/Run/{run.id}",
        "name": run.id,
        "type": "Microsoft.CostManagement/reports/Run",
        "eTag": None,
        "properties": {
            "executionType": run.execution_type,
            "status": run.status,
            "submittedBy": "System" if run.execution_type == "Scheduled" else "User",
            "submittedTime": ts(run.submitted),
            "processingStartTime": ts(run.processing_start),
            "processingEndTime": ts(run.processing_end),
            "startDate": ts(run.start_date),
            "endDate": ts(run.end_date),
            "fileName": run.file_name or None,
            "manifestFile": run.manifest_file or None,
            "runSettings": {"format": export.format, "deliveryInfo": {"destination": export.delivery},
                            "definition": export.definition},
            **({"error": run.error} if run.error else {}),
        },
    }


def export_json(export: CostExport, with_history: bool = False) -> dict[str, Any]:
    props: dict[str, Any] = {
        "format": export.format,
        "deliveryInfo": {"destination": export.delivery},
        "definition": export.definition,
    }
    if export.schedule is not None:
        props["schedule"] = export.schedule
    if with_history:
        props["runHistory"] = {"value": [run_json(export, r) for r in reversed(export.runs)]}
    return {"id": export.id, "name": export.name, "type": "Microsoft.CostManagement/exports", "eTag": export.etag,
            "properties": props}
