"""The bundled Azure emulator as a separate process, for `skytally demo`.

The product never imports the emulator. The demo runs the emulator's own command line
(`python -m azure_emulator.cli serve`), reads the `SKYTALLY_*` settings it prints, and asks
its control API for the sample logins: exactly how an operator would point skytally at it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from skytally.errors import ConfigurationError

SETTING_LINE = re.compile(r"^(SKYTALLY_[A-Z0-9_]+)=(.*)$")
LAST_SETTING = "SKYTALLY_AZURE_APP__CLIENT_SECRET"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class EmulatorProcess:
    """The emulator of one data dir. Its world (tenants, consents, role assignments…) is
    kept in `world.json` there by `save_world()`; a restart loads it, on the same port when
    that port is free (so a browser that accepted its certificate once keeps working)."""

    def __init__(self, state_dir: Path, *, seed: int = 1, size: str = "small", tag_demo: bool = False) -> None:
        self.state_dir = state_dir
        self.seed, self.size, self.tag_demo = seed, size, tag_demo
        self.settings: dict[str, str] = {}
        self.fixtures: dict[str, str] = {}
        self._proc: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return self.settings["SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST"]

    @property
    def world_file(self) -> Path:
        return self.state_dir / "world.json"

    @property
    def restored(self) -> bool:
        """Whether this run continues a saved world (False: a new one from the seed)."""
        return self._restored

    _restored = False

    def _port(self) -> int:
        saved = self.state_dir / "port"
        if saved.exists() and saved.read_text().strip().isdigit() and _port_free(int(saved.read_text())):
            return int(saved.read_text())
        port = _free_port()
        saved.write_text(str(port))
        return port

    def start(self, timeout: float = 60.0) -> EmulatorProcess:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "azure_emulator.cli", "serve", "--port", str(self._port()),
               "--state-dir", str(self.state_dir)]
        self._restored = self.world_file.exists()
        if self._restored:  # the saved world already holds whatever the first run generated
            cmd += ["--world", str(self.world_file)]
        else:
            cmd += ["--seed", str(self.seed), "--size", self.size]
            if self.tag_demo:
                cmd.append("--tag-demo")  # the sample tenant's tag-governance scenario (docs/emulator.md)
        with (self.state_dir / "emulator.log").open("a") as log:  # the child keeps its own handle
            self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        deadline = time.monotonic() + timeout
        try:
            self._read_settings(deadline)
            self._read_fixtures(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_settings(self, deadline: float) -> None:
        """Collect the settings it prints; a reader thread keeps draining its output, so the
        emulator never blocks on a full pipe (and no line sits unseen in a buffer)."""
        assert self._proc is not None and self._proc.stdout is not None
        out = self._proc.stdout
        seen = threading.Event()

        def read() -> None:
            for line in out:
                match = SETTING_LINE.match(line.strip())
                if match:
                    self.settings[match.group(1)] = match.group(2)
                    if match.group(1) == LAST_SETTING:
                        seen.set()

        threading.Thread(target=read, daemon=True, name="emulator-stdout").start()
        while not seen.wait(0.2):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise ConfigurationError(
                    f"the Azure emulator did not start; see {self.state_dir / 'emulator.log'}"
                )

    def _read_fixtures(self, deadline: float) -> None:
        ca = self.settings["SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE"]
        with httpx.Client(verify=ca, timeout=5) as client:
            while True:
                try:
                    response = client.get(f"{self.base_url}/_emulator/fixtures")
                    if response.status_code == 200:
                        self.fixtures = {str(k): str(v) for k, v in response.json().items()}
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise ConfigurationError("the Azure emulator started but does not answer")
                time.sleep(0.1)

    def apply_settings(self) -> None:
        os.environ.update(self.settings)

    def save_world(self) -> bool:
        """Write the emulator's current world to `world.json` (atomically); False if it
        did not answer (the previous file stays)."""
        if self._proc is None or self._proc.poll() is not None:
            return False
        ca = self.settings["SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE"]
        try:
            with httpx.Client(verify=ca, timeout=10) as client:
                response = client.get(f"{self.base_url}/_emulator/world")
            response.raise_for_status()
        except httpx.HTTPError:
            return False
        tmp = self.world_file.with_suffix(".tmp")
        tmp.write_bytes(response.content)
        tmp.replace(self.world_file)
        return True

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=0.5)  # its world is saved: no need to wait for idle connections
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
        self._proc = None
