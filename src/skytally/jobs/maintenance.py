"""Housekeeping jobs of the installation itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from huey import crontab
from sqlalchemy import delete

from skytally.jobs.models import JobRun, JobStatus
from skytally.jobs.registry import job
from skytally.jobs.runner import JobContext
from skytally.jobs.service import mark_stale_runs
from skytally.store.base import utcnow
from skytally.workspaces import service as workspaces


@job(
    "maintenance.housekeeping",
    title="Housekeeping",
    schedule=crontab(minute="17", hour="3"),
    schedule_text="daily at 03:17 UTC",
)
def housekeeping(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Prune finished job runs past the retention, expired sessions, stale runs."""
    keep_days = int(params.get("keep_days", ctx.settings.job_history_days))
    cutoff = utcnow() - timedelta(days=keep_days)
    finished = [s.value for s in JobStatus if s.finished]
    with ctx.db.session() as session:
        stale = mark_stale_runs(session)
        pruned = session.execute(
            delete(JobRun).where(JobRun.status.in_(finished), JobRun.finished_at < cutoff)
        )
        sessions = workspaces.purge_expired_sessions(session)
    ctx.progress(1, 1, "done")
    return {
        "job_runs_pruned": int(getattr(pruned, "rowcount", 0) or 0),
        "web_sessions_pruned": sessions,
        "stale_runs_interrupted": stale,
        "keep_days": keep_days,
    }
