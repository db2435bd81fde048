-- totals.sql for "group by one tag key (x date)" answered from the per-period
-- pre-aggregates (tag_daily.sql) instead of the rows: same columns and the same sums to
-- the last digit. <date> buckets `day`; <where> filters day and currency. Values bound:
-- $agg_files, $tag_key, and the parameters named in <where>.
WITH agg AS (
    SELECT currency, {date} AS date, tag_key, tag_value, rows, billed, effective
    FROM read_parquet($agg_files)
    WHERE (tag_key IS NULL OR tag_key = $tag_key) AND {where}
),
valued AS (
    SELECT currency, tag_value AS d0, date, sum(billed) AS billed, sum(effective) AS effective
    FROM agg
    WHERE tag_key IS NOT NULL AND tag_value IS NOT NULL
    GROUP BY ALL
),
rest AS (
    -- rows without the key (or with a null value): all rows minus the valued ones
    SELECT currency, CAST(NULL AS VARCHAR) AS d0, date,
           sum(CASE WHEN tag_key IS NULL THEN rows ELSE -rows END) AS n,
           sum(CASE WHEN tag_key IS NULL THEN billed ELSE -billed END) AS billed,
           sum(CASE WHEN tag_key IS NULL THEN effective ELSE -effective END) AS effective
    FROM agg
    WHERE tag_key IS NULL OR tag_value IS NOT NULL
    GROUP BY ALL
)
SELECT currency, d0, date, billed, effective FROM valued
UNION ALL
SELECT currency, d0, date, billed, effective FROM rest WHERE n > 0
