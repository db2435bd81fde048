"""`skytally workspaces …`"""

from __future__ import annotations

import typer

from skytally.cli.common import JSON_HELP, print_json, print_table, session, when
from skytally.workspaces import service
from skytally.workspaces.schemas import MemberAdd, WorkspaceCreate

app = typer.Typer(help="Create workspaces and manage who is in them.", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    description: str = typer.Option("", "--description", help="What the workspace is for."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create a workspace."""
    with session() as s:
        ws = service.create_workspace(s, None, WorkspaceCreate(name=name, description=description))
    if json_out:
        print_json(ws)
    else:
        typer.echo(f"Created workspace {ws.name} (id {ws.id})")


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List workspaces."""
    with session() as s:
        workspaces = service.list_workspaces(s, None)
        counts = service.member_counts(s, None, {ws.id for ws in workspaces})
        rows = [(ws, counts.get(ws.id, 0)) for ws in workspaces]
    if json_out:
        print_json([dict(ws.model_dump(mode="json"), members=n) for ws, n in rows])
        return
    print_table(
        "Workspaces",
        ["ID", "Name", "Members", "Description", "Created"],
        [[ws.id, ws.name, n, ws.description, when(ws.created_at)] for ws, n in rows],
    )


@app.command("members")
def members(
    workspace: str = typer.Argument(..., help="Workspace name or ID."),
    json_out: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List a workspace's members."""
    with session() as s:
        ws = service.find_workspace(s, None, workspace)
        out = service.list_members(s, None, ws.id)
    if json_out:
        print_json(out)
        return
    print_table(f"Members of {ws.name}", ["User", "Name", "Role"], [[m.email, m.display_name, m.role.value] for m in out])


@app.command("add-member")
def add_member(
    workspace: str = typer.Argument(..., help="Workspace name or ID."),
    email: str = typer.Argument(..., help="The user's email."),
    role: str = typer.Option("viewer", "--role", help="admin, editor or viewer."),
) -> None:
    """Add a user to a workspace (or change their role)."""
    with session() as s:
        ws = service.find_workspace(s, None, workspace)
        member = service.add_member(s, None, ws.id, MemberAdd(email=email, role=service.parse_role(role)))
    typer.echo(f"{member.email} is now {member.role.value} of {ws.name}")


@app.command("remove-member")
def remove_member(
    workspace: str = typer.Argument(..., help="Workspace name or ID."),
    email: str = typer.Argument(..., help="The user's email."),
) -> None:
    """Remove a user from a workspace."""
    with session() as s:
        ws = service.find_workspace(s, None, workspace)
        service.remove_member_by_email(s, None, ws.id, email)
    typer.echo(f"Removed {email} from {ws.name}")


@app.command("delete")
def delete(
    workspace: str = typer.Argument(..., help="Workspace name or ID."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a workspace (its members lose access; cloud accounts stay)."""
    with session() as s:
        ws = service.find_workspace(s, None, workspace)
        if not yes:
            typer.confirm(f"Delete workspace {ws.name}?", abort=True)
        service.delete_workspace(s, None, ws.id)
    typer.echo(f"Deleted workspace {ws.name}")

