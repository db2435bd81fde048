-- Pre-aggregate of one period written by the import next to its rows (in the same
-- atomic swap): per currency, charge day, tag key (lower-cased, as x_TagKeys) and tag
-- value, the row count and BilledCost / EffectiveCost sums. tag_key NULL rows hold the
-- totals of all rows of the day, so "rows without the key" = total - tagged.
-- The value of a key is the one the detail query reads:
-- map_values(Tags)[list_position(x_TagKeys, key)] (first spelling of a key wins).
-- $files: the period's Parquet files.
SELECT
    BillingCurrency AS currency,
    CAST(date_trunc('day', ChargePeriodStart) AS DATE) AS day,
    k AS tag_key,
    CASE WHEN k IS NOT NULL THEN map_values(Tags)[list_position(x_TagKeys, k)] END AS tag_value,
    count(*) AS rows,
    sum(BilledCost) AS billed,
    sum(EffectiveCost) AS effective
FROM (
    SELECT BillingCurrency, ChargePeriodStart, Tags, x_TagKeys, BilledCost, EffectiveCost,
           unnest(list_concat([NULL::VARCHAR], list_distinct(coalesce(x_TagKeys, [])))) AS k
    FROM read_parquet($files)
)
GROUP BY ALL
