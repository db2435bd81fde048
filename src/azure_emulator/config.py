"""The settings a skytally install needs to use a running emulator."""

from __future__ import annotations

from pathlib import Path


def skytally_settings(base_url: str, ca_bundle: Path | str, fixtures: dict[str, str]) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {
        "SKYTALLY_CLOUD": "custom",
        "SKYTALLY_CLOUD_ENDPOINTS__AUTHORITY_HOST": base,
        "SKYTALLY_CLOUD_ENDPOINTS__RESOURCE_MANAGER": f"{base}/arm",
        "SKYTALLY_CLOUD_ENDPOINTS__RESOURCE_MANAGER_AUDIENCE": f"{base}/arm",
        "SKYTALLY_CLOUD_ENDPOINTS__MICROSOFT_GRAPH": f"{base}/graph",
        "SKYTALLY_CLOUD_ENDPOINTS__MICROSOFT_GRAPH_AUDIENCE": f"{base}/graph",
        "SKYTALLY_CLOUD_ENDPOINTS__EA_REPORTING": f"{base}/ea",
        "SKYTALLY_CLOUD_ENDPOINTS__CA_BUNDLE": str(ca_bundle),
        "SKYTALLY_CLOUD_ENDPOINTS__INSTANCE_DISCOVERY": "false",
        "SKYTALLY_AZURE_APP__CLIENT_ID": fixtures.get("skytally_client_id", ""),
        "SKYTALLY_AZURE_APP__CLIENT_SECRET": fixtures.get("skytally_client_secret", ""),
    }


HUMAN_FIXTURES = [
    ("Global administrator", "global_admin_upn", "global_admin_password"),
    ("Subscription owner", "owner_upn", "owner_password"),
    ("Plain user (no roles)", "plain_user_upn", "plain_user_password"),
    ("Second tenant admin", "second_admin_upn", "second_admin_password"),
    ("Second tenant owner", "second_owner_upn", "second_owner_password"),
    ("Office 365 tenant admin", "o365_admin_upn", "o365_admin_password"),
]


def describe(base_url: str, ca_bundle: Path | str, fixtures: dict[str, str]) -> str:
    """The text ``azure-emulator serve`` prints: env settings, then fixture logins."""
    lines = [f"{k}={v}" for k, v in skytally_settings(base_url, ca_bundle, fixtures).items()]
    lines.append("")
    lines.append("# Sign-in fixtures (user / password):")
    for label, upn_key, pwd_key in HUMAN_FIXTURES:
        if upn_key in fixtures:
            lines.append(f"#   {label}: {fixtures[upn_key]} / {fixtures.get(pwd_key, '')}")
    for label, key in (
        ("Primary tenant", "primary_tenant_id"),
        ("Second tenant", "second_tenant_id"),
        ("Office 365 tenant", "o365_tenant_id"),
        ("Customer service principal", "customer_sp_client_id"),
    ):
        if key in fixtures:
            lines.append(f"#   {label}: {fixtures[key]}")
    if "customer_sp_secret" in fixtures:
        lines.append(f"#   Customer service principal secret: {fixtures['customer_sp_secret']}")
    lines.append(f"# Control API: {base_url.rstrip('/')}/_emulator/  (fixtures: GET /_emulator/fixtures)")
    return "\n".join(lines)
