"""Submitting and listing job runs, scoped to what the caller may see."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, false, or_, select, text, update
from sqlalchemy.orm import Session

from skytally.errors import InvalidInput, NotFound, PermissionDenied
from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.recovery import STALE_AFTER, dead_because, mark_dead
from skytally.jobs.registry import JOBS, JobSpec, run_workspaces
from skytally.jobs.schemas import JobRunOut
from skytally.store.base import utcnow
from skytally.store.db import Database
from skytally.workspaces.schemas import Actor

# A queued run older than this is not waiting for a worker any more (its queue was lost):
# `submit_unique` no longer counts it as a duplicate.
QUEUED_WITHIN = timedelta(hours=24)


class Dispatcher(Protocol):
    def dispatch(self, run_id: int) -> None: ...


def submit(
    db: Database,
    dispatcher: Dispatcher,
    kind: str,
    *,
    target: str = "",
    workspace_id: int | None = None,
    params: dict[str, Any] | None = None,
    queued_by: str = "system",
) -> JobRunOut:
    """Record a run (committed first, so the worker finds it), then queue it."""
    _known(kind)
    with db.session() as session:
        run_id = _record(session, kind, target, workspace_id, params, queued_by)
    return _queue(db, dispatcher, run_id)


def submit_unique(
    db: Database,
    dispatcher: Dispatcher,
    kind: str,
    *,
    key: dict[str, Any],
    target: str = "",
    workspace_id: int | None = None,
    params: dict[str, Any] | None = None,
    queued_by: str = "system",
) -> tuple[JobRunOut, bool]:
    """Submit unless a run of `kind` whose params hold `key` is already queued (in the
    last QUEUED_WITHIN) or running. Returns (the new or the active run, whether it is new).

    The check and the insert happen in one transaction that first takes a lock (SQLite:
    its write lock; PostgreSQL: an advisory lock per kind), so two submitters (the
    schedule and a user, two workers) never both submit the same work."""
    _known(kind)
    params = {**(params or {}), **key}
    with db.session() as session:
        _serialise(session, kind)
        mark_dead(session)  # a run nobody runs any more is not "already running"
        active = active_run(session, kind, key)
        if active is not None:
            return JobRunOut.model_validate(active), False
        run_id = _record(session, kind, target, workspace_id, params, queued_by)
    return _queue(db, dispatcher, run_id), True


def active_run(session: Session, kind: str, key: dict[str, Any]) -> JobRun | None:
    """The newest run of `kind` whose params hold `key` that is queued (recently) or
    running (and not dead: recovery.dead_because)."""
    now = utcnow()
    rows = session.scalars(
        select(JobRun)
        .where(
            JobRun.kind == kind,
            or_(
                JobRun.status == JobStatus.RUNNING.value,
                and_(JobRun.status == JobStatus.QUEUED.value, JobRun.created_at >= now - QUEUED_WITHIN),
            ),
        )
        .order_by(JobRun.id.desc())
    )
    return next((r for r in rows if all((r.params or {}).get(k) == v for k, v in key.items())
                 and (r.status != JobStatus.RUNNING.value or dead_because(r, now) is None)), None)


def active_runs(session: Session, kind: str, since: datetime) -> list[JobRunOut]:
    """Runs of `kind` queued or running, created since `since`, oldest first."""
    rows = session.scalars(select(JobRun).where(
        JobRun.kind == kind, JobRun.status.in_((JobStatus.QUEUED.value, JobStatus.RUNNING.value)),
        JobRun.created_at >= since).order_by(JobRun.id))
    return [JobRunOut.model_validate(r) for r in rows]


def _known(kind: str) -> None:
    if kind not in JOBS:
        raise InvalidInput(f"unknown job kind {kind!r}; known: {', '.join(sorted(JOBS))}")


def _serialise(session: Session, kind: str) -> None:
    """Make concurrent `submit_unique` transactions of `kind` take turns."""
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.sha256(f"skytally.jobs:{kind}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
    else:  # a write first: SQLite's write lock, held to the commit; later reads see every commit
        session.execute(update(JobRun).where(false()).values(kind=JobRun.kind))


def _record(
    session: Session,
    kind: str,
    target: str,
    workspace_id: int | None,
    params: dict[str, Any] | None,
    queued_by: str,
) -> int:
    run = JobRun(
        kind=kind,
        target=target,
        workspace_id=workspace_id,
        params=params or {},
        queued_by=queued_by,
        message="waiting for a worker",
    )
    session.add(run)
    session.flush()
    return run.id


def _queue(db: Database, dispatcher: Dispatcher, run_id: int) -> JobRunOut:
    try:
        dispatcher.dispatch(run_id)
    except Exception as exc:
        with db.session() as session:
            failed = session.get(JobRun, run_id)
            if failed is not None:
                failed.status = JobStatus.FAILED.value
                failed.error = f"could not queue the job: {type(exc).__name__}: {exc}"
                failed.finished_at = utcnow()
        raise
    with db.session() as session:
        row = session.get(JobRun, run_id)
        assert row is not None
        return JobRunOut.model_validate(row)


def runnable_kinds(actor: Actor) -> list[JobSpec]:
    """Job kinds this actor may submit (for some workspace, for workspace-scoped kinds)."""
    return [
        spec
        for spec in sorted(JOBS.values(), key=lambda s: s.kind)
        if actor.is_admin or (spec.scope == "workspace" and any(actor.can_edit(w) for w in actor.roles))
    ]


def submit_as(
    db: Database,
    dispatcher: Dispatcher,
    actor: Actor,
    kind: str,
    *,
    workspace_id: int | None = None,
    target: str = "",
    params: dict[str, Any] | None = None,
) -> JobRunOut:
    """Submit on behalf of a user: system jobs need an organisation admin, workspace
    jobs an editor (or admin) of that workspace."""
    spec = JOBS.get(kind)
    if spec is None:
        raise InvalidInput(f"unknown job kind {kind!r}; known: {', '.join(sorted(JOBS))}")
    if spec.scope == "system":
        if workspace_id is not None:
            raise InvalidInput(f"{kind} is an installation-wide job; submit it without a workspace")
        if not actor.is_admin:
            raise PermissionDenied(f"only organisation admins can run {kind}")
    else:
        if workspace_id is None:
            raise InvalidInput(f"{kind} runs for one workspace; give workspace_id")
        if not actor.can_view(workspace_id):
            raise NotFound(f"workspace {workspace_id} does not exist or you are not a member of it")
        if not actor.can_edit(workspace_id):
            raise PermissionDenied(f"only editors and admins of the workspace can run {kind}")
    return submit(
        db, dispatcher, kind, target=target, workspace_id=workspace_id, params=params,
        queued_by=actor.email,
    )


def may_see(session: Session, actor: Actor, run: JobRun) -> bool:
    """A run about an account is seen by whoever may see that account now (it may have
    moved since the run was submitted); any other by the members of its workspace."""
    if actor.is_admin:
        return True
    return bool(set(_workspaces_of(session, run)) & set(actor.roles))


def _workspaces_of(session: Session, run: JobRun) -> Iterable[int]:
    try:
        found = run_workspaces()(session, dict(run.params or {}))
    except (TypeError, ValueError):  # an account_id that is not a number: nobody's account
        return ()
    if found is not None:
        return found
    return () if run.workspace_id is None else (run.workspace_id,)


def list_runs(
    session: Session,
    actor: Actor,
    *,
    limit: int = 50,
    status: str | None = None,
    kind: str | None = None,
    workspace_id: int | None = None,
) -> list[JobRunOut]:
    limit = max(0, min(limit, 500))
    stmt = select(JobRun).order_by(JobRun.id.desc())
    if status:
        try:
            stmt = stmt.where(JobRun.status == JobStatus(status).value)
        except ValueError:
            raise InvalidInput(
                f"unknown status {status!r}; use one of {', '.join(s.value for s in JobStatus)}"
            ) from None
    if kind:
        stmt = stmt.where(JobRun.kind == kind)
    if workspace_id is not None:
        stmt = stmt.where(JobRun.workspace_id == workspace_id)
    # The header's workspace narrows the list as on every page (an admin with "All
    # workspaces" sees every run); it never widens what the actor may see.
    shown = actor.workspace_filter() if workspace_id is None else [workspace_id]
    if shown is None:
        return [JobRunOut.model_validate(r) for r in session.scalars(stmt.limit(limit))]
    wanted = set(shown)
    out: list[JobRunOut] = []  # filtered as get_run does, newest first, a page at a time
    seen: dict[int, bool] = {}  # account id -> shown
    offset, page = 0, 500
    while len(out) < limit:
        rows = list(session.scalars(stmt.offset(offset).limit(page)))
        for row in rows:
            account = (row.params or {}).get("account_id")
            key = account if isinstance(account, int) and "scope_id" not in (row.params or {}) else None
            if key is not None and key in seen:
                visible = seen[key]
            else:
                visible = may_see(session, actor, row) and bool(set(_workspaces_of(session, row)) & wanted)
            if key is not None:
                seen[key] = visible
            if visible and len(out) < limit:
                out.append(JobRunOut.model_validate(row))
        if len(rows) < page:
            break
        offset += page
    return out


def get_run(session: Session, actor: Actor, run_id: int) -> JobRunOut:
    row = session.get(JobRun, run_id)
    if row is None or not may_see(session, actor, row):
        raise NotFound(f"job run {run_id} does not exist or is not in your workspaces")
    return JobRunOut.model_validate(row)


def get_runs(session: Session, actor: Actor | None, run_ids: list[int]) -> list[JobRunOut]:
    """These runs in the order asked, leaving out those that do not exist or the actor may
    not see (actor=None: the installation, which sees every run)."""
    rows = {r.id: r for r in session.scalars(select(JobRun).where(JobRun.id.in_(run_ids)))} if run_ids else {}
    return [JobRunOut.model_validate(rows[i]) for i in run_ids
            if i in rows and (actor is None or may_see(session, actor, rows[i]))]


def interrupt_runs(session: Session, run_ids: list[int], status: JobStatus, reason: str) -> int:
    """Those of these runs still `status` end `interrupted`, saying why: a foreground command
    (`skytally costs sync`) was stopped before it finished what it recorded, and a run left
    queued or running would block later syncs as "already queued or running". Returns how many."""
    if not run_ids:
        return 0
    result = session.execute(
        update(JobRun)
        .where(JobRun.id.in_(run_ids), JobRun.status == status.value)
        .values(status=JobStatus.INTERRUPTED.value, finished_at=utcnow(), error=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def mark_stale_runs(session: Session) -> int:
    """Runs whose worker stopped reporting become `interrupted` (safe to resubmit)."""
    dead = len(mark_dead(session))
    cutoff = utcnow() - STALE_AFTER
    result = session.execute(
        update(JobRun)
        .where(
            JobRun.status == JobStatus.RUNNING.value,
            or_(JobRun.heartbeat_at.is_(None), JobRun.heartbeat_at < cutoff),
        )
        .values(
            status=JobStatus.INTERRUPTED.value,
            finished_at=utcnow(),
            error="the worker stopped while running this job; run it again",
        )
    )
    return dead + int(getattr(result, "rowcount", 0) or 0)
