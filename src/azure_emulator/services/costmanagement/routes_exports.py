"""Cost Management exports and alerts (mounted at ``/arm``):

- ``GET /{scope}/providers/Microsoft.CostManagement/exports`` (list), ``GET|PUT|DELETE
  …/exports/{name}``, ``POST …/exports/{name}/run`` (200; records an OnDemand execution),
  ``GET …/exports/{name}/runHistory``; ``$expand=runHistory`` on GET adds the history.
  A run writes the export's CSV and manifest into the destination container of the
  emulator's blob store (``export_runs.py``); its history entry names them (``fileName``,
  ``manifestFile``) with the dates it covered, or says why it failed.
- ``GET /{scope}/providers/Microsoft.CostManagement/alerts`` — the budget alerts at the scope:
  one per enabled notification whose threshold the budget's current spend crossed.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Router

from azure_emulator.core.arm import ArmRoute, empty_response, json_response, read_json
from azure_emulator.core.context import get_runtime
from azure_emulator.core.errors import arm_error
from azure_emulator.services.costmanagement import budget_rules, export_runs
from azure_emulator.services.costmanagement import responses as R
from azure_emulator.services.costmanagement.scopes import cost_context
from azure_emulator.world.billing import CostExport, ExportRun

READ = "Microsoft.CostManagement/exports/read"
WRITE = "Microsoft.CostManagement/exports/write"
DELETE = "Microsoft.CostManagement/exports/delete"
RUN = "Microsoft.CostManagement/exports/action"
ALERTS_READ = "Microsoft.CostManagement/alerts/read"
EXPORT_TYPES = ("ActualCost", "AmortizedCost", "Usage", "FocusCost", "PriceSheet", "ReservationDetails",
                "ReservationRecommendations", "ReservationTransactions")
_PROVIDER = r"/providers/Microsoft\.CostManagement"


def _bad(message: str) -> Exception:
    return arm_error(400, "BadRequest", message)


def _validate(name: str, body: dict[str, Any], existing: CostExport | None, scope_path: str) -> CostExport:
    props = body.get("properties")
    if not isinstance(props, dict):
        raise _bad("The export must have 'properties'.")
    if existing is not None and body.get("eTag") not in (None, existing.etag):
        raise arm_error(412, "PreconditionFailed", "The eTag in the request does not match the export's current eTag.")
    definition = props.get("definition")
    if not isinstance(definition, dict) or str(definition.get("type")) not in EXPORT_TYPES:
        raise _bad(f"definition.type is required; valid values: {', '.join(EXPORT_TYPES)}.")
    if not definition.get("timeframe"):
        raise _bad("definition.timeframe is required.")
    delivery = (props.get("deliveryInfo") or {}).get("destination")
    if not isinstance(delivery, dict) or not delivery.get("container"):
        raise _bad("deliveryInfo.destination with a container is required.")
    if not (delivery.get("resourceId") or delivery.get("storageAccount")):
        raise _bad("deliveryInfo.destination.resourceId (the storage account) is required.")
    fmt = str(props.get("format", "Csv"))
    if fmt not in ("Csv", "Parquet"):
        raise _bad(f"Invalid format '{fmt}'. Valid values: Csv, Parquet.")
    schedule = props.get("schedule")
    etag = '"' + hashlib.sha1(f"{scope_path}|{name}|{uuid.uuid4()}".encode()).hexdigest()[:16] + '"'
    return CostExport(scope=scope_path, name=existing.name if existing else name, definition=dict(definition),
                      delivery=dict(delivery), schedule=dict(schedule) if isinstance(schedule, dict) else None,
                      format=fmt, etag=etag, runs=list(existing.runs) if existing else [])


def _key(scope_path: str, name: str) -> str:
    return f"/{scope_path}/providers/Microsoft.CostManagement/exports/{name}".lower()


async def list_exports(request: Request) -> Response:
    world, _, scope, _ = cost_context(request, READ)
    prefix = _key(scope.path, "")
    history = "runhistory" in request.query_params.get("$expand", "").lower()
    return json_response({"value": [R.export_json(e, history) for k, e in world.cost_exports.items() if k.startswith(prefix)]})


async def export(request: Request) -> Response:
    action = {"GET": READ, "HEAD": READ, "PUT": WRITE, "DELETE": DELETE}[request.method]
    world, _, scope, _ = cost_context(request, action)
    name = request.path_params["name"]
    key = _key(scope.path, name)
    existing = world.cost_exports.get(key)
    if request.method == "PUT":
        made = _validate(name, await read_json(request), existing, "/" + scope.path)
        with world.lock:
            world.cost_exports[key] = made
        return json_response(R.export_json(made), 200 if existing else 201)
    if existing is None:
        raise arm_error(404, "NotFound", f"The export '{name}' was not found.")
    if request.method == "DELETE":
        with world.lock:
            world.cost_exports.pop(key, None)
        return empty_response(200)
    return json_response(R.export_json(existing, "runhistory" in request.query_params.get("$expand", "").lower()))


async def run_export(request: Request) -> Response:
    world, st, scope, _ = cost_context(request, RUN)
    found = world.cost_exports.get(_key(scope.path, request.path_params["name"]))
    if found is None:
        raise arm_error(404, "NotFound", f"The export '{request.path_params['name']}' was not found.")
    override = (await read_json(request)).get("timePeriod")
    started = world.clock.now()
    run_id = str(uuid.uuid4())
    written = export_runs.write_run(get_runtime(request), world, st, scope, found, run_id, started,
                                    override if isinstance(override, dict) else None)
    ended = world.clock.now()

    def midnight(day: Any) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    run = ExportRun(run_id, "OnDemand", written.status, started, started, ended, midnight(written.start),
                    midnight(written.end), written.file_name, written.manifest_file, written.error)
    with world.lock:
        found.runs.append(run)
    return empty_response(200)


async def run_history(request: Request) -> Response:
    world, _, scope, _ = cost_context(request, READ)
    found = world.cost_exports.get(_key(scope.path, request.path_params["name"]))
    if found is None:
        raise arm_error(404, "NotFound", f"The export '{request.path_params['name']}' was not found.")
    return json_response({"value": [R.run_json(found, r) for r in reversed(found.runs)]})


async def alerts(request: Request) -> Response:
    world, st, scope, _ = cost_context(request, ALERTS_READ)
    prefix = f"/{scope.path}/providers/Microsoft.Consumption/budgets/".lower()
    today = world.clock.now().date()
    value = []
    for key, budget in world.budgets.items():
        if not key.startswith(prefix):
            continue
        spent = budget_rules.current_spend(world, st, scope, budget, request)
        for note_key, notification in budget_rules.triggered(budget, spent):
            value.append(budget_rules.alert_json(scope.path, budget, note_key, notification, spent,
                                                 scope.account.currency, today))
    return json_response({"value": value})


router = Router(
    routes=[
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/exports", list_exports, ["GET"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/exports/(?P<name>[^/]+)", export, ["GET", "PUT", "DELETE"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/exports/(?P<name>[^/]+)/run", run_export, ["POST"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/exports/(?P<name>[^/]+)/runHistory", run_history, ["GET"]),
        ArmRoute(r"/(?P<scope>.+?)" + _PROVIDER + r"/alerts", alerts, ["GET"]),
    ]
)
