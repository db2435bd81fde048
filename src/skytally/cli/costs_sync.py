"""`skytally costs sync`: import costs from the billing APIs now.

Like the daily job, it records one `costs.import_period` run per (cost scope, billing
period) (`costs.dispatch.submit_imports`), skipping those a worker already has queued or
running. By default it then runs its runs here, one after the other, with a progress bar
(a foreground command needs no worker); `--queue` hands them to the workers instead.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from skytally.cli import costs
from skytally.cli.common import JSON_HELP, console, err_console, print_table, runtime, session
from skytally.cli.costs import _money
from skytally.costs import dispatch, explore
from skytally.costs.views import dumps
from skytally.jobs import service as jobs
from skytally.jobs.runner import run_job
from skytally.jobs.schemas import JobRunOut, JobStatus

CANCELLED = "not run: `skytally costs sync` was stopped before it got to this import; run it again"
STOPPED = "`skytally costs sync` was stopped during this import (the stored period is whole); run it again"


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)


def sync(
    account: str | None = typer.Argument(None, help="Cloud account (id, name or tenant id); default: all."),
    periods: list[str] = typer.Option([], "--period", help="YYYY-MM (repeatable; default: previous and current)."),
    queue: bool = typer.Option(False, "--queue", help="Hand the imports to the workers instead of running them here."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import costs from the billing APIs now: one import per cost scope (EA key, service
    principal, pay-as-you-go subscription) and billing period."""
    rt = runtime()
    account_id = None
    if account:
        with session() as s:
            account_id = explore.find_account(s, None, account).id
    deferred = _Deferred()
    queue_ = rt.queue  # registers the job kinds (the CLI builds the queue lazily); runs use its env
    done = dispatch.submit_imports(rt.db, queue_ if queue else deferred, account_id=account_id,
                                   periods=periods, queued_by="cli")
    finals = [] if queue else _run_here(rt, deferred.run_ids, quiet=json_out)
    if json_out:
        sys.stdout.write(dumps({**done.model_dump(), "runs": [r.model_dump(mode="json") for r in finals]}, indent=2)
                         + "\n")
    else:
        _report(done, finals, queued=queue)
    attempted = len(finals) + len(done.failures)
    failed = [f"{i['scope']} {i['period']} (not queued)" for i in done.failures] + [
        f"{r.target} ({r.status.value})" for r in finals
        if r.status in (JobStatus.FAILED, JobStatus.INTERRUPTED, JobStatus.PARTIAL)]
    if failed:  # part of the work failed: the exit status says so, and which part
        err_console.print(f"[red]{len(failed)} of {attempted} import(s) failed:[/red] {'; '.join(failed)}")
        raise typer.Exit(1)


class _Deferred:
    """Collects submitted runs; `costs sync` then runs them in this process."""

    def __init__(self) -> None:
        self.run_ids: list[int] = []

    def dispatch(self, run_id: int) -> None:
        self.run_ids.append(run_id)


def _run_here(rt: Any, run_ids: list[int], *, quiet: bool) -> list[JobRunOut]:
    """Run the recorded runs one after the other in a thread, showing their progress."""
    failure: list[BaseException] = []

    def work() -> None:
        try:
            for run_id in run_ids:
                run_job(run_id, rt.queue.env)
        except BaseException as exc:  # re-raised in the main thread
            failure.append(exc)

    thread = threading.Thread(target=work, name="costs-sync", daemon=True)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), console=err_console,
                      disable=quiet or not err_console.is_terminal) as bar:
            task = bar.add_task("importing costs", total=max(len(run_ids), 1))
            thread.start()
            while True:
                runs = _runs(rt, run_ids)
                current = next((r for r in runs if not r.status.finished), None)
                finished = sum(r.status.finished for r in runs)
                bar.update(task, completed=finished + (current.progress if current else 0),
                           description=f"{current.target}: {current.message}" if current else "done")
                if current is None or not thread.is_alive():
                    break
                time.sleep(0.3)
        thread.join()
    finally:
        _cancel_unfinished(rt, run_ids, running_too=thread.is_alive())
    if failure:
        raise failure[0]
    return _runs(rt, run_ids)


def _runs(rt: Any, run_ids: list[int]) -> list[JobRunOut]:
    with rt.db.session() as s:
        return jobs.get_runs(s, None, run_ids)


def _cancel_unfinished(rt: Any, run_ids: list[int], *, running_too: bool) -> None:
    """Runs this command recorded but did not finish (Ctrl-C) would block later syncs as
    "already queued or running": they end `interrupted`, saying why."""
    with rt.db.session() as s:
        jobs.interrupt_runs(s, run_ids, JobStatus.QUEUED, CANCELLED)
        if running_too:
            jobs.interrupt_runs(s, run_ids, JobStatus.RUNNING, STOPPED)


def _report(done: dispatch.Dispatched, finals: list[JobRunOut], *, queued: bool) -> None:
    if done.stale_imports_failed:
        console.print(f"[yellow]{done.stale_imports_failed} import(s) left running by a stopped worker "
                      "marked failed[/yellow]")
    if queued:
        print_table("Queued imports", ["Job run", "Scope", "Period"],
                    [[f"#{i['run_id']}", i["scope"], i["period"]] for i in done.submitted])
        if done.submitted:
            console.print("Follow them with `skytally jobs list --kind costs.import_period`.")
    for run in finals:
        result = run.result or {}
        if run.status is JobStatus.SUCCEEDED and result.get("status") == "ok":
            console.print(f"[green]imported[/green] {run.target}: {result.get('rows', 0):,} rows, BilledCost "
                          f"{_money(result.get('BilledCost'))} EffectiveCost {_money(result.get('EffectiveCost'))} "
                          f"{result.get('currency') or ''}")
        elif run.status is JobStatus.SUCCEEDED:
            console.print(f"[yellow]{result.get('status', 'done')}[/yellow] {run.target}: {result.get('message', '')}")
        else:
            console.print(f"[red]{run.status.value}[/red] {run.target}: {run.error or run.message}")
    for item in done.skipped:
        console.print(f"[dim]skipped[/dim] {item['scope']} {item['period']}: {item['reason']}")
    for item in done.failures:
        console.print(f"[red]not queued[/red] {item['scope']} {item['period']}: {item['message']}")
    if not (done.submitted or done.skipped or done.failures):
        console.print("No cost scopes to import: connect an EA enrollment, an MCA billing account or "
                      "subscriptions under Cloud Tenant Setup.")


costs_app = costs.app  # `skytally costs` (cli.main SUB_APPS): the costs commands plus `sync`
register(costs_app)
