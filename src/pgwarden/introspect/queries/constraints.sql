-- Primary keys, uniques, foreign keys and checks. Column lists follow conkey /
-- confkey order (the order the constraint was declared in, not attnum order).
SELECT n.nspname,
       c.relname,
       con.conname,
       con.contype,
       ARRAY(
           SELECT a.attname
           FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ),
       rn.nspname,
       rc.relname,
       ARRAY(
           SELECT a.attname
           FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ),
       con.confdeltype,
       con.confupdtype,
       con.condeferrable,
       con.condeferred,
       CASE WHEN con.contype = 'u' THEN ix.indnullsnotdistinct ELSE false END,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid, true) END
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = con.conindid AND con.contype = 'u'
WHERE n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND con.contype IN ('p', 'u', 'f', 'c')
  -- a constraint a partitioned parent passes down is read on the parent only
  AND con.conparentid = 0
  AND NOT EXISTS (  -- an extension's own objects belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, con.conname
