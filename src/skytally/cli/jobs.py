"""`skytally jobs …`"""

from __future__ import annotations

import time

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from skytally.cli.common import JSON_HELP, console, print_json, print_table, runtime, session, when
from skytally.jobs import service
from skytally.jobs.registry import load_all
from skytally.jobs.schemas import JobRunOut, JobStatus
from skytally.workspaces.schemas import Actor

app = typer.Typer(help="Background jobs: list runs, run a job, watch it.", no_args_is_help=True)

# The CLI runs as the installation: it sees every workspace's jobs.
INSTALLATION = Actor(user_id=0, email="cli", is_admin=True)

STATUS_STYLE = {
    "queued": "dim",
    "running": "cyan",
    "succeeded": "green",
    "partial": "yellow",
    "failed": "red",
    "interrupted": "magenta",
}


@app.command("list")
def list_(
    status: str | None = typer.Option(None, "--status", help="queued, running, succeeded, partial, failed, interrupted"),
    kind: str | None = typer.Option(None, "--kind", help="Only this job kind."),
    limit: int = typer.Option(50, "--limit", min=1, max=500),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List recent job runs, newest first."""
    with session() as s:
        runs = service.list_runs(s, INSTALLATION, limit=limit, status=status, kind=kind)
    if json_out:
        print_json(runs)
        return
    print_table(
        "Job runs",
        ["ID", "Kind", "Target", "Status", "Progress", "Started", "Finished", "Error"],
        [
            [
                r.id,
                r.kind,
                r.target,
                f"[{STATUS_STYLE.get(r.status.value, '')}]{r.status.value}[/]",
                f"{r.progress:.0%}",
                when(r.started_at),
                when(r.finished_at),
                (r.error or "")[:60],
            ]
            for r in runs
        ],
    )


@app.command("kinds")
def kinds(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List the job kinds this installation can run, with their schedules."""
    specs = load_all()
    rows = [{"kind": s.kind, "title": s.title, "schedule": s.schedule_text or "on demand"} for s in specs.values()]
    if json_out:
        print_json(rows)
        return
    print_table("Job kinds", ["Kind", "Title", "Schedule"], [[r["kind"], r["title"], r["schedule"]] for r in rows])


@app.command("show")
def show(run_id: int, json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show one job run."""
    with session() as s:
        run = service.get_run(s, INSTALLATION, run_id)
    if json_out:
        print_json(run)
        return
    console.print(f"[bold]#{run.id} {run.kind}[/bold] {escape(run.target)}")
    console.print(f"status: [{STATUS_STYLE.get(run.status.value, '')}]{run.status.value}[/]  progress: {run.progress:.0%}  {escape(run.message)}")
    console.print(f"queued {when(run.created_at)} by {run.queued_by}; started {when(run.started_at)}; finished {when(run.finished_at)}")
    if run.result:
        print_json(run.result)
    if run.error:
        console.print(f"[red]{escape(run.error)}[/red]")


@app.command("run")
def run(
    kind: str,
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait for the run to finish, with a progress bar."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Queue a job run. A worker (`skytally worker`) must be running to execute it."""
    rt = runtime()
    submitted = service.submit(rt.db, rt.queue, kind, target="manual", queued_by="cli")
    final: JobRunOut = submitted
    if wait:
        final = _watch(submitted.id, quiet=json_out)
    if json_out:
        print_json(final)
    elif not wait:
        typer.echo(f"Queued job run #{submitted.id} ({kind})")
    if final.status in (JobStatus.FAILED, JobStatus.INTERRUPTED):
        raise typer.Exit(1)


def _watch(run_id: int, *, quiet: bool) -> JobRunOut:
    rt = runtime()
    with Progress(
        TextColumn("[bold]#{task.fields[run_id]}[/bold] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as bar:
        task = bar.add_task("waiting for a worker", total=1.0, run_id=run_id)
        while True:
            with rt.db.session() as s:
                out = service.get_run(s, INSTALLATION, run_id)
            bar.update(task, completed=out.progress, description=f"{out.kind}: {out.message or out.status.value}")
            if out.status.finished:
                break
            time.sleep(0.3)
    if not quiet:
        style = STATUS_STYLE.get(out.status.value, "")
        console.print(f"[{style}]{out.status.value}[/]" + (f": {escape(out.error)}" if out.error else ""))
    return out
