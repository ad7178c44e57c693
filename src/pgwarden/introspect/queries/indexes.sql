-- Indexes that do not back a primary key, unique or exclusion constraint (those
-- are read as constraints). Keys come one per element: a column name, or an
-- expression in Postgres's text (pg_get_indexdef with a column number); the
-- full definition is returned too, to read non-default operator classes.
SELECT c.relname AS table_name,
       i.relname AS name,
       am.amname AS method,
       ix.indisunique AS is_unique,
       ix.indnullsnotdistinct AS nulls_not_distinct,
       ix.indnkeyatts AS key_count,
       ARRAY(
           SELECT CASE WHEN k.attnum = 0 THEN NULL ELSE a.attname END
           FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_catalog.pg_attribute a
                  ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ) AS key_columns,
       ARRAY(
           SELECT pg_get_indexdef(ix.indexrelid, k.ord::int, true)
           FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           ORDER BY k.ord
       ) AS key_texts,
       ix.indoption::int2[] AS options,
       pg_get_expr(ix.indpred, ix.indrelid, true) AS predicate,
       pg_get_indexdef(ix.indexrelid) AS definition
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
WHERE n.nspname = %(schema)s
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_constraint con
      WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
        AND con.contype IN ('p', 'u', 'x')
  )
ORDER BY c.relname, i.relname
