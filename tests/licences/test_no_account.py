"""With no Office 365 tenant connected, the licence commands say so and what to do
(they used to answer "name the Office 365 account (one of: none)")."""

from __future__ import annotations

import pytest

from skytally.errors import NotFound
from skytally.licences import service
from skytally.runtime import Runtime


def test_no_office365_tenant_says_how_to_connect_one(runtime: Runtime) -> None:
    with runtime.db.session() as s, pytest.raises(NotFound) as refused:
        service.find_account(s, None, None)
    message = str(refused.value)
    assert "no Office 365 tenant is connected" in message
    assert "skytally licences connect-sp" in message and "Cloud Tenant Setup" in message
    assert "one of: none" not in message
