-- Partitioned tables: the partition key (pg_get_partkeydef) and one row per
-- partition (NULL partition fields for a parent without any) with its bound
-- (pg_get_expr of relpartbound: FOR VALUES ... or DEFAULT), comment, and whether
-- it is itself partitioned (not modelled: reported).
SELECT n.nspname,
       c.relname,
       pg_get_partkeydef(c.oid),
       pc.relname,
       pg_get_expr(pc.relpartbound, pc.oid, true),
       obj_description(pc.oid, 'pg_class'),
       pc.relkind = 'p',
       pn.nspname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhparent = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = inh.inhrelid AND pc.relispartition
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind = 'p' AND NOT c.relispartition
  AND NOT EXISTS (  -- an extension's own objects belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, pc.relname
