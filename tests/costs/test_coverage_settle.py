"""One import per stored period (coverage.settle), on manifests alone: the stored period
stays when a higher-ranked kind of source imported it, this import noted on it as
superseded; otherwise the new import replaces it, carrying the replaced import of another
kind and the imports that one had superseded, one entry per kind."""

from __future__ import annotations

import copy
from typing import Any

from skytally.costs.coverage import settle


def manifest(kind: str, import_id: str, rows: int = 10, **extra: Any) -> dict[str, Any]:
    return {"import_id": import_id, "imported_at": f"at-{import_id}", "source": {"kind": kind, "name": kind.upper()},
            "files": [], "totals": [{"currency": "EUR", "rows": rows}], **extra}


def entry(m: dict[str, Any]) -> dict[str, Any]:
    """`m` as a `superseded` entry."""
    return {"kind": m["source"]["kind"], "name": m["source"]["name"], "import_id": m["import_id"],
            "imported_at": m["imported_at"], "totals": m["totals"]}


def test_a_period_not_stored_yet_takes_the_new_import_as_it_is() -> None:
    new = manifest("file", "n")
    settled = settle(None, new)
    assert settled.replace and settled.manifest == new


def test_a_higher_ranked_stored_period_stays_and_notes_the_new_import() -> None:
    live, new = manifest("ea_enrollment_sp", "l"), manifest("ea_enrollment_key", "n", rows=99)
    before = copy.deepcopy((live, new))
    settled = settle(live, new)
    assert not settled.replace
    assert settled.manifest == {**live, "superseded": [entry(new)]}
    assert (live, new) == before  # the manifests given are not changed


def test_noting_an_import_replaces_the_earlier_note_of_its_kind() -> None:
    older_key, older_file = manifest("ea_enrollment_key", "k1"), manifest("file", "f1")
    live = manifest("ea_enrollment_sp", "l", superseded=[entry(older_key), entry(older_file)])
    new = manifest("ea_enrollment_key", "k2")
    settled = settle(live, new)
    assert not settled.replace
    assert settled.manifest["superseded"] == [entry(older_file), entry(new)]


def test_a_lower_ranked_stored_period_is_replaced_and_carried_as_superseded() -> None:
    live = manifest("file", "l", rows=500, superseded=[entry(manifest("ea_enrollment_key", "k"))])
    new = manifest("mca_billing_account", "n", rows=1)
    settled = settle(live, new)
    assert settled.replace
    assert settled.manifest == {**new, "superseded": [entry(manifest("ea_enrollment_key", "k")), entry(live)]}


def test_a_re_import_of_the_same_kind_replaces_and_keeps_the_notes() -> None:
    noted = entry(manifest("ea_enrollment_key", "k"))
    live = manifest("ea_enrollment_sp", "l", rows=500, superseded=[noted])
    new = manifest("ea_enrollment_sp", "n", rows=1)
    settled = settle(live, new)
    assert settled.replace
    assert settled.manifest == {**new, "superseded": [noted]}  # the stored import itself is not noted


def test_a_re_import_without_notes_stays_without() -> None:
    new = manifest("subscription", "n")
    settled = settle(manifest("subscription", "l"), new)
    assert settled.replace and settled.manifest == new and "superseded" not in settled.manifest


def test_the_replacing_kind_is_never_noted_as_superseded_by_itself() -> None:
    """Equal rank (MCA billing account and EA service principal): more rows win. The
    stored MCA import had superseded an EA one; a bigger EA import replaces it."""
    ea_before = manifest("ea_enrollment_sp", "e1", rows=5)
    live = manifest("mca_billing_account", "m", rows=10, superseded=[entry(ea_before)])
    new = manifest("ea_enrollment_sp", "e2", rows=20)
    settled = settle(live, new)
    assert settled.replace
    assert settled.manifest["superseded"] == [entry(live)]
    # fewer rows than the stored one: it stays
    assert not settle(live, manifest("ea_enrollment_sp", "e3", rows=3)).replace


def test_manifests_from_older_versions_are_read_safely() -> None:
    """A stored manifest without a source (kind "unknown", the lowest rank) and with a
    malformed `superseded` list."""
    live = {"import_id": "old", "imported_at": "then", "totals": [], "superseded": ["junk", {"kind": "x"}]}
    new = manifest("file", "n")
    settled = settle(live, new)
    assert settled.replace
    assert settled.manifest["superseded"] == [
        {"kind": "x"},
        {"kind": "unknown", "name": "", "import_id": "old", "imported_at": "then", "totals": []}]
