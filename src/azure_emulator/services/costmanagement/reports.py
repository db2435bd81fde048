"""Cost Details reports: request validation, the background generation, the manifest.

Validation messages follow ``GenerateCostDetailsReportErrorResponse`` in the 2023-11-01
swagger where Microsoft words them ("Invalid request payload: can only have either
timePeriod or invoiceId or billingPeriod.", "Start date must be after …", "The maximum
allowed date range is 1 months."); the others are the emulator's (docs/emulator.md).
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from azure_emulator.core.errors import ApiError, arm_error
from azure_emulator.core.runtime import Runtime
from azure_emulator.services.blobs import backend as blobs
from azure_emulator.services.costmanagement import backend
from azure_emulator.services.costmanagement.scopes import CostScope
from azure_emulator.world.costs import formats
from azure_emulator.world.costs.generate import month_start, next_month
from azure_emulator.world.costs.report import period_closed, write_report
from azure_emulator.world.model import World

METRICS = {"actualcost": "ActualCost", "amortizedcost": "AmortizedCost"}
_BODY_KEYS = {"metric", "timePeriod", "billingPeriod", "invoiceId"}


def bad_request(message: str) -> ApiError:
    return arm_error(400, "BadRequest", message)


def _parse_day(value: Any) -> date:
    if not isinstance(value, str):
        raise bad_request("Invalid Request Payload. The timePeriod start and end must be dates such as 2020-03-15.")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise bad_request(f"Invalid Request Payload. '{value}' is not a valid date (example format 2020-03-15).") from None


def add_month(day: date) -> date:
    nxt = next_month(day)
    last = (next_month(nxt) - timedelta(days=1)).day
    return nxt.replace(day=min(day.day, last))


@dataclass
class Request:
    metric: str
    start: date
    end: date
    echo: dict[str, Any]


def months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def validate(body: dict[str, Any], scope: CostScope, now: datetime, settings: Any) -> Request:
    today = now.date()
    unknown = set(body) - _BODY_KEYS
    if unknown:
        raise bad_request("Invalid Request Payload. Request payload provided is not in a json format or had an "
                          f"invalid member not accepted in the request payload: {', '.join(sorted(unknown))}.")
    metric_in = body.get("metric", "ActualCost")
    metric = METRICS.get(str(metric_in).lower()) if isinstance(metric_in, str) else None
    if metric is None:
        raise bad_request(f"Invalid Request Payload. The metric '{metric_in}' is not supported; use ActualCost or AmortizedCost.")
    given = [k for k in ("timePeriod", "billingPeriod", "invoiceId") if body.get(k) is not None]
    if len(given) > 1:
        raise bad_request("Invalid request payload: can only have either timePeriod or invoiceId or billingPeriod.")
    account = scope.account
    oldest = months_back(today, 13)
    if "timePeriod" in given:
        period = body["timePeriod"]
        if not isinstance(period, dict) or "start" not in period or "end" not in period:
            raise bad_request("Invalid Request Payload. timePeriod needs start and end.")
        start, end = _parse_day(period["start"]), _parse_day(period["end"])
        if end < start:
            raise bad_request("Invalid Request Payload. The end date must be on or after the start date.")
        if start > today:
            raise bad_request("Start date can't be in the future.")
        if start < oldest:
            raise bad_request(f"Start date must be after {oldest.isoformat()}.")
        if end >= add_month(start):
            raise bad_request("The maximum allowed date range is 1 months.")
    elif "billingPeriod" in given:
        if account.agreement != "EA":
            raise bad_request("Invalid Request Payload. billingPeriod can only be used by Enterprise Agreement customers.")
        bp = str(body["billingPeriod"])
        if not re.fullmatch(r"\d{6}", bp) or not 1 <= int(bp[4:]) <= 12:
            raise bad_request(f"Invalid Request Payload. billingPeriod '{bp}' is not in the YearMonth format (e.g. 202008).")
        start = date(int(bp[:4]), int(bp[4:]), 1)
        if start > today:
            raise bad_request("Start date can't be in the future.")
        if start < oldest:
            raise bad_request(f"Start date must be after {oldest.isoformat()}.")
        end = next_month(start) - timedelta(days=1)
    elif "invoiceId" in given:
        if account.agreement != "MCA" or not scope.profile:
            raise bad_request("Invalid Request Payload. invoiceId can only be used by Microsoft Customer Agreement "
                              "customers at the billing profile or customer scope.")
        start = _invoice_period(scope, str(body["invoiceId"]), now, settings)
        end = next_month(start) - timedelta(days=1)
    else:  # the open month
        start, end = month_start(today), today
    echo = {"metric": metric, **{k: body[k] for k in given}}
    return Request(metric, start, end, echo)


def _invoice_period(scope: CostScope, invoice: str, now: datetime, settings: Any) -> date:
    period = month_start(now.date())
    for _ in range(13):
        period = month_start(period - timedelta(days=1))
        if formats.invoice_id(scope.account, period) == invoice:
            if not period_closed(period, now, settings):
                break
            return period
    raise arm_error(404, "InvoiceNotFound", f"Invoice '{invoice}' was not found.")


def fraction(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond:06d}0Z"


def start_operation(runtime: Runtime, world: World, scope: CostScope, req: Request, api_version: str,
                    principal_id: str, now: datetime) -> backend.Operation:
    st = backend.state(runtime)
    settings = st.settings
    with st.lock:
        for old in [op for op in st.operations.values() if op.valid_till + timedelta(hours=1) < now]:
            st.forget(old)
    op = backend.Operation(
        id=str(uuid.uuid4()), scope=scope.path, body=req.echo, api_version=api_version, principal_id=principal_id,
        created=now, ready_at=now + timedelta(seconds=settings.report_delay_seconds),
        valid_till=now + timedelta(seconds=settings.report_delay_seconds + settings.sas_validity_seconds),
    )
    st.operations[op.id] = op
    units = backend.units(world, st, scope.account)
    threading.Thread(target=_generate, args=(runtime, st, op, scope, req, units, now), daemon=True,
                     name=f"cost-report-{op.id[:8]}").start()
    return op


def _generate(runtime: Runtime, st: backend.CostState, op: backend.Operation, scope: CostScope, req: Request,
              units: list[Any], now: datetime) -> None:
    settings = st.settings
    try:
        op.directory = st.directory(runtime) / op.id
        result = write_report(op.directory, "part", scope.account, units, req.start, req.end, req.metric, now, settings,
                              subscription=scope.subscription, sections=scope.sections)
        store = blobs.store(runtime)
        shard = f"{abs(hash(scope.account.id)) % 100000:05d}"
        links = []
        for blob in result.blobs:
            name = f"armreports/{shard}/{op.id}/{blob.path.name}"
            store.register(name, blob.path)
            op.blob_names.append(name)
            links.append({"blobLink": store.url(runtime.base.blobs, name, op.valid_till), "byteCount": blob.byte_count})
        op.rows, op.total = result.rows, result.total
        if result.rows == 0:
            op.status = "NoDataFound"
            for name in op.blob_names:
                store.remove(name)
            links = []
        else:
            op.status = "Completed"
        op.manifest = {
            "manifestVersion": op.api_version, "dataFormat": "Csv", "blobCount": len(links),
            "byteCount": sum(b["byteCount"] for b in links), "compressData": settings.compress,
            "requestContext": {"requestScope": op.scope, "requestBody": op.body}, "blobs": links,
        }
    except Exception as exc:  # reported through the operation, as Azure does
        op.status = "Failed"
        op.error = {"code": "InternalServerError", "message": f"Report generation failed: {exc}"}
    finally:
        op.done.set()


def result_body(op: backend.Operation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"{op.scope}/providers/Microsoft.CostManagement/costDetailsOperationResults/{op.id}",
        "name": op.id, "status": op.status,
    }
    if op.manifest is not None:
        body["manifest"] = op.manifest
    body["validTill"] = fraction(op.valid_till)
    if op.error is not None:
        body["error"] = op.error
    return body
