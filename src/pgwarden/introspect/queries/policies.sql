-- Row-level-security policies. polroles holds 0 for PUBLIC.
SELECT n.nspname,
       c.relname,
       pol.polname,
       pol.polcmd,
       pol.polpermissive,
       ARRAY(
           SELECT CASE WHEN r.oid = 0 THEN 'public' ELSE rol.rolname END
           FROM unnest(pol.polroles) WITH ORDINALITY AS r(oid, ord)
           LEFT JOIN pg_catalog.pg_roles rol ON rol.oid = r.oid
           ORDER BY r.ord
       ),
       pg_get_expr(pol.polqual, pol.polrelid, true),
       pg_get_expr(pol.polwithcheck, pol.polrelid, true)
FROM pg_catalog.pg_policy pol
JOIN pg_catalog.pg_class c ON c.oid = pol.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT EXISTS (  -- an extension's own objects belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, pol.polname
