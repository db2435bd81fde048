"""Shapes of job runs as the API, the CLI and the pages show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from skytally.jobs.models import JobStatus


class JobRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    target: str
    workspace_id: int | None
    params: dict[str, Any] = {}
    status: JobStatus
    progress: float
    message: str
    result: dict[str, Any] | None
    error: str | None
    queued_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(self.started_at.tzinfo)
        return (end - self.started_at).total_seconds()
