-- Tables, views and materialized views with their columns, one row per column (a
-- table without columns gives one row with NULL column fields). Comments, defaults, identity, generated
-- expressions, collations and serial detection come along, so no per-table query
-- is needed. Types come as their namespace, name and typtype (of the element for
-- an array) plus format_type's text, which carries the modifiers.
SELECT n.nspname,
       c.relname,
       c.relkind,
       c.relrowsecurity,
       c.relforcerowsecurity,
       obj_description(c.oid, 'pg_class'),
       a.attname,
       format_type(a.atttypid, a.atttypmod),
       tn.nspname,
       bt.typname,
       bt.typtype,
       t.typcategory = 'A' AND t.typelem <> 0,
       a.attnotnull,
       a.attidentity,
       a.attgenerated,
       pg_get_expr(ad.adbin, ad.adrelid, true),
       col_description(c.oid, a.attnum),
       -- a collation other than the type's own
       CASE WHEN a.attcollation <> bt.typcollation AND a.attcollation <> 0 THEN
           CASE WHEN cn.nspname = 'pg_catalog' THEN co.collname
                ELSE cn.nspname || '.' || co.collname END
       END,
       -- serial: the default calls nextval on a sequence OWNED BY this column
       -- (auto dependency 'a'; identity sequences use 'i' instead)
       EXISTS (
           SELECT 1
           FROM pg_catalog.pg_depend own
           JOIN pg_catalog.pg_class s ON s.oid = own.objid AND s.relkind = 'S'
           JOIN pg_catalog.pg_depend dflt ON dflt.classid = 'pg_catalog.pg_attrdef'::regclass
                AND dflt.objid = ad.oid
                AND dflt.refclassid = 'pg_catalog.pg_class'::regclass
                AND dflt.refobjid = s.oid
           WHERE own.classid = 'pg_catalog.pg_class'::regclass
             AND own.refclassid = 'pg_catalog.pg_class'::regclass
             AND own.refobjid = c.oid
             AND own.refobjsubid = a.attnum
             AND own.deptype = 'a'
       ) AND pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%%'
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
-- the element type of an array, else the type itself
LEFT JOIN pg_catalog.pg_type bt
       ON bt.oid = CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = bt.typnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
  AND NOT EXISTS (  -- an extension's own objects belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, a.attnum
