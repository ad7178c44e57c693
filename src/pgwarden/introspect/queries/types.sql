-- Domains (one row each, attribute fields NULL) and composite types (one row per
-- attribute, in attnum order). The type of a row is the domain's base type or the
-- attribute's type, read as the tables query reads column types: namespace, name
-- and typtype of the element for an array, plus format_type's text. Domain checks
-- come as two parallel arrays (name, pg_get_expr text), sorted by name.
SELECT n.nspname,
       t.typname,
       t.typtype,
       obj_description(t.oid, 'pg_type'),
       a.attname,
       format_type(coalesce(a.atttypid, t.typbasetype), coalesce(a.atttypmod, t.typtypmod)),
       bn.nspname,
       bt.typname,
       bt.typtype,
       et.typcategory = 'A' AND et.typelem <> 0,
       -- a collation other than the type's own
       CASE WHEN coalesce(a.attcollation, t.typcollation) NOT IN (0, bt.typcollation) THEN
           CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname
                ELSE cn.nspname || '.' || co.collname END
       END,
       t.typnotnull,
       pg_get_expr(t.typdefaultbin, 0, true),
       ARRAY(SELECT con.conname FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname),
       ARRAY(SELECT pg_get_expr(con.conbin, 0, true) FROM pg_catalog.pg_constraint con
             WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname)
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_class r ON r.oid = t.typrelid
LEFT JOIN pg_catalog.pg_attribute a
       ON t.typtype = 'c' AND a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
-- the row's type: an attribute's, or the domain's base type
JOIN pg_catalog.pg_type et ON et.oid = coalesce(a.atttypid, t.typbasetype)
-- the element type of an array, else the type itself
JOIN pg_catalog.pg_type bt
  ON bt.oid = CASE WHEN et.typcategory = 'A' AND et.typelem <> 0 THEN et.typelem ELSE et.oid END
JOIN pg_catalog.pg_namespace bn ON bn.oid = bt.typnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = coalesce(a.attcollation, t.typcollation)
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE n.nspname = ANY(%(schemas)s)
  AND (t.typtype = 'd' OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND NOT EXISTS (  -- an extension's own types belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.deptype = 'e'
        AND ((d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid)
          OR (d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = t.typrelid))
  )
ORDER BY n.nspname, t.typname, a.attnum
