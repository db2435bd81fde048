-- Untagged cost and why. A row counts as tagged when it carries the tag key $tag_key
-- (any case; '' = any tag at all). Reasons, first match wins:
--   purchase                  a purchase, tax, credit or adjustment (no resource to tag)
--   unused_commitment         the unused part of a reservation / savings plan
--   marketplace               a Marketplace (third-party) charge
--   no_resource               no ResourceId on the row
--   untaggable_resource_type  the resource type takes no tags ($untaggable)
--   resource_gone             the resource is no longer in the inventory ($check_gone), and
--                             its subscription (the /subscriptions/<guid> prefix of ResourceId)
--                             was inventoried (`covered_subs`; $all_subs: every subscription)
--   no_tags                   the resource has no tag at all
--   key_missing               the resource has tags, but not this key
-- <where> holds the scope filters (allow-listed), `live_ids` the caller's inventory's live
-- resource ids (lower case), `covered_subs` the subscriptions it has synced (lower case).
SELECT
    BillingCurrency AS currency,
    CASE
        WHEN ($tag_key = '' AND len(coalesce(x_TagKeys, [])) > 0)
          OR ($tag_key <> '' AND list_contains(coalesce(x_TagKeys, []), $tag_key)) THEN 'tagged'
        WHEN ChargeCategory IS DISTINCT FROM 'Usage' OR ChargeClass = 'Correction' THEN 'purchase'
        WHEN CommitmentDiscountStatus = 'Unused' THEN 'unused_commitment'
        WHEN x_PublisherCategory = 'Vendor' THEN 'marketplace'
        WHEN coalesce(ResourceId, '') = '' THEN 'no_resource'
        WHEN list_contains($untaggable, lower(coalesce(x_ResourceType, ''))) THEN 'untaggable_resource_type'
        WHEN $check_gone
         AND ($all_subs OR regexp_extract(lower(ResourceId), '^/subscriptions/([^/]+)', 1) IN (SELECT id FROM covered_subs))
         AND lower(ResourceId) NOT IN (SELECT id FROM live_ids) THEN 'resource_gone'
        WHEN len(coalesce(x_TagKeys, [])) = 0 THEN 'no_tags'
        ELSE 'key_missing'
    END AS reason,
    count(*) AS rows,
    sum(BilledCost) AS billed,
    sum(EffectiveCost) AS effective
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE {where}
GROUP BY ALL
