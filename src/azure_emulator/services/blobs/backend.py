"""Blobs the emulator serves: files on disk registered under ``{container}/{name}`` and
handed out as SAS URLs (``sv``, ``sr=b``, ``sp=r``, ``se``, ``sig``).

The signature is an HMAC-SHA256 (key private to the running emulator) over
``sp\\nse\\n/blob/emulator/{container}/{name}\\nsv``, base64 encoded as Azure Storage does;
expiry is checked against the emulator clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from azure_emulator.core.runtime import Runtime

SAS_VERSION = "2020-05-31"


@dataclass
class BlobStore:
    key: bytes = field(default_factory=lambda: os.urandom(32))
    files: dict[str, Path] = field(default_factory=dict)  # "container/name" → file
    lock: threading.Lock = field(default_factory=threading.Lock)

    def string_to_sign(self, blob: str, se: str, sv: str = SAS_VERSION, sp: str = "r") -> str:
        return f"{sp}\n{se}\n/blob/emulator/{blob}\n{sv}"

    def sign(self, blob: str, se: str, sv: str = SAS_VERSION, sp: str = "r") -> str:
        digest = hmac.new(self.key, self.string_to_sign(blob, se, sv, sp).encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def register(self, blob: str, path: Path) -> None:
        with self.lock:
            self.files[blob] = path

    def remove(self, blob: str) -> None:
        with self.lock:
            self.files.pop(blob, None)

    def url(self, base: str, blob: str, expiry: datetime) -> str:
        se = sas_time(expiry)
        sig = quote(self.sign(blob, se), safe="")
        return f"{base}/{quote(blob)}?sv={SAS_VERSION}&sr=b&sp=r&se={quote(se, safe='')}&sig={sig}"


def sas_time(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def store(runtime: Runtime) -> BlobStore:
    found = runtime.services.get("blobs")
    if not isinstance(found, BlobStore):
        found = BlobStore()
        runtime.services["blobs"] = found
    return found
