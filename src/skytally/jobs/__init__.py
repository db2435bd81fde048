"""Background jobs: the queue (Huey), job runs with progress, and schedules.

What other capabilities use, besides `jobs.service` and `jobs.schemas`: `@job` to declare a
kind, the `JobContext` a job function gets, `PartialFailure` for fan-out results,
`scratch_dir` for a run's temporary files, and `JobRun` (the row `on_interrupted` receives).
"""

from skytally.jobs.models import JobRun
from skytally.jobs.registry import job
from skytally.jobs.runner import JobContext, PartialFailure
from skytally.jobs.workers import scratch_dir

__all__ = ["JobContext", "JobRun", "PartialFailure", "job", "scratch_dir"]
