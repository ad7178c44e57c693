-- The inspected namespaces that exist, with their comments.
SELECT n.nspname,
       obj_description(n.oid, 'pg_namespace')
FROM pg_catalog.pg_namespace n
WHERE n.nspname = ANY(%(schemas)s)
ORDER BY n.nspname
