"""Fan-out of cost imports: one `costs.import_period` job run per (cost scope, billing
period), so N workers share the work and a slow or failing scope delays nobody.

`submit_imports` is what the daily `costs.import` run (and so "Import now" on the Costs
page and `POST /api/v1/costs/imports`) and `skytally costs sync` call. It first marks
imports a dead worker left `running` as failed, then submits each (scope, period) unless
a run of it is already queued or running (`jobs.service.submit_unique`: the check and the
insert are one serialised transaction), and says what it submitted and what it skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from skytally.accounts import service as accounts
from skytally.accounts.service import CloudAccount
from skytally.costs import ingest
from skytally.costs.fetch import Source
from skytally.errors import InvalidInput, NotFound, UserError
from skytally.jobs import service as jobs
from skytally.store.db import Database

IMPORT = "costs.import"  # job kinds (declared in costs/jobs.py)
IMPORT_PERIOD = "costs.import_period"
Progress = Callable[[float, float, str], None]


class Dispatched(BaseModel):
    """What a fan-out did: `submitted` and `skipped` items carry the run id, the cost scope
    (`account_id`, `scope_id`, `scope`, `source`) and the `period`."""

    periods: list[str]
    submitted: list[dict[str, Any]] = Field(default_factory=list)
    skipped: list[dict[str, Any]] = Field(default_factory=list)  # already queued or running
    failures: list[dict[str, Any]] = Field(default_factory=list)  # could not be queued
    stale_imports_failed: int = 0

    @property
    def run_ids(self) -> list[int]:
        return [int(item["run_id"]) for item in self.submitted]


class Planned(NamedTuple):
    """One import run to submit."""

    source: Source  # the cost scope
    period: str  # YYYY-MM
    workspace_id: int | None  # the scope's own workspace (a billing account's), else None


def plan(db: Database, account_id: int | None, periods: Sequence[str]) -> list[Planned]:
    """A run per cost scope of the Azure account (or of every Azure account) and period."""
    with db.session() as session:
        if account_id is not None:
            account = session.get(CloudAccount, account_id)
            if account is None:
                raise NotFound(f"cloud account {account_id} does not exist; see `skytally accounts list`")
            if not ingest.sources(session, account_id):
                raise InvalidInput(
                    f"{account.name} has no cost scope to import: it needs an EA access token, a service "
                    "principal with a billing account ID, or subscriptions skytally can read")
        ids = [account_id] if account_id is not None else accounts.azure_account_ids(session)
        work: list[Planned] = []
        for aid in ids:
            for src in ingest.sources(session, aid):
                # a billing account is shown in its own workspaces (accounts.run_workspace_ids)
                workspaces = accounts.run_workspace_ids(session, {"account_id": aid, "scope_id": src.scope_id}) or []
                work += [Planned(src, period, workspaces[0] if workspaces else None) for period in periods]
    return work


def submit_imports(db: Database, dispatcher: jobs.Dispatcher, *, account_id: int | None = None,
                   periods: Sequence[str] = (), queued_by: str = "system", workspace_id: int | None = None,
                   progress: Progress | None = None) -> Dispatched:
    """Submit one `costs.import_period` run per (scope, period) not already queued or
    running. `periods`: YYYY-MM, default the previous and the current one. `workspace_id`:
    the workspace the runs are shown in (default: the account's first)."""
    report = progress or (lambda done, total, msg: None)
    wanted = [ingest.parse_period(str(p)) for p in periods] or ingest.recent_periods()
    out = Dispatched(periods=list(dict.fromkeys(wanted)))
    with db.session() as session:
        out.stale_imports_failed = ingest.mark_stale_imports(session)
    work = plan(db, account_id, out.periods)
    for n, (src, period, ws) in enumerate(work):
        report(n, len(work), f"submitting {src.name} {period}")
        item: dict[str, Any] = {"account_id": src.account_id, "scope_id": src.scope_id, "scope": src.name,
                                "source": src.kind, "period": period}
        try:
            run, new = jobs.submit_unique(
                db, dispatcher, IMPORT_PERIOD, target=f"{src.name} {period}",
                key={"account_id": src.account_id, "scope_id": src.scope_id, "period": period},
                workspace_id=_shown_in(src, ws, workspace_id), queued_by=queued_by)
        except UserError as exc:
            out.failures.append({**item, "message": exc.message})
            continue
        except Exception as exc:  # the queue is unreachable: say so per item, go on
            out.failures.append({**item, "message": f"could not queue the import: {type(exc).__name__}: {exc}"})
            continue
        if new:
            out.submitted.append({**item, "run_id": run.id, "status": run.status.value})
        else:
            out.skipped.append({**item, "run_id": run.id, "status": run.status.value,
                                "reason": f"already {run.status.value} as job run #{run.id}"})
    report(len(work), len(work), f"{len(out.submitted)} import(s) submitted, {len(out.skipped)} already "
           f"queued or running, {len(out.failures)} not queued")
    return out


def _shown_in(src: Source, own: int | None, asked: int | None) -> int | None:
    """A billing account's runs are shown in its own workspace (it is an integration of its
    own, assigned apart from its tenant); other scopes in the one asked for, else their tenant's."""
    if src.kind != "subscription" and own is not None:
        return own
    return asked if asked is not None else own
