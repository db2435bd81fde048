-- First stage of a period's tag pre-aggregate (tag_daily.sql), from the period's stored
-- rows: per currency, charge day and distinct tag set, the row count and BilledCost /
-- EffectiveCost sums. The fast reader computes the same sums while its rows stream
-- (tally.py) and does not run this; the exact reader and rows set aside by pairing do.
-- $files: the Parquet files.
SELECT BillingCurrency AS currency,
       CAST(date_trunc('day', ChargePeriodStart) AS DATE) AS day,
       Tags, x_TagKeys,
       count(*) AS rows, sum(BilledCost) AS billed, sum(EffectiveCost) AS effective
FROM read_parquet($files)
GROUP BY ALL
