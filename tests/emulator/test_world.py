"""World generation (determinism, fixtures, sizes) and world files (JSON/YAML, hand-written)."""

from __future__ import annotations

from pathlib import Path

import pytest

from azure_emulator.testing import RunningEmulator
from azure_emulator.world.generate import FIXTURE_KEYS, generate_world
from azure_emulator.world.io import load_world, save_world, world_to_dict


def test_deterministic_for_a_seed() -> None:
    a, b, c = generate_world(7, "small"), generate_world(7, "small"), generate_world(8, "small")
    assert world_to_dict(a) == world_to_dict(b)
    assert a.fixtures["primary_tenant_id"] != c.fixtures["primary_tenant_id"]


def test_fixtures_and_owners() -> None:
    world = generate_world(1, "small")
    assert set(FIXTURE_KEYS) <= set(world.fixtures)
    fx = world.fixtures
    assert len(world.tenants) == 3 and world.tenants[fx["o365_tenant_id"]].has_office365
    owners = world.owners[fx["primary_tenant_id"]]
    assert owners[0] == fx["owner_object_id"]
    admin = world.user_by_upn(fx["global_admin_upn"])
    assert admin is not None and "Global Administrator" in admin.directory_roles
    assert world.application(fx["skytally_client_id"]).sign_in_audience == "AzureADMultipleOrgs"
    expired = world.application(fx["expired_sp_client_id"]).password_credentials[0]
    assert expired.end < world.clock.now()


def test_sizes_scale_users() -> None:
    small, medium = generate_world(1, "small"), generate_world(1, "medium")
    assert sum(len(t.users) for t in medium.tenants.values()) > 10 * sum(len(t.users) for t in small.tenants.values())
    with pytest.raises(ValueError):
        generate_world(1, "huge")  # type: ignore[arg-type]


@pytest.mark.slow
def test_large_world_has_its_size() -> None:
    # How fast it is generated is bench/emulator_bench.py's figure, not a timed test.
    world = generate_world(1, "large")
    users = sum(len(t.users) for t in world.tenants.values())
    medium = generate_world(1, "medium")
    assert users > sum(len(t.users) for t in medium.tenants.values())


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_file_roundtrip(tmp_path: Path, suffix: str) -> None:
    world = generate_world(3, "small")
    path = tmp_path / f"world{suffix}"
    save_world(world, path)
    assert world_to_dict(load_world(path)) == world_to_dict(world)


HAND_WRITTEN = """
format: azure-emulator-world/1
fixtures: {primary_tenant_id: 11111111-1111-4111-8111-111111111111}
tenants:
  - tenant_id: 11111111-1111-4111-8111-111111111111
    display_name: Tiny Co
    default_domain: tiny.onmicrosoft.com
    verified_domains: [tiny.onmicrosoft.com]
    users:
      - {object_id: 22222222-2222-4222-8222-222222222222, tenant_id: 11111111-1111-4111-8111-111111111111,
         user_principal_name: ann@tiny.onmicrosoft.com, display_name: Ann, password: "Pa55word!"}
    applications:
      - app_id: 33333333-3333-4333-8333-333333333333
        object_id: 44444444-4444-4444-8444-444444444444
        home_tenant_id: 11111111-1111-4111-8111-111111111111
        display_name: Tiny App
        sign_in_audience: AzureADMyOrg
        password_credentials:
          - {key_id: 55555555-5555-4555-8555-555555555555, display_name: s, secret: "tiny-secret", hint: tin,
             start: "2024-01-01T00:00:00+00:00", end: "2099-01-01T00:00:00+00:00"}
    service_principals:
      - {object_id: 66666666-6666-4666-8666-666666666666, app_id: 33333333-3333-4333-8333-333333333333,
         tenant_id: 11111111-1111-4111-8111-111111111111, display_name: Tiny App}
"""


def test_hand_written_yaml_world_serves_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(HAND_WRITTEN)
    world = load_world(path)
    assert world.tenants["11111111-1111-4111-8111-111111111111"].display_name == "Tiny Co"
    with RunningEmulator(world) as emu:
        token = emu.token("arm", client_id="33333333-3333-4333-8333-333333333333", client_secret="tiny-secret",
                          tenant="tiny.onmicrosoft.com")
        assert token.count(".") == 2


def test_bad_world_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("tenants: [{tenant_id: x, display_name: y, default_domain: z, colour: red}]\n")
    with pytest.raises(ValueError, match="unknown fields"):
        load_world(path)
