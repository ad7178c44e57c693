-- Every enum of the namespaces with its labels in declaration (sort) order.
SELECT n.nspname,
       t.typname,
       array_agg(e.enumlabel ORDER BY e.enumsortorder),
       obj_description(t.oid, 'pg_type')
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = ANY(%(schemas)s) AND t.typtype = 'e'
  AND NOT EXISTS (  -- an extension's own types belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
  )
GROUP BY n.nspname, t.oid, t.typname
ORDER BY n.nspname, t.typname
