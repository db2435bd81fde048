"""`skytally demo`: a complete installation on one machine, with sample data.

It also starts the bundled Azure emulator (over HTTPS, state in the data dir), points
skytally at it, and connects one sample tenant with the emulator's customer service
principal, so subscriptions show at once. A second tenant is left for the newcomer to
connect in the browser by consent, with the demo owner login printed at start. The
emulator runs as its own process (see `emulator_process`); nothing here imports it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel

from skytally.accounts import service as accounts
from skytally.accounts import service_principals
from skytally.accounts.context import AccountsEnv
from skytally.accounts.credentials import ClientSecretCredentialIn
from skytally.accounts.schemas import AccessLevel, AccountKind
from skytally.cli.emulator_process import EmulatorProcess
from skytally.config import Settings
from skytally.errors import ConfigurationError, UserError
from skytally.jobs import service as jobs
from skytally.runtime import Runtime, build_runtime
from skytally.workspaces import service
from skytally.workspaces.schemas import MemberAdd, UserCreate, WorkspaceCreate, WorkspaceRole

DEMO_ADMIN = "admin@example.com"
DEMO_VIEWER = "viewer@example.com"
DEMO_LOGIN_FILE = "demo-login.json"
DEMO_ENV_FILE = "demo.env"  # also named in cli/common.py (which must not import this module)
console = Console()


def demo_data_dir() -> Path:
    return Path(os.environ["SKYTALLY_DATA_DIR"]) if "SKYTALLY_DATA_DIR" in os.environ else Path.cwd() / "skytally-demo"


def start_emulator(data_dir: Path) -> EmulatorProcess:
    """The Azure emulator on a free port, its settings applied to this process."""
    state = data_dir / "emulator"
    state.mkdir(parents=True, exist_ok=True)
    emulator = EmulatorProcess(state, seed=1, size="small", tag_demo=True).start()
    emulator.apply_settings()
    return emulator


def connect_sample_tenant(rt: Runtime, emulator: EmulatorProcess) -> str:
    """Connect Contoso with the emulator's customer service principal (idempotent)."""
    fx = emulator.fixtures
    env = AccountsEnv(rt.settings, rt.vault)
    with rt.db.session() as s:
        existing = accounts.account_for_tenant(s, AccountKind.AZURE, fx["primary_tenant_id"])
        if existing is not None:
            return existing.name
        demo_ws = service.workspace_id(s, "Demo")
        data = ClientSecretCredentialIn(
            tenant_id=fx["primary_custom_domain"], client_id=fx["customer_sp_client_id"],
            client_secret=SecretStr(fx["customer_sp_secret"]), billing_account_id=fx.get("ea_enrollment_number"),
        )
        try:
            account, _, _ = service_principals.connect(
                s, env, None, "Contoso (sample)", data, [demo_ws] if demo_ws is not None else []
            )
        except UserError as exc:
            console.print(f"[yellow]Could not connect the sample tenant: {exc.message}[/yellow]")
            return ""
        name, account_id = account.name, account.id
    set_sample_access_levels(rt, env, account_id, fx)
    return name


def set_sample_access_levels(rt: Runtime, env: AccountsEnv, account_id: int, fx: dict[str, str]) -> None:
    """Tags imported everywhere; the subscription where the sample principal holds Tag
    Contributor at tags-writeback (messy tags and a locked group there, so a newcomer can try
    a bulk edit and a push in Resources & Tags right away)."""
    from skytally.accounts import access

    writeback = set(fx.get("tag_writeback_subscription_ids", fx.get("tag_writeback_subscription_id", "")).split())
    with rt.db.session() as s:
        subs = [x.subscription_id for x in accounts.list_subscriptions(s, None, account_id)]
    for sid in subs:
        level = AccessLevel.TAGS_WRITEBACK if sid in {w.lower() for w in writeback} else AccessLevel.TAGS
        try:
            with rt.db.session() as s:
                access.change_access(s, env, None, account_id, sid, level)
        except UserError as exc:
            console.print(f"[yellow]Sample subscription {sid} stays at its level: {exc.message}[/yellow]")


def queue_first_sync(rt: Runtime, emulator: EmulatorProcess) -> None:
    """Import the sample tenant's costs (previous and current month) and list its resources
    (the inventory, which tells the Costs page which untagged costs belong to resources
    that are gone) in the demo's worker."""
    from skytally.costs.jobs import IMPORT
    from skytally.inventory.jobs import SYNC

    with rt.db.session() as s:
        account = accounts.account_for_tenant(s, AccountKind.AZURE, emulator.fixtures["primary_tenant_id"])
        account_id = account.id if account else None
    if account_id is not None:
        for kind in (SYNC, IMPORT):
            jobs.submit(rt.db, rt.queue, kind, target="demo start", params={"account_id": account_id},
                        queued_by="demo")


