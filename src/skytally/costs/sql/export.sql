-- FOCUS export of a scope: the FOCUS 1.2 columns (<columns>, with Tags as JSON text as
-- FOCUS specifies), filtered by <where>; $files is the scope's file list.
SELECT {columns}
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE {where}
