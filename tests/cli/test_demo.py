"""`skytally demo` as a newcomer runs it: banner, login that works, sample tenant, clean stop."""

from __future__ import annotations

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


@pytest.mark.slow
def test_demo_serves_a_login_and_the_sample_tenant(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SKYTALLY_DATA_DIR": str(tmp_path / "demo"), "COLUMNS": "200"}
    for key in [k for k in env if k.startswith("SKYTALLY_") and k not in ("SKYTALLY_DATA_DIR",)]:
        env.pop(key)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skytally.cli.main", "demo", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )
    banner = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while "Press Ctrl-C to stop." not in banner:
            assert proc.poll() is None, banner
            assert time.monotonic() < deadline, banner
            # Raw reads on the descriptor: a buffered reader would hide lines from select().
            if select.select([proc.stdout], [], [], 0.5)[0]:
                banner += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
        password = re.search(r"Password\s+(\S+)", banner)
        assert password, banner
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
            for _ in range(100):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = client.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
            assert csrf, login.text[:500]
            page = client.post("/login", data={"email": "admin@example.com", "password": password.group(1),
                                               "csrf_token": csrf.group(1)})
            assert page.status_code == 200 and "Overview" in page.text
            accounts = client.get("/accounts")
            assert "Contoso (sample)" in accounts.text
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    leftovers = subprocess.run(["pgrep", "-f", f"azure_emulator.cli serve .*{tmp_path}"], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "the emulator process outlived the demo"
