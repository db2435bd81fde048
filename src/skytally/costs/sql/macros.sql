-- Scalar macros used by the column mappings in ../mappings/*.yaml.
-- Each follows a rule of Microsoft's FOCUS conversion (finops-toolkit convert.md).
-- Macros are expanded at bind time: they cost nothing per row beyond their body.
-- Per-value string functions (st_resource_type, st_last_segment, st_block_size,
-- st_unit, st_parse_tags) are Python UDFs evaluated once per distinct value: udf.py.

-- PricingModel is a commitment (reservation or savings plan). Real files spell it
-- 'SavingsPlan', the docs 'Savings Plan'.
CREATE OR REPLACE MACRO st_is_commitment(pm) AS
    lower(replace(coalesce(pm, ''), ' ', '')) IN ('reservation', 'savingsplan');

-- ChargeType -> ChargeCategory
CREATE OR REPLACE MACRO st_charge_category(ct) AS
    CASE lower(coalesce(ct, ''))
        WHEN 'usage' THEN 'Usage'
        WHEN 'purchase' THEN 'Purchase'
        WHEN 'credit' THEN 'Credit'
        WHEN 'tax' THEN 'Tax'
        WHEN 'unusedreservation' THEN 'Usage'
        WHEN 'unusedsavingsplan' THEN 'Usage'
        WHEN 'refund' THEN 'Purchase'
        ELSE 'Adjustment'
    END;

-- Frequency -> ChargeFrequency
CREATE OR REPLACE MACRO st_charge_frequency(f) AS
    CASE lower(coalesce(f, ''))
        WHEN 'onetime' THEN 'One-Time'
        WHEN 'recurring' THEN 'Recurring'
        WHEN 'usagebased' THEN 'Usage-Based'
        ELSE 'Other'
    END;

-- PricingModel -> PricingCategory
CREATE OR REPLACE MACRO st_pricing_category(pm) AS
    CASE lower(replace(coalesce(pm, ''), ' ', ''))
        WHEN 'ondemand' THEN 'Standard'
        WHEN 'spot' THEN 'Dynamic'
        WHEN 'reservation' THEN 'Committed'
        WHEN 'savingsplan' THEN 'Committed'
    END;

CREATE OR REPLACE MACRO st_pricing_subcategory(pm) AS
    CASE lower(replace(coalesce(pm, ''), ' ', ''))
        WHEN 'ondemand' THEN 'Standard'
        WHEN 'spot' THEN 'Spot'
        WHEN 'reservation' THEN 'Committed Usage'
        WHEN 'savingsplan' THEN 'Committed Spend'
    END;

-- BenefitId (or, in files without it, ReservationId / PricingModel) -> commitment kind
CREATE OR REPLACE MACRO st_commitment_category(benefit_id, reservation_id, pm) AS
    CASE
        WHEN contains(lower(coalesce(benefit_id, '')), '/microsoft.capacity/') THEN 'Usage'
        WHEN contains(lower(coalesce(benefit_id, '')), '/microsoft.billingbenefits/') THEN 'Spend'
        WHEN coalesce(benefit_id, '') = '' AND lower(replace(coalesce(pm, ''), ' ', '')) = 'reservation' THEN 'Usage'
        WHEN coalesce(benefit_id, '') = '' AND lower(replace(coalesce(pm, ''), ' ', '')) = 'savingsplan' THEN 'Spend'
        WHEN coalesce(benefit_id, '') = '' AND coalesce(reservation_id, '') <> '' THEN 'Usage'
    END;

CREATE OR REPLACE MACRO st_commitment_type(benefit_id, reservation_id, pm) AS
    CASE st_commitment_category(benefit_id, reservation_id, pm)
        WHEN 'Usage' THEN 'Reservation'
        WHEN 'Spend' THEN 'Savings Plan'
    END;

-- ServiceFamily -> FOCUS ServiceCategory (the families Cost Management uses map 1:1
-- onto FOCUS categories of the same meaning; anything else is "Other").
CREATE OR REPLACE MACRO st_service_category(family) AS
    CASE lower(coalesce(family, ''))
        WHEN 'compute' THEN 'Compute'
        WHEN 'storage' THEN 'Storage'
        WHEN 'networking' THEN 'Networking'
        WHEN 'databases' THEN 'Databases'
        WHEN 'analytics' THEN 'Analytics'
        WHEN 'ai + machine learning' THEN 'AI and Machine Learning'
        WHEN 'security' THEN 'Security'
        WHEN 'management and governance' THEN 'Management and Governance'
        WHEN 'developer tools' THEN 'Developer Tools'
        WHEN 'integration' THEN 'Integration'
        WHEN 'internet of things' THEN 'Internet of Things'
        WHEN 'iot' THEN 'Internet of Things'
        WHEN 'web' THEN 'Web'
        WHEN 'containers' THEN 'Compute'
        WHEN 'identity' THEN 'Identity'
        WHEN 'mixed reality' THEN 'Other'
        ELSE 'Other'
    END;

-- Subscription GUID -> FOCUS SubAccountId as Microsoft's FOCUS export writes it.
CREATE OR REPLACE MACRO st_subscription_id(sid) AS
    CASE WHEN coalesce(sid, '') = '' THEN NULL
         WHEN starts_with(sid, '/') THEN sid
         ELSE '/subscriptions/' || sid END;

-- AdditionalInfo -> SkuPriceDetails: property names prefixed with x_ (convert.md).
CREATE OR REPLACE MACRO st_prefix_json_keys(js) AS
    CASE WHEN coalesce(js, '') = '' THEN NULL
         ELSE regexp_replace(js, '"([A-Za-z0-9_]+)"\s*:', '"x_\1":', 'g') END;

