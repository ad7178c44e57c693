-- The database's extensions (they belong to the database, not to a namespace),
-- with the namespace their objects live in and the installed version. plpgsql is
-- part of every database and not listed.
SELECT e.extname,
       n.nspname,
       e.extversion
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY e.extname
