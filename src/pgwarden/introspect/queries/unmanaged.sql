-- What the inspected database holds that the model does not govern, one row per
-- (kind, name, detail): the other namespaces (with how many relations and
-- functions they hold), the objects each extension owns (pg_depend 'e'), foreign
-- tables and rewrite rules of the inspected namespaces.
SELECT 'schema',
       n.nspname,
       (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid
            AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))
       || ' relations, '
       || (SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid)
       || ' functions'
FROM pg_catalog.pg_namespace n
WHERE n.nspname <> ALL(%(schemas)s)
  AND n.nspname NOT LIKE 'pg\_%%' AND n.nspname <> 'information_schema'
  AND NOT EXISTS (  -- a namespace an extension made (CREATE EXTENSION ... SCHEMA)
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_namespace'::regclass AND d.objid = n.oid
        AND d.deptype = 'e'
  )
UNION ALL
SELECT 'extension',
       e.extname,
       count(*) || ' objects of its own (functions, types, operators, ...)'
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_depend d ON d.refclassid = 'pg_catalog.pg_extension'::regclass
     AND d.refobjid = e.oid AND d.deptype = 'e'
WHERE e.extname <> 'plpgsql'
GROUP BY e.extname
UNION ALL
SELECT 'foreign table',
       CASE WHEN n.nspname = %(default)s THEN '' ELSE n.nspname || '.' END || c.relname,
       'foreign tables are not modelled'
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind = 'f'
UNION ALL
SELECT 'rule',
       CASE WHEN n.nspname = %(default)s THEN '' ELSE n.nspname || '.' END
       || c.relname || '.' || r.rulename,
       'rewrite rules are not modelled'
FROM pg_catalog.pg_rewrite r
JOIN pg_catalog.pg_class c ON c.oid = r.ev_class
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s) AND r.rulename <> '_RETURN'
ORDER BY 1, 2
