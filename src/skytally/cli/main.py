"""Entry point of the `skytally` command."""

from __future__ import annotations

import logging
import sys

import typer
from pydantic import ValidationError
from rich.text import Text

from skytally import __version__
from skytally.cli import (
    accounts,
    costs,
    costs_sync,
    inventory,
    jobs,
    secrets_cmd,
    users,
    workspaces,
)
from skytally.cli.common import err_console, runtime, settings
from skytally.errors import UserError

app = typer.Typer(
    help="skytally — self-hosted FinOps for Microsoft clouds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The app database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(workspaces.app, name="workspaces")
app.add_typer(jobs.app, name="jobs")
app.add_typer(secrets_cmd.app, name="secrets")
app.add_typer(accounts.app, name="accounts")
app.add_typer(accounts.tokens_app, name="tokens")
app.add_typer(accounts.subs_app, name="subscriptions")
costs_sync.register(costs.app)
app.add_typer(costs.app, name="costs")
app.add_typer(inventory.app, name="inventory")


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        typer.echo(f"skytally {__version__}")
        raise typer.Exit()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (serve, worker and demo do this on start)."""
    from skytally.store import migrate

    rt = runtime(migrate=False)
    before = migrate.current_revision(rt.db)
    migrate.upgrade(rt.db)
    after = migrate.current_revision(rt.db)
    where = rt.db.engine.url.render_as_string(hide_password=True)
    if before == after:
        typer.echo(f"Database {where} is up to date (revision {after})")
    else:
        typer.echo(f"Database {where} upgraded from {before or 'empty'} to {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from skytally.store import migrate

    rt = runtime(migrate=False)
    typer.echo(migrate.current_revision(rt.db) or "empty (run `skytally db upgrade`)")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Bind address (default SKYTALLY_HOST)."),
    port: int | None = typer.Option(None, help="Port (default SKYTALLY_PORT)."),
) -> None:
    """Run the web server and REST API (run `skytally worker` for background jobs)."""
    import uvicorn

    from skytally.web.app import create_app

    cfg = settings()
    rt = runtime()
    uvicorn.run(create_app(rt), host=host or cfg.host, port=port or cfg.port, log_level="info", proxy_headers=True)


@app.command()
def worker(
    workers: int = typer.Option(2, "--workers", min=1, max=32, help="Worker threads."),
) -> None:
    """Run a job worker (SQLite queue by default; Redis with SKYTALLY_QUEUE_URL)."""
    from skytally.jobs.queue import describe_queue

    rt = runtime()
    queue = describe_queue(rt.settings)
    err_console.print(f"skytally worker: {workers} thread(s), {queue['backend']} queue — Ctrl-C to stop")
    rt.queue.consumer(workers=workers).run()


@app.command()
def demo(
    port: int = typer.Option(8000, help="Port for the web server."),
    host: str = typer.Option("127.0.0.1", help="Bind address."),
) -> None:
    """Run everything on this machine with sample data: server, worker, demo admin."""
    from skytally.cli.demo import run_demo

    run_demo(host=host, port=port)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except UserError as exc:
        print_error(exc.message)
        sys.exit(1)
    except ValidationError as exc:
        print_error(format_validation_error(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def print_error(message: str) -> None:
    """One red `error:` prefix; the message itself is printed verbatim (no Rich markup)."""
    err_console.print(Text.assemble(("error: ", "red"), message), highlight=False, soft_wrap=True)


def format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "__root__")
        msg = err.get("msg", "invalid").removeprefix("Value error, ")
        if exc.title == "Settings" and loc:
            loc = "SKYTALLY_" + loc.upper().replace(".", "__")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


if __name__ == "__main__":
    main()
