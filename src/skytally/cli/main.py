"""Entry point of the `skytally` command.

Start-up speed: a command loads only what it needs, when it runs. `skytally --help` and
`skytally accounts list` must not pay for the Azure SDK, pyarrow, DuckDB or alembic.

HOW TO ADD A COMMAND GROUP (read before adding one):
  1. write `src/skytally/cli/<yours>.py` with `app = typer.Typer(help="…", no_args_is_help=True)`;
     import heavy modules (services, SDKs, pyarrow…) inside the command functions when
     they are heavy, or at the top of that module (it is only imported when its group runs);
  2. add ONE line to `SUB_APPS` below: name → ("module", "attribute", "help shown in --help");
  3. never `import skytally.cli.<yours>` from this file: the table is the only link.
`tests/cli/test_cli_startup.py` checks each help line matches its sub-app and that
`skytally --help` imports none of them; `python bench/cli_startup.py` prints the times.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperGroup

from skytally import __version__

# name → (module, attribute holding the typer.Typer, one-line help for `skytally --help`).
# The module is imported only when the group is run (or its own --help is asked for).
SUB_APPS: dict[str, tuple[str, str, str]] = {
    "users": ("skytally.cli.users", "app", "Create and manage users (runs as the installation: full rights)."),
    "workspaces": ("skytally.cli.workspaces", "app", "Create workspaces and manage who is in them."),
    "jobs": ("skytally.cli.jobs", "app", "Background jobs: list runs, run a job, watch it."),
    "secrets": ("skytally.cli.secrets_cmd", "app", "Manage the key that encrypts stored secrets."),
    "accounts": ("skytally.cli.accounts", "app", "Cloud accounts: Azure and Office 365 tenants."),
    "tokens": ("skytally.cli.accounts", "tokens_app", "EA access tokens (legacy EA reporting API keys)."),
    "subscriptions": ("skytally.cli.subscriptions", "app", "Azure subscriptions and their access levels."),
    "costs": ("skytally.cli.costs_sync", "costs_app", "Costs: import files or from the billing APIs, query, export."),
    "inventory": ("skytally.cli.inventory", "app", "Inventory: the live Azure resources of your tenants."),
    "resources": ("skytally.cli.tags", "resources_app", "Resources with their tags (Resources & Tags)."),
    "tags": ("skytally.cli.tags", "app", "Tags: bulk edits with a dry-run diff, pending changes, push to Azure, conflicts, audit."),
    "licences": ("skytally.cli.licences", "app", "Microsoft 365 licences: products, users, waste, costs."),
}


def load_sub_app(name: str) -> click.Command:
    """Import the group `name` from SUB_APPS and build its click command."""
    module, attribute, _help = SUB_APPS[name]
    sub: typer.Typer = getattr(importlib.import_module(module), attribute)
    sub._add_completion = False  # completion is off for the whole command (see `app` below)
    command = typer.main.get_command(sub)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The root group: commands of SUB_APPS are imported on first use, not at start-up."""

    _listing = False  # True while `skytally --help` is being written

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *SUB_APPS})

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in SUB_APPS:
            return None
        if self._listing:  # `skytally --help` lists the groups: their help line is enough
            return TyperGroup(name=cmd_name, help=SUB_APPS[cmd_name][2])
        self.commands[cmd_name] = load_sub_app(cmd_name)
        return self.commands[cmd_name]


app = typer.Typer(
    cls=LazyGroup,
    help="skytally — self-hosted FinOps for Microsoft clouds.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The app database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _print_version(value: bool) -> None:
    if value:  # runs while the options are parsed, before a command is required
        typer.echo(f"skytally {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True,
                                 callback=_print_version, expose_value=False),
) -> None:
    """skytally — self-hosted FinOps for Microsoft clouds."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (serve, worker and demo do this on start)."""
    from skytally.cli.common import runtime
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
    if done := migrate.ensure_optional_indexes(rt.db):
        typer.echo(done)


@db_app.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    from skytally.cli.common import runtime
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

    from skytally.cli.common import runtime, settings
    from skytally.web.app import create_app

    cfg = settings()
    rt = runtime()
    # forwarded headers only from the configured proxies: anyone else could pick their address
    proxies = [p.strip() for p in cfg.trusted_proxies.split(",") if p.strip()]
    uvicorn.run(create_app(rt), host=host or cfg.host, port=port or cfg.port, log_level="info",
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


@app.command()
def worker(
    workers: int = typer.Option(2, "--workers", min=1, max=32, help="Worker threads."),
) -> None:
    """Run a job worker (SQLite queue by default; Redis with SKYTALLY_QUEUE_URL)."""
    from skytally.cli.common import err_console, runtime
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
    # MSAL advises form_post for web apps; a printed consent URL cannot use it.
    warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        message = error_message(exc)
        if message is None:
            raise
        print_error(message)
        sys.exit(1)


def error_message(exc: BaseException) -> str | None:
    """The one line to print for an error a user can fix; None for a bug (traceback)."""
    from skytally.errors import UserError

    if isinstance(exc, UserError):
        return exc.message
    if "pydantic" in sys.modules:  # only then can it be a ValidationError
        from pydantic import ValidationError

        if isinstance(exc, ValidationError):
            return format_validation_error(exc)
    return None


def print_error(message: str) -> None:
    """One red `error:` prefix; the message itself is printed verbatim (no Rich markup)."""
    from rich.text import Text

    from skytally.cli.common import err_console

    err_console.print(Text.assemble(("error: ", "red"), message), highlight=False, soft_wrap=True)


def format_validation_error(exc: Any) -> str:
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