def demo_settings(host: str, port: int) -> Settings:
    overrides: dict[str, object] = {"demo": True, "host": host, "port": port}
    if "SKYTALLY_DATA_DIR" not in os.environ:
        overrides["data_dir"] = demo_data_dir()
    if "SKYTALLY_BASE_URL" not in os.environ:
        overrides["base_url"] = f"http://{host}:{port}"
    return Settings(**overrides)  # type: ignore[arg-type]


def seed_demo(rt: Runtime) -> tuple[str, str]:
    """Create (once) the demo organisation, admin, viewer and workspaces.

    Returns the admin's email and password. The password is made on the first run and kept
    in `demo-login.json` in the data dir (owner-only), so a restart prints the same login;
    if the admin changed it in skytally, the printed one is set again so it always works.
    """
    login_file = rt.settings.data_dir / DEMO_LOGIN_FILE
    saved = json.loads(login_file.read_text()) if login_file.exists() else {}
    password = str(saved.get("password") or secrets.token_urlsafe(12))
    if not saved:
        login_file.write_text(json.dumps({"email": DEMO_ADMIN, "password": password}))
        login_file.chmod(0o600)
    with rt.db.session() as s:
        service.ensure_organisation(s, "Demo organisation")
        for email, admin in ((DEMO_ADMIN, True), (DEMO_VIEWER, False)):
            if not service.user_exists(s, email):
                service.create_user(
                    s, None, UserCreate(email=email, password=SecretStr(password), is_admin=admin,
                                        display_name="Demo admin" if admin else "Demo viewer")
                )
            else:
                try:
                    service.authenticate(s, email, password)
                except UserError:
                    service.set_password(s, None, email, password)
        for name, desc in (("Demo", "Sample workspace: everything connected in the demo"),
                           ("Finance", "Costs and licences for the finance team")):
            found = service.workspace_id(s, name)
            ws_id = found if found is not None else service.create_workspace(
                s, None, WorkspaceCreate(name=name, description=desc)).id
            service.add_member(s, None, ws_id, MemberAdd(email=DEMO_ADMIN, role=WorkspaceRole.ADMIN))
            if name == "Demo":
                service.add_member(s, None, ws_id, MemberAdd(email=DEMO_VIEWER, role=WorkspaceRole.VIEWER))
    return DEMO_ADMIN, password


def write_demo_env(settings: Settings, emulator: EmulatorProcess) -> Path:
    """`demo.env` in the data dir: the settings a `skytally` command needs to work on this
    demo (its emulator's endpoints, CA and app), read by the CLI (cli/common.py) when it
    runs with this data dir, or in the directory holding `skytally-demo`."""
    path = settings.data_dir / DEMO_ENV_FILE
    lines = {**emulator.settings, "SKYTALLY_DEMO": "true", "SKYTALLY_BASE_URL": settings.base_url}
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(f"{k}={v}\n" for k, v in sorted(lines.items())))
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


TRY_MCA_FILE = "try-mca.txt"


def write_try_mca(settings: Settings, fx: dict[str, str], command: str | None = None) -> Path | None:
    """`try-mca.txt` in the data dir: what to type to connect the demo's MCA billing account
    with the customer's own service principal (the Vantage flow). The billing account ID is
    longer than a terminal line, so the banner points at this file."""
    if not fx.get("mca_billing_account_id") or not fx.get("customer_sp_client_id"):
        return None
    tenant, client, secret, mca = (fx["primary_custom_domain"], fx["customer_sp_client_id"], fx["customer_sp_secret"],
                                   fx["mca_billing_account_id"])
    path = settings.data_dir / TRY_MCA_FILE
    path.write_text(
        "Connect the demo's MCA billing account with a service principal (the Vantage flow)\n\n"
        "The demo's principal (the one the sample tenant is connected with) holds Billing\n"
        "account reader on this billing account, in the demo's Azure emulator. In skytally:\n"
        "Cloud Tenant Setup -> Add Cloud Account -> Service principal, type the values below;\n"
        "the tenant is already connected, so the page offers to add the billing account to it\n"
        "(or go straight to Contoso (sample) -> Add a service principal). Then type:\n\n"
        f"  Tenant ID or domain       {tenant}\n"
        f"  Application (client) ID   {client}\n"
        f"  Client secret             {secret}\n"
        f"  Billing account ID        {mca}\n"
        "  Billing account name      Fabrikam MCA (any name you like)\n\n"
        "Or from the command line, in the directory that holds skytally-demo:\n\n"
        f"  {command or cli_command()} accounts connect-sp {tenant} --into {tenant} --client-id {client} \\\n"
        f"      --secret '{secret}' \\\n"
        f"      --billing-account '{mca}' --billing-name 'Fabrikam MCA'\n"
    )
    path.chmod(0o600)
    return path


