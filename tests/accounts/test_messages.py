"""Microsoft's error text is kept whole (never cut mid-word); trace IDs are dropped."""

from __future__ import annotations

from skytally.accounts.identity import describe_auth_failure
from skytally.azure.messages import readable

AADSTS = ("ClientSecretCredential.get_token failed: Authentication failed: AADSTS7000229: The client application "
          "00000000-1111-2222-3333-444444444444 is missing service principal in the tenant "
          "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119 "
          "for the steps to create the service principal and grant it the permissions the application needs, then "
          "try signing in again with the same credentials. Trace ID: 0a1b2c3d Correlation ID: 4e5f Timestamp: "
          "2026-12-07 10:00:00Z")


def test_the_aadsts_sentence_is_whole_and_the_ids_are_dropped() -> None:
    text = readable(AADSTS)
    assert text.startswith("AADSTS7000229: The client application")
    assert text.endswith("try signing in again with the same credentials.")
    assert "Trace ID" not in text and "Correlation" not in text


def test_an_unknown_sign_in_failure_keeps_microsofts_whole_message() -> None:
    problem = describe_auth_failure(AADSTS, tenant_id="t", client_id="c")
    assert problem.message.endswith("try signing in again with the same credentials.")


def test_a_very_long_text_is_shortened_at_a_word_with_an_ellipsis() -> None:
    text = readable("word " * 1000, limit=100)
    assert text.endswith(" …") and len(text) <= 102 and "wor …" not in text
