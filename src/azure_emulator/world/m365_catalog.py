"""Microsoft 365 products the emulator sells: real skuIds, skuPartNumbers and service plan
ids, from Microsoft's "Product names and service plan identifiers for licensing" table
(MicrosoftDocs/entra-docs, docs/identity/users/licensing-service-plan-reference.md,
ms.date 10/29/2025; CC BY 4.0). Each product lists a *subset* of its real service plans:
the workload plans that matter for licence analysis (mail, files, apps, Teams, identity,
device management), which is enough for the containment relations between products
(Microsoft 365 E3 contains Office 365 E3, Entra ID P1, EMS E3 …) to hold as they do.
"""

from __future__ import annotations

PLANS: dict[str, str] = {
    "EXCHANGE_S_ENTERPRISE": "efb87545-963c-4e0d-99df-69c6916d9eb0",
    "EXCHANGE_S_STANDARD": "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
    "EXCHANGE_S_FOUNDATION": "113feb6c-3fe4-4440-bddc-54d774bf0318",
    "SHAREPOINTENTERPRISE": "5dbe027f-2339-4123-9542-606e4d348a72",
    "SHAREPOINTWAC": "e95bec33-7c88-4a70-8e19-b10bd9d0c014",
    "OFFICESUBSCRIPTION": "43de0ff5-c92c-492b-9116-175376d08c38",
    "TEAMS1": "57ff2da0-773e-42df-b2af-ffb7a2317929",
    "MCOSTANDARD": "0feaeb32-d00e-4d66-bd5a-43b5b83db82c",
    "YAMMER_ENTERPRISE": "7547a3fe-08ee-4ccb-b430-5077c5041653",
    "FORMS_PLAN_E3": "2789c901-c14e-48ab-a76a-be334d9d793a",
    "FORMS_PLAN_E5": "e212cbc7-0961-4c40-9825-01117710dcb1",
    "STREAM_O365_E3": "9e700747-8b1d-45e5-ab8d-ef187ceec156",
    "STREAM_O365_E5": "6c6042f5-6f01-4d67-b8c1-eb99d36eed3e",
    "PROJECTWORKMANAGEMENT": "b737dad2-2f6c-4c65-90e3-ca563267e8b9",
    "SWAY": "a23b959c-7ce8-4e57-9140-b90eb88a9e97",
    "RMS_S_ENTERPRISE": "bea4c11e-220a-4e6d-8eb8-8ea15d019f90",
    "RMS_S_PREMIUM": "6c57d4b6-3b23-47a5-9bc9-69f17b4947b3",
    "AAD_PREMIUM": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
    "AAD_PREMIUM_P2": "eec0eb4f-6444-4f95-aba0-50c24d67f998",
    "MFA_PREMIUM": "8a256a2b-b617-496d-b51b-e76466e88db0",
    "INTUNE_A": "c1ec4a95-1f05-45b3-a911-aa3fa01094f5",
    "ADALLOM_S_DISCOVERY": "932ad362-64a8-4783-9106-97849a1a30b9",
    "WIN10_PRO_ENT_SUB": "21b439ba-a0ca-424f-a6cc-52f954a5b111",
    "MCOEV": "4828c8ec-dc2e-4779-b502-87ac9ce28ab7",
    "MCOMEETADV": "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40",
    "BI_AZURE_P2": "70d33638-9c74-4d01-bfd3-562de28bd4ba",
    "VISIO_CLIENT_SUBSCRIPTION": "663a804f-1c30-4ff0-9915-9db84f0d1cea",
}

_O365_E3 = ["EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "SHAREPOINTWAC", "OFFICESUBSCRIPTION", "TEAMS1",
            "MCOSTANDARD", "YAMMER_ENTERPRISE", "FORMS_PLAN_E3", "STREAM_O365_E3", "PROJECTWORKMANAGEMENT", "SWAY",
            "RMS_S_ENTERPRISE"]
_EMS_E3 = ["AAD_PREMIUM", "MFA_PREMIUM", "INTUNE_A", "RMS_S_ENTERPRISE", "RMS_S_PREMIUM", "ADALLOM_S_DISCOVERY"]
_M365_E3 = list(dict.fromkeys([*_O365_E3, *_EMS_E3, "WIN10_PRO_ENT_SUB"]))
_M365_E5 = [p.replace("_E3", "_E5") for p in _M365_E3] + ["AAD_PREMIUM_P2", "MCOEV", "MCOMEETADV", "BI_AZURE_P2"]

# skuPartNumber → (skuId, product name, service plan names)
SKUS: dict[str, tuple[str, str, list[str]]] = {
    "SPE_E3": ("05e9a617-0261-4cee-bb44-138d3ef5d965", "Microsoft 365 E3", _M365_E3),
    "SPE_E5": ("06ebc4ee-1bb5-47dd-8120-11324bc54e06", "Microsoft 365 E5", _M365_E5),
    "ENTERPRISEPACK": ("6fd2c87f-b296-42f0-b197-1e91e994b900", "Office 365 E3", _O365_E3),
    "STANDARDPACK": ("18181a46-0d4e-45cd-891e-60aabd171b4e", "Office 365 E1",
                     ["EXCHANGE_S_STANDARD", "SHAREPOINTWAC", "TEAMS1", "MCOSTANDARD", "YAMMER_ENTERPRISE", "SWAY"]),
    "EMS": ("efccb6f7-5641-4e0e-bd10-b4976e1bf68e", "Enterprise Mobility + Security E3", _EMS_E3),
    "AAD_PREMIUM": ("078d2b04-f1bd-4111-bbd4-b4b1b354cef4", "Microsoft Entra ID P1",
                    ["AAD_PREMIUM", "ADALLOM_S_DISCOVERY", "EXCHANGE_S_FOUNDATION", "MFA_PREMIUM"]),
    "EXCHANGESTANDARD": ("4b9405b0-7788-4568-add1-99614e613b69", "Exchange Online (Plan 1)", ["EXCHANGE_S_STANDARD"]),
    "EXCHANGEENTERPRISE": ("19ec0d23-8335-4cbd-94ac-6050e30712fa", "Exchange Online (Plan 2)", ["EXCHANGE_S_ENTERPRISE"]),
    "POWER_BI_PRO": ("f8a1db68-be16-40ed-86d5-cb42ce701560", "Power BI Pro", ["BI_AZURE_P2", "EXCHANGE_S_FOUNDATION"]),
    "VISIOCLIENT": ("c5928f49-12ba-48f7-ada3-0d743a3601d5", "Visio Plan 2", ["VISIO_CLIENT_SUBSCRIPTION", "EXCHANGE_S_FOUNDATION"]),
    "MCOEV": ("e43b5b99-8dfb-405f-9987-dc307f34bcbd", "Microsoft Teams Phone Standard", ["MCOEV"]),
}

PREMIUM_PLANS = frozenset({PLANS["AAD_PREMIUM"], PLANS["AAD_PREMIUM_P2"]})


def sku_id(part_number: str) -> str:
    return SKUS[part_number][0]


def plans_of(part_number: str) -> list[tuple[str, str]]:
    """(servicePlanId, servicePlanName) of a product."""
    return [(PLANS[name], name) for name in SKUS[part_number][2]]
