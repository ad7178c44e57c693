-- Functions and procedures (prokind 'f', 'p'; aggregates and window functions are
-- not modelled) with Postgres's own text for the arguments and the result, the
-- body as stored (prosrc: exactly as written), the options, the SET clauses
-- (proconfig, "name=value") and the comment. An extension's own functions belong
-- to the extension. prosqlbody: a BEGIN ATOMIC body, which the model does not keep.
SELECT n.nspname,
       p.proname,
       p.prokind,
       l.lanname,
       pg_get_function_arguments(p.oid),
       pg_get_function_result(p.oid),
       p.prosrc,
       p.provolatile,
       p.proisstrict,
       p.prosecdef,
       p.proparallel,
       p.proleakproof,
       coalesce(p.proconfig, '{}'),
       obj_description(p.oid, 'pg_proc'),
       p.prosqlbody IS NOT NULL,
       pg_get_function_identity_arguments(p.oid)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (  -- an extension's own functions belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
