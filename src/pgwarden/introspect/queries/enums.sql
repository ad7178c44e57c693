-- Every enum of the namespace with its labels in declaration (sort) order.
SELECT t.typname AS name,
       array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels,
       obj_description(t.oid, 'pg_type') AS comment
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
WHERE n.nspname = %(schema)s AND t.typtype = 'e'
GROUP BY t.oid, t.typname
ORDER BY t.typname
