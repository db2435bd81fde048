"""Input rules name what was wrong."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from skytally.workspaces.schemas import UserCreate


def test_bad_user_input_is_named() -> None:
    with pytest.raises(ValidationError) as err:
        UserCreate(email="not-an-email", password=SecretStr("short"))
    text = str(err.value)
    assert "email address" in text and "at least 10 characters" in text
