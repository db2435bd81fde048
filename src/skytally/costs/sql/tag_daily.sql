-- Pre-aggregate of one period written by the import next to its rows (in the same
-- atomic swap): per currency, charge day, tag key (lower-cased, as x_TagKeys) and tag
-- value, the row count and BilledCost / EffectiveCost sums. tag_key NULL rows hold the
-- totals of all rows of the day, so "rows without the key" = total - tagged.
-- The value of a key is the one the detail query reads:
-- map_values(Tags)[list_position(x_TagKeys, key)] (first spelling of a key wins).
-- tag_sets: the period's rows summed per currency, day and tag set (tag_sets.sql, or
-- tally.py while the rows stream; a tag set may appear more than once, the sums add
-- up), so the tag lists are split once per set, not once per row.
SELECT
    currency,
    day,
    k AS tag_key,
    CASE WHEN k IS NOT NULL THEN map_values(Tags)[list_position(x_TagKeys, k)] END AS tag_value,
    CAST(sum(rows) AS BIGINT) AS rows,
    sum(billed) AS billed,
    sum(effective) AS effective
FROM (
    SELECT currency, day, Tags, x_TagKeys, rows, billed, effective,
           unnest(list_concat([NULL::VARCHAR], list_distinct(coalesce(x_TagKeys, [])))) AS k
    FROM tag_sets
)
GROUP BY ALL
