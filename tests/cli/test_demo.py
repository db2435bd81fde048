"""`skytally demo` as a newcomer runs it: banner, login that works, sample tenant, the CLI
finding the demo, a clean Ctrl-C, and a restart that keeps the emulator's world and login."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "200"}
    for key in [k for k in env if k.startswith("SKYTALLY_")]:
        env.pop(key)
    return env


class Demo:
    """`skytally demo` run in `cwd` (its data goes to cwd/skytally-demo)."""

    def __init__(self, cwd: Path, port: int) -> None:
        self.cwd, self.port, self.output = cwd, port, ""
        self.proc = subprocess.Popen([sys.executable, "-m", "skytally.cli.main", "demo", "--port", str(port)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=_clean_env(), cwd=cwd)

    def read_until(self, text: str, timeout: float = 120) -> str:
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if self.proc.poll() is not None:  # exited: take what is left
                self.output += self.proc.stdout.read().decode(errors="replace")
                break
            assert time.monotonic() < deadline, self.output
            # Raw reads on the descriptor: a buffered reader would hide lines from select().
            if select.select([self.proc.stdout], [], [], 0.5)[0]:
                self.output += os.read(self.proc.stdout.fileno(), 65536).decode(errors="replace")
        return self.output

    def stop(self) -> float:
        """Ctrl-C; returns the seconds it took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self.read_until("Stopped.", timeout=5)
        return time.monotonic() - started


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "skytally.cli.main", *args], cwd=cwd, env=_clean_env(),
                          capture_output=True, text=True, timeout=60)


def sign_in_works(port: int, password: str) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, follow_redirects=True) as client:
        for _ in range(100):
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        login = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf, login.text[:500]
        page = client.post("/login", data={"email": "admin@example.com", "password": password,
                                           "csrf_token": csrf.group(1)})
        assert page.status_code == 200 and "Overview" in page.text
        assert "Contoso (sample)" in client.get("/accounts").text


@pytest.mark.slow
def test_demo_serves_restarts_and_is_found_by_the_cli(tmp_path: Path) -> None:
    port = _free_port()
    demo = Demo(tmp_path, port)
    try:
        banner = demo.read_until("Press Ctrl-C to stop.")
        password = re.search(r"Password\s+(\S+)", banner)
        assert password, banner
        assert "Restarted" not in banner and "accept the warning" in banner
        sign_in_works(port, password.group(1))

        # The CLI run where the demo runs uses the demo's data and its emulator.
        listed = cli(tmp_path, "accounts", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [a["name"] for a in json.loads(listed.stdout)] == ["Contoso (sample)"]
        demo_env = dict(line.split("=", 1) for line in (tmp_path / "skytally-demo" / "demo.env").read_text().splitlines())
        emulator = demo_env["SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST"]
        fabrikam = re.search(r"→ tenant (\S+)", banner)
        assert fabrikam, banner
        added = cli(tmp_path, "accounts", "add", fabrikam.group(1), "--name", "Fabrikam", "--json")
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["url"].startswith(emulator + "/"), added.stdout

        # Something changes in the emulator's world (as a consent would change it).
        ca = demo_env["SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE"]
        app_id = demo_env["SKYTALLY_AZURE_APP__CLIENT_ID"]
        marker = "http://127.0.0.1:1/kept-across-restarts"
        with httpx.Client(verify=ca, timeout=10) as client:
            client.post(f"{emulator}/_emulator/apps/{app_id}/redirect-uris", json={"uris": [marker]}).raise_for_status()
    finally:
        took = demo.stop()
    assert "Stopping the demo…" in demo.output
    print(f"first demo stopped {took:.1f} s after Ctrl-C")

    again = Demo(tmp_path, port)
    try:
        banner = again.read_until("Press Ctrl-C to stop.")
        assert "Restarted" in banner
        assert f"Password  {password.group(1)}" in banner  # the same login, printed again
        sign_in_works(port, password.group(1))
        demo_env = dict(line.split("=", 1) for line in (tmp_path / "skytally-demo" / "demo.env").read_text().splitlines())
        with httpx.Client(verify=demo_env["SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE"], timeout=10) as client:
            world = client.get(f"{demo_env['SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST']}/_emulator/world").text
        assert marker in world
        assert demo_env["SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST"] == emulator  # same port: a browser's exception holds
    finally:
        print(f"second demo stopped {again.stop():.1f} s after Ctrl-C")
    leftovers = subprocess.run(["pgrep", "-f", f"azure_emulator.cli serve .*{tmp_path}"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "the emulator process outlived the demo"
