-- Totals per currency and group. Placeholders filled by query.py from allow-listed
-- parts only: <dims> (grouping expressions, aliased d0..dN), <date> (period bucket or
-- NULL), <where> (filters). Values are bound: $files, $start, $end and the filter/tag
-- parameters named in <where> / <dims>.
WITH base AS (
    SELECT
        BillingCurrency AS currency,
        {dims}
        {date} AS date,
        sum(BilledCost) AS billed,
        sum(EffectiveCost) AS effective
    FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
    WHERE {where}
    GROUP BY ALL
)
SELECT * FROM base