class _WorldSaver(threading.Thread):
    """Saves the emulator's world every `every` seconds (and once more at stop), so consents
    and role assignments made in the demo survive a restart, even one without Ctrl-C."""

    def __init__(self, emulator: EmulatorProcess, every: float = 20.0) -> None:
        super().__init__(daemon=True, name="demo-world-saver")
        self.emulator, self.every, self.done = emulator, every, threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.emulator.save_world()

    def stop(self) -> None:
        self.done.set()
        self.emulator.save_world()


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
    data_dir = demo_data_dir()
    with console.status("Starting the Azure emulator…"):
        emulator = start_emulator(data_dir)
    fx = emulator.fixtures
    settings = demo_settings(host, port)
    with console.status("Preparing the demo (database, sample data, sample tenant)…"):
        rt = build_runtime(settings)
        email, password = seed_demo(rt)
        write_demo_env(settings, emulator)
        write_try_mca(settings, fx)
        sample = connect_sample_tenant(rt, emulator)
        consumer = rt.queue.consumer(workers=2)
        consumer.shutdown_timeout = 1.0  # Ctrl-C: a running job gets 1 s, then is interrupted
        consumer.start()
        jobs.submit(rt.db, rt.queue, "maintenance.housekeeping", target="demo start", queued_by="demo")
        queue_first_sync(rt, emulator)
    saver = _WorldSaver(emulator)
    saver.start()
    console.print(banner(settings, emulator, email, password, sample, fx))

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            if not self.should_exit:
                console.print("[bold]Stopping the demo…[/bold] (saving the emulator's world; your data stays in "
                              f"{settings.data_dir})")
            super().handle_exit(sig, frame)

    config = uvicorn.Config(create_app(rt), host=host, port=port, log_level="warning", timeout_graceful_shutdown=1,
                            proxy_headers=False)  # no proxy in front of the demo: trust no forwarded header
    try:
        Server(config).run()
    finally:
        consumer.stop(graceful=True)
        saver.stop()
        rt.close()
        emulator.stop()
    console.print("Stopped. Start the demo again the same way to continue where you left off.")
    # Everything is saved and closed. Interpreter teardown would then wait several seconds
    # for native thread pools (Polars, DuckDB) loaded by the jobs; nothing is left to do.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def cli_command(argv0: str | None = None, cwd: Path | None = None) -> str:
    """How to type the `skytally` that runs this demo: its path relative to here when it is
    under this directory (demo.sh's .venv is not on the user's PATH), else `skytally`."""
    exe = Path(argv0 if argv0 is not None else sys.argv[0])
    if exe.name != "skytally":
        return "skytally"
    try:
        return str(exe.resolve().relative_to((cwd or Path.cwd()).resolve()))
    except ValueError:
        return "skytally"


def banner(settings: Settings, emulator: EmulatorProcess, email: str, password: str, sample: str,
           fx: dict[str, str], command: str | None = None) -> Panel:
    """What the demo prints on start. Each line fits an 80-column terminal for the usual
    lengths; what may be long (URLs, paths) starts its own indented line."""
    base = settings.base_url
    ca = emulator.settings.get("SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE", "ca.pem")
    again = ("[bold]Restarted[/bold]: the emulator's world (consents, roles) and your\n"
             "login are as you left them.\n\n" if emulator.restored else "")
    return Panel.fit(
        f"[bold]skytally demo is running[/bold]\n\n{again}"
        f"  Open      [link={base}]{base}[/link]\n"
        f"  Sign in   {email}\n"
        f"  Password  {password}\n"
        f"  (viewer)  {DEMO_VIEWER} / same password\n"
        f"  API docs  {base}/api/v1/docs\n\n"
        f"[bold]Azure emulator[/bold] at {emulator.base_url}\n"
        f"  Connected    {sample or '—'} (service principal): see Cloud Tenant Setup\n"
        f"  Costs        importing the sample EA enrollment now:\n"
        f"               {base}/costs\n"
        f"  Tags         one subscription at tags-writeback (env/Env/ENV,\n"
        f"               missing CostCenter, a locked group); bulk edit and push:\n"
        f"               {base}/resources\n"
        f"  Try consent  Add Cloud Account → Azure → tenant {fx['second_domain']}\n"
        f"               sign in as {fx['second_owner_upn']}\n"
        f"               password {fx['second_owner_password']}\n"
        + (f"  Try MCA      the service-principal (Vantage) flow; what to type is in\n"
           f"               {settings.data_dir / TRY_MCA_FILE}\n" if fx.get("mca_billing_account_id") else "")
        + f"  Office 365   tenant {fx['o365_domain']}\n"
        f"               admin {fx['o365_admin_upn']} / {fx['o365_admin_password']}\n"
        f"  Certificate  your browser does not know the emulator's CA: open\n"
        f"               {emulator.base_url}/ once and accept the warning,\n"
        f"               or import this file into the browser:\n"
        f"               {ca}\n\n"
        f"  Data dir  {settings.data_dir}\n"
        f"  CLI       {command or cli_command()} …  in this directory (or set\n"
        f"            SKYTALLY_DATA_DIR to the data dir) to use this demo\n\n"
        "Press Ctrl-C to stop.",
        border_style="green",
    )
