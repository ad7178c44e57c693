-- Primary keys, uniques, foreign keys and checks. Column lists follow conkey /
-- confkey order (the order the constraint was declared in, not attnum order).
SELECT c.relname AS table_name,
       con.conname AS name,
       con.contype AS kind,
       ARRAY(
           SELECT a.attname
           FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ) AS columns,
       rc.relname AS ref_table,
       rn.nspname AS ref_schema,
       ARRAY(
           SELECT a.attname
           FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ) AS ref_columns,
       con.confdeltype AS on_delete,
       con.confupdtype AS on_update,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       CASE WHEN con.contype = 'u' THEN ix.indnullsnotdistinct ELSE false END
           AS nulls_not_distinct,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END
           AS check_expr
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = con.conindid AND con.contype = 'u'
WHERE n.nspname = %(schema)s
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND con.contype IN ('p', 'u', 'f', 'c')
ORDER BY c.relname, con.conname
