-- Top N groups per currency by the chosen metric over the whole range; the rest is
-- folded into one "Other" group. <inner> is totals.sql; <group_cols> d0..dN; <other_cols>
-- the same columns replaced by 'Other' beyond rank $top; <metric> billed|effective.
WITH base AS ({inner}),
ranked AS (
    SELECT *, sum({metric}) OVER (PARTITION BY currency, {group_cols}) AS group_total
    FROM base
),
numbered AS (
    SELECT *, dense_rank() OVER (
        PARTITION BY currency ORDER BY group_total DESC, {group_cols_nulls_last}
    ) AS rank
    FROM ranked
)
SELECT currency, {other_cols}, date, sum(billed) AS billed, sum(effective) AS effective
FROM numbered
GROUP BY ALL
