"""Job kinds, declared next to the capability they belong to.

A capability registers a function with `@job("kind")` (and, for periodic work,
`schedule=` a Huey crontab). The queue wires every registered kind into Huey when it
is built, so importing a capability module is all it takes to make its jobs runnable.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skytally.jobs.models import JobRun
    from skytally.jobs.runner import JobContext

# Every module that declares jobs, in one place: a capability adds its `jobs` module here
# (load_all imports them; the queue and `skytally jobs kinds` see exactly these).
JOB_MODULES: list[str] = ["skytally.jobs.maintenance", "skytally.accounts.jobs", "skytally.costs.jobs",
                         "skytally.inventory.jobs", "skytally.licences.jobs"]

# Who may see a run about a cloud account (params["account_id"]; a cost import's "scope_id"
# names its billing account): whoever may see that account or integration *now*, which only
# skytally.accounts (a layer above jobs) knows. Named here, next to JOB_MODULES, so the
# dependency is visible; imported on first use (never as a side effect of another import).
RUN_WORKSPACES = "skytally.accounts.service:run_workspace_ids"

JobFunc = Callable[["JobContext", dict[str, Any]], dict[str, Any] | None]
# (session, run params) -> the workspaces that may see the run, or None: the run is not about
# an account (then the workspace it was submitted in decides).
RunWorkspaces = Callable[[Any, dict[str, Any]], Iterable[int] | None]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    func: JobFunc
    title: str
    # A Huey crontab validator: (datetime) -> bool. None: on demand only.
    schedule: Callable[[Any], bool] | None = None
    schedule_text: str = ""
    # Parameters the periodic run is submitted with.
    schedule_params: dict[str, Any] | None = None
    # "system": installation-wide, only organisation admins may submit it;
    # "workspace": runs for one workspace, its editors and admins may submit it.
    scope: str = "system"
    # For scheduled kinds: a cheap check, given a Session, of whether a tick has anything
    # to do. Ticks with nothing to do record no run, so frequent schedules stay quiet.
    due: Callable[[Any], bool] | None = None
    # Called (session, run, cause) when a run of this kind is found dead (recovery.py):
    # undo or mark what the run left half done (its own records), in that transaction.
    on_interrupted: Callable[[Any, JobRun, str], None] | None = None


JOBS: dict[str, JobSpec] = {}


def job(
    kind: str,
    *,
    title: str,
    schedule: Callable[[Any], bool] | None = None,
    schedule_text: str = "",
    scope: str = "system",
    due: Callable[[Any], bool] | None = None,
    on_interrupted: Callable[[Any, JobRun, str], None] | None = None,
) -> Callable[[JobFunc], JobFunc]:
    if scope not in ("system", "workspace"):
        raise ValueError(f"job scope must be 'system' or 'workspace', not {scope!r}")

    def register(func: JobFunc) -> JobFunc:
        if kind in JOBS and JOBS[kind].func is not func:
            raise RuntimeError(f"job kind {kind!r} registered twice")
        JOBS[kind] = JobSpec(kind, func, title, schedule, schedule_text, scope=scope, due=due,
                             on_interrupted=on_interrupted)
        return func

    return register


def load_all() -> dict[str, JobSpec]:
    """Import every module that declares jobs, then return the registry."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS


_run_workspaces: RunWorkspaces | None = None


def run_workspaces() -> RunWorkspaces:
    """The resolver RUN_WORKSPACES names, imported once."""
    global _run_workspaces
    if _run_workspaces is None:
        module, _, name = RUN_WORKSPACES.partition(":")
        _run_workspaces = getattr(importlib.import_module(module), name)
    return _run_workspaces
