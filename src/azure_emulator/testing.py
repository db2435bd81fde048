"""Start the emulator over HTTPS for tests and demos.

    with RunningEmulator(seed=1, size="small") as emu:
        httpx.get(f"{emu.base_url}/graph/v1.0/organization", verify=emu.ca_bundle, ...)

In-process (default) the server runs in a background thread and ``.world`` is the live
world; ``in_process=False`` runs ``azure-emulator serve`` in a subprocess instead (for
benchmarks and end-to-end tests that want a separate process).
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn

from azure_emulator.certs import ensure_certs
from azure_emulator.config import skytally_settings
from azure_emulator.world.model import World


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class RunningEmulator:
    def __init__(
        self,
        world: World | None = None,
        *,
        seed: int = 1,
        size: Literal["small", "medium", "large", "bench"] = "small",
        host: str = "127.0.0.1",
        port: int = 0,
        state_dir: str | Path | None = None,
        in_process: bool = True,
        tag_demo: bool = False,
        start_timeout: float = 60.0,
    ) -> None:
        self._world_arg = world
        self.start_timeout = start_timeout  # a separate process loading a 50,000-user world on a busy machine takes longer
        self.tag_demo = tag_demo
        self.seed, self.size, self.host, self.port = seed, size, host, port
        self.in_process = in_process
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.state_dir = Path(state_dir) if state_dir else None
        self._first_world: World | None = None
        self.app: Any = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: httpx.Client | None = None
        self._ssl: ssl.SSLContext | None = None

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> RunningEmulator:
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="azure-emulator-")
            self.state_dir = Path(self._tmp.name)
        self.certs = ensure_certs(self.state_dir)
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        host_part = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"https://{host_part}:{self.port}"
        if self.in_process:
            self._start_thread(sock)
        else:
            sock.close()
            self._start_process()
        return self

    def _start_thread(self, sock: socket.socket) -> None:
        from azure_emulator.server import create_app
        from azure_emulator.world.generate import generate_world

        self._first_world = self._world_arg or generate_world(self.seed, self.size, tag_demo=self.tag_demo)
        factory = None if self._world_arg is not None else (lambda: generate_world(self.seed, self.size, tag_demo=self.tag_demo))
        self.app = create_app(self._first_world, base_url=self.base_url, state_dir=self.state_dir, world_factory=factory)
        config = uvicorn.Config(
            self.app, ssl_certfile=str(self.certs.cert), ssl_keyfile=str(self.certs.key),
            log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="azure-emulator")
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.005)

    def _start_process(self) -> None:
        assert self.state_dir is not None
        cmd = [sys.executable, "-m", "azure_emulator.cli", "serve", "--host", self.host, "--port", str(self.port),
               "--state-dir", str(self.state_dir)]
        if self._world_arg is not None:
            from azure_emulator.world.io import save_world

            path = self.state_dir / "world.json"
            save_world(self._world_arg, path)
            cmd += ["--world", str(path)]
        else:
            cmd += ["--seed", str(self.seed), "--size", self.size] + (["--tag-demo"] if self.tag_demo else [])
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise RuntimeError(f"the emulator exited: {err}")
            with contextlib.suppress(httpx.HTTPError):
                if self.control.get("/health").status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RunningEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- conveniences --------------------------------------------------------------
    @property
    def ca_bundle(self) -> str:
        return str(self.certs.ca)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting only the emulator's CA (for httpx: ``verify=emu.ssl_context``)."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context(cafile=self.ca_bundle)
        return self._ssl

    @property
    def control(self) -> httpx.Client:
        if self._control is None:
            self._control = httpx.Client(base_url=f"{self.base_url}/_emulator", verify=self.ssl_context, timeout=30)
        return self._control

    @property
    def world(self) -> World | None:
        """The live world (in-process only): after a control-API reset, the new one."""
        if getattr(self, "app", None) is not None:
            live: World = self.app.state.world
            return live
        return self._first_world

    @property
    def fixtures(self) -> dict[str, str]:
        if self.world is not None:
            return dict(self.world.fixtures)
        return self.control.get("/fixtures").json()  # type: ignore[no-any-return]

    @property
    def settings(self) -> dict[str, str]:
        return skytally_settings(self.base_url, self.ca_bundle, self.fixtures)

    @property
    def arm_url(self) -> str:
        return f"{self.base_url}/arm"

    @property
    def graph_url(self) -> str:
        return f"{self.base_url}/graph"

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client trusting the emulator's CA."""
        return httpx.Client(verify=self.ssl_context, timeout=30, **kwargs)

    def token(
        self,
        api: Literal["arm", "graph"] = "arm",
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        tenant: str | None = None,
    ) -> str:
        """An app-only access token (client credentials; skytally's app in the primary tenant by default)."""
        fx = self.fixtures
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id or fx["skytally_client_id"],
            "client_secret": client_secret or fx["skytally_client_secret"],
            "scope": f"{self.base_url}/{api}/.default",
        }
        with self.client() as http:
            resp = http.post(f"{self.base_url}/{tenant or fx['primary_tenant_id']}/oauth2/v2.0/token", data=data)
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def user_token(self, upn: str, password: str, api: Literal["arm", "graph"] = "arm", *, tenant: str = "organizations") -> str:
        """A delegated token for a user (resource-owner password grant with skytally's app)."""
        fx = self.fixtures
        data = {
            "grant_type": "password", "client_id": fx["skytally_client_id"],
            "client_secret": fx["skytally_client_secret"], "username": upn, "password": password,
            "scope": f"{self.base_url}/{api}/.default",
        }
        with self.client() as http:
            resp = http.post(f"{self.base_url}/{tenant}/oauth2/v2.0/token", data=data)
        resp.raise_for_status()
        return str(resp.json()["access_token"])
