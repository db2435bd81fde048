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


-- (ServiceCategory, ServiceName) -> FOCUS 1.2 ServiceSubcategory (an allowed value whose
-- parent is the row's ServiceCategory, one per ServiceName), as Microsoft's Services
-- lookup maps Azure services; others "Other (<category>)". The meter subcategory stays in
-- x_SkuMeterSubcategory.
CREATE OR REPLACE MACRO st_service_subcategory(category, service) AS
    CASE
        WHEN category = 'Compute' AND lower(service) IN ('virtual machines', 'virtual machines licenses',
             'virtual machine scale sets', 'dedicated host', 'azure vmware solution', 'azure dedicated host')
            THEN 'Virtual Machines'
        WHEN category = 'Compute' AND lower(service) IN ('azure kubernetes service', 'container instances',
             'azure container apps', 'container apps', 'azure red hat openshift', 'service fabric',
             'container registry') THEN 'Containers'
        WHEN category = 'Compute' AND lower(service) IN ('functions', 'azure functions') THEN 'Serverless Compute'
        WHEN category = 'Compute' AND lower(service) IN ('azure virtual desktop', 'windows virtual desktop')
            THEN 'End User Computing'
        WHEN category = 'Databases' AND lower(service) IN ('sql database', 'sql managed instance',
             'azure database for mysql', 'azure database for postgresql', 'azure database for mariadb',
             'sql server', 'azure sql database') THEN 'Relational Databases'
        WHEN category = 'Databases' AND lower(service) IN ('azure cosmos db', 'cosmos db') THEN 'NoSQL Databases'
        WHEN category = 'Databases' AND lower(service) IN ('redis cache', 'azure cache for redis') THEN 'Caching'
        WHEN category = 'Databases' AND lower(service) IN ('sql data warehouse', 'azure synapse analytics')
            THEN 'Data Warehouses'
        WHEN category = 'Storage' AND lower(service) IN ('backup') THEN 'Backup Storage'
        WHEN category = 'Storage' AND lower(service) IN ('azure netapp files', 'azure files') THEN 'File Storage'
        WHEN category = 'Storage' AND lower(service) IN ('storage') THEN 'Storage Platforms'
        WHEN category = 'Networking' AND lower(service) IN ('virtual network', 'ip addresses', 'nat gateway',
             'network watcher', 'azure private link') THEN 'Network Infrastructure'
        WHEN category = 'Networking' AND lower(service) IN ('load balancer', 'azure dns', 'traffic manager')
            THEN 'Network Routing'
        WHEN category = 'Networking' AND lower(service) IN ('application gateway') THEN 'Application Networking'
        WHEN category = 'Networking' AND lower(service) IN ('content delivery network', 'azure front door service',
             'azure front door') THEN 'Content Delivery'
        WHEN category = 'Networking' AND lower(service) IN ('vpn gateway', 'expressroute', 'virtual wan',
             'bandwidth') THEN 'Network Connectivity'
        WHEN category = 'Networking' AND lower(service) IN ('azure firewall', 'azure ddos protection',
             'azure firewall manager') THEN 'Network Security'
        WHEN category = 'Security' AND lower(service) IN ('key vault') THEN 'Secret Management'
        WHEN category = 'Security' AND lower(service) IN ('microsoft defender for cloud', 'azure defender',
             'security center') THEN 'Security Posture Management'
        WHEN category = 'Security' AND lower(service) IN ('sentinel', 'microsoft sentinel')
            THEN 'Threat Detection and Response'
        WHEN category = 'Management and Governance' AND lower(service) IN ('log analytics', 'azure monitor',
             'application insights', 'insight and analytics') THEN 'Observability'
        WHEN category = 'Management and Governance' AND lower(service) IN ('azure site recovery')
            THEN 'Disaster Recovery'
        WHEN category = 'Analytics' AND lower(service) IN ('azure databricks', 'hdinsight') THEN 'Analytics Platforms'
        WHEN category = 'Analytics' AND lower(service) IN ('azure data factory v2', 'azure data factory', 'data factory')
            THEN 'Data Processing'
        WHEN category = 'Analytics' AND lower(service) IN ('stream analytics', 'event hubs') THEN 'Streaming Analytics'
        WHEN category = 'Analytics' AND lower(service) IN ('azure cognitive search', 'azure ai search') THEN 'Search'
        WHEN category = 'Analytics' AND lower(service) IN ('power bi embedded', 'power bi') THEN 'Business Intelligence'
        WHEN category = 'Integration' AND lower(service) IN ('service bus', 'event grid', 'event hubs') THEN 'Messaging'
        WHEN category = 'Integration' AND lower(service) IN ('logic apps') THEN 'Workflow Orchestration'
        WHEN category = 'Integration' AND lower(service) IN ('api management') THEN 'API Management'
        WHEN category = 'AI and Machine Learning' AND lower(service) IN ('azure machine learning', 'machine learning')
            THEN 'Machine Learning'
        WHEN category = 'AI and Machine Learning' AND lower(service) IN ('azure openai service', 'azure openai')
            THEN 'Generative AI'
        WHEN category = 'AI and Machine Learning' AND lower(service) IN ('cognitive services', 'azure ai services')
            THEN 'AI Platforms'
        WHEN category = 'Web' AND lower(service) IN ('azure app service', 'app service', 'azure spring apps')
            THEN 'Application Platforms'
        WHEN category = 'Identity' AND lower(service) IN ('azure active directory', 'microsoft entra id',
             'azure active directory b2c') THEN 'Identity and Access Management'
        WHEN category = 'Developer Tools' AND lower(service) IN ('azure devops', 'visual studio subscription')
            THEN 'Developer Platforms'
        WHEN category = 'Internet of Things' AND lower(service) IN ('iot hub', 'iot central') THEN 'IoT Platforms'
        WHEN category IN ('AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute', 'Databases',
             'Developer Tools', 'Identity', 'Integration', 'Internet of Things', 'Management and Governance',
             'Media', 'Migration', 'Mobile', 'Multicloud', 'Networking', 'Security', 'Storage', 'Web')
            THEN 'Other (' || category || ')'
        ELSE 'Other (Other)'
    END;
