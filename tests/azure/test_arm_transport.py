"""The ARM SDK clients' transport (skytally/azure/clients.py): the environment's proxy
settings are honoured for ARM's host, read once when the client is built (requests would
read the whole environment on every call), and the connection pool holds a push's
concurrent calls."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import AzureError

from skytally.azure import retry
from skytally.azure.clients import ARM_CONNECTIONS, AzureConnector
from skytally.clouds import KNOWN_CLOUDS, CloudName
from skytally.inventory import push

PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]


class _Listener:
    """A TCP server that records the first bytes of each connection and answers `reply`."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.seen: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(4096))
                    conn.sendall(self.reply)
                except OSError:
                    pass


class _Token:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("t", 2**31)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[_Listener, _Listener, AzureConnector]]:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setattr(retry, "DEFAULT", retry.RetrySettings(total=0, connect_timeout=2, read_timeout=2))
    arm = _Listener(b"")  # closes the connection: the call fails, having reached ARM's host directly
    proxy = _Listener(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    endpoints = KNOWN_CLOUDS[CloudName.PUBLIC].model_copy(update={"resource_manager": f"https://127.0.0.1:{arm.port}"})
    yield arm, proxy, AzureConnector(endpoints)
    arm.sock.close()
    proxy.sock.close()


def _call(connector: AzureConnector) -> None:
    client = connector.resources(_Token(), "00000000-0000-0000-0000-000000000001")  # type: ignore[arg-type]
    try:
        with pytest.raises(AzureError):
            client.tags.get_at_scope("/subscriptions/00000000-0000-0000-0000-000000000001")
    finally:
        client.close()


def test_the_environment_proxy_is_used_for_arm(env: tuple[_Listener, _Listener, AzureConnector],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    arm, proxy, connector = env
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    _call(connector)
    assert [s.split(b" ")[:2] for s in proxy.seen] == [[b"CONNECT", f"127.0.0.1:{arm.port}".encode()]]
    assert arm.seen == []


def test_no_proxy_naming_arm_goes_direct(env: tuple[_Listener, _Listener, AzureConnector],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    arm, proxy, connector = env
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    _call(connector)
    assert proxy.seen == []
    assert len(arm.seen) == 1


def test_the_environment_is_read_when_the_client_is_built(env: tuple[_Listener, _Listener, AzureConnector],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Not on every call: requests' per-call reading of the environment (proxies, NO_PROXY,
    ~/.netrc, CA bundle) was a third of a tag push's CPU."""
    arm, proxy, connector = env
    client = connector.resources(_Token(), "00000000-0000-0000-0000-000000000001")  # type: ignore[arg-type]
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")  # after the client was built
    try:
        with pytest.raises(AzureError):
            client.tags.get_at_scope("/subscriptions/00000000-0000-0000-0000-000000000001")
    finally:
        client.close()
    assert proxy.seen == []
    assert len(arm.seen) == 1


def test_the_pool_holds_a_push_s_concurrent_calls(env: tuple[_Listener, _Listener, AzureConnector]) -> None:
    """A connection returned to a full pool is closed: past requests' default of 10, each
    of a push's concurrent calls opened a new TLS connection."""
    _, _, connector = env
    assert ARM_CONNECTIONS >= push.CALLS_PER_SUBSCRIPTION
    client = connector.resources(_Token(), "00000000-0000-0000-0000-000000000001")  # type: ignore[arg-type]
    transport = client._client._pipeline._transport
    transport.open()
    try:
        adapter = transport.session.adapters["https://"]
        assert adapter.poolmanager.connection_pool_kw["maxsize"] == ARM_CONNECTIONS
    finally:
        client.close()
