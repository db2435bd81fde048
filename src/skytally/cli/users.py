"""`skytally users …`"""

from __future__ import annotations

import sys

import typer
from pydantic import SecretStr

from skytally.cli.common import JSON_HELP, print_json, print_table, session, when
from skytally.errors import InvalidInput
from skytally.workspaces import auth, service
from skytally.workspaces.schemas import ApiTokenCreate, UserCreate

app = typer.Typer(help="Create and manage users (runs as the installation: full rights).", no_args_is_help=True)


def _password(password_stdin: bool, prompt: str) -> str:
    if password_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise InvalidInput("no password on standard input")
        return value
    typed: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return typed


@app.command("create")
def create(
    email: str = typer.Argument(..., help="Login email."),
    name: str = typer.Option("", "--name", help="Display name."),
    admin: bool = typer.Option(False, "--admin", help="Make an organisation admin."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create a user."""
    password = _password(password_stdin, "Password")
    with session() as s:
        service.ensure_organisation(s)
        user = service.create_user(
            s, None, UserCreate(email=email, password=SecretStr(password), display_name=name, is_admin=admin)
        )
    if json_out:
        print_json(user)
    else:
        typer.echo(f"Created user {user.email}" + (" (organisation admin)" if user.is_admin else ""))


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List users."""
    with session() as s:
        users = service.list_users(s, None)
    if json_out:
        print_json(users)
        return
    print_table(
        "Users",
        ["ID", "Email", "Name", "Admin", "Active", "Last login"],
        [[u.id, u.email, u.display_name, "yes" if u.is_admin else "", "yes" if u.is_active else "no", when(u.last_login_at)] for u in users],
    )


@app.command("set-password")
def set_password(
    email: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Set a user's password (signs them out everywhere)."""
    password = _password(password_stdin, "New password")
    with session() as s:
        service.set_password(s, None, email, password)
    typer.echo(f"Password changed for {email}")


@app.command("deactivate")
def deactivate(email: str) -> None:
    """Deactivate a user (keeps their history)."""
    with session() as s:
        service.set_active(s, None, email, False)
    typer.echo(f"Deactivated {email}")


@app.command("activate")
def activate(email: str) -> None:
    """Re-activate a user."""
    with session() as s:
        service.set_active(s, None, email, True)
    typer.echo(f"Activated {email}")


@app.command("create-token")
def create_token(
    email: str,
    name: str = typer.Option(..., "--name", help="What the token is for."),
    days: int | None = typer.Option(None, "--days", help="Expire after this many days."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create an API token for a user. The token is shown once."""
    with session() as s:
        actor = service.actor_for_email(s, email)
        issued = auth.create_api_token(s, actor, ApiTokenCreate(name=name, expires_in_days=days))
    if json_out:
        print_json(issued)
    else:
        typer.echo(issued.token)
        typer.echo(f"(API token {issued.name!r} for {email}; it is not shown again)", err=True)
