"""`skytally demo`: a complete installation on one machine, with sample data."""

from __future__ import annotations

import os
import secrets
import socket
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel

from skytally.config import Settings
from skytally.errors import ConfigurationError
from skytally.jobs import service as jobs
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import repo, service
from skytally.workspaces.models import WorkspaceRole
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate

DEMO_ADMIN = "admin@example.com"
DEMO_VIEWER = "viewer@example.com"
console = Console()


def demo_settings(host: str, port: int) -> Settings:
    overrides: dict[str, object] = {"demo": True, "host": host, "port": port}
    if "SKYTALLY_DATA_DIR" not in os.environ:
        overrides["data_dir"] = Path.cwd() / "skytally-demo"
    if "SKYTALLY_BASE_URL" not in os.environ:
        overrides["base_url"] = f"http://{host}:{port}"
    return Settings(**overrides)  # type: ignore[arg-type]


def seed_demo(rt: Runtime) -> tuple[str, str]:
    """Create (or refresh) the demo organisation, admin, viewer and workspaces.

    Returns the admin's email and a fresh password; re-running the demo resets it so the
    printed login always works.
    """
    password = secrets.token_urlsafe(12)
    with rt.db.session() as s:
        service.ensure_organisation(s, "Demo organisation")
        for email, admin in ((DEMO_ADMIN, True), (DEMO_VIEWER, False)):
            if repo.user_by_email(s, email) is None:
                service.create_user(
                    s, None, UserCreate(email=email, password=SecretStr(password), is_admin=admin,
                                        display_name="Demo admin" if admin else "Demo viewer")
                )
            else:
                service.set_password(s, None, email, password)
        for name, desc in (("Demo", "Sample workspace: everything connected in the demo"),
                           ("Finance", "Costs and licences for the finance team")):
            ws = repo.workspace_by_name(s, name)
            ws_id = ws.id if ws else service.create_workspace(s, None, WorkspaceCreate(name=name, description=desc)).id
            service.add_member(s, None, ws_id, MemberAdd(email=DEMO_ADMIN, role=WorkspaceRole.ADMIN))
            if name == "Demo":
                service.add_member(s, None, ws_id, MemberAdd(email=DEMO_VIEWER, role=WorkspaceRole.VIEWER))
    return DEMO_ADMIN, password


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def run_demo(host: str, port: int) -> None:
    import uvicorn

    from skytally.web.app import create_app

    if not _port_free(host, port):
        raise ConfigurationError(f"port {port} on {host} is in use; run `skytally demo --port <another port>`")
    settings = demo_settings(host, port)
    with console.status("Preparing the demo (database, sample data)…"):
        rt = build_runtime(settings)
        email, password = seed_demo(rt)
        consumer = rt.queue.consumer(workers=2)
        consumer.start()
        jobs.submit(rt.db, rt.queue, "maintenance.housekeeping", target="demo start", queued_by="demo")
    console.print(
        Panel.fit(
            f"[bold]skytally demo is running[/bold]\n\n"
            f"  Open      [link={settings.base_url}]{settings.base_url}[/link]\n"
            f"  Sign in   {email}\n"
            f"  Password  {password}\n"
            f"  (viewer)  {DEMO_VIEWER} / same password\n\n"
            f"  API docs  {settings.base_url}/api/v1/docs\n"
            f"  Data dir  {settings.data_dir}\n\n"
            "Press Ctrl-C to stop.",
            border_style="green",
        )
    )
    try:
        uvicorn.run(create_app(rt), host=host, port=port, log_level="warning")
    finally:
        consumer.stop(graceful=True)
        rt.close()
