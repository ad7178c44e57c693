-- Views and materialized views: the query in Postgres's own text
-- (pg_get_viewdef, pretty), comment, options (security_barrier, security_invoker,
-- check_option) and whether a materialized view holds data. Columns come with
-- the tables query.
SELECT n.nspname,
       c.relname,
       c.relkind = 'm',
       pg_get_viewdef(c.oid, true),
       obj_description(c.oid, 'pg_class'),
       coalesce(c.reloptions, '{}'),
       c.relispopulated
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('v', 'm')
  AND NOT EXISTS (  -- an extension's own views belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname
