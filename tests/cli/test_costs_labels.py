"""`skytally costs periods` names a source once: its kind, then its name, without nested
brackets ('EA enrollment (service principal) (Contoso …)' read badly)."""

from __future__ import annotations

from skytally.cli.costs import source_label


def test_source_label_joins_kind_and_name() -> None:
    ea = {"kind": "ea_enrollment_sp", "kind_label": "EA enrollment (service principal)",
          "name": "Contoso Ltd Enterprise Agreement"}
    assert source_label(ea) == "EA enrollment (service principal) · Contoso Ltd Enterprise Agreement"
    assert source_label({"kind_label": "cost file", "name": ""}) == "cost file"
    assert source_label({"kind_label": "cost file", "name": None}) == "cost file"
