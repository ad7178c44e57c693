-- Tables and their columns, one row per column (a table without columns gives one
-- row with NULL column fields). Comments, defaults, identity, generated
-- expressions and serial detection come along, so no per-table query is needed.
SELECT c.relname AS table_name,
       c.relrowsecurity AS rls_enabled,
       c.relforcerowsecurity AS rls_forced,
       obj_description(c.oid, 'pg_class') AS table_comment,
       a.attnum AS attnum,
       a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS formatted_type,
       -- enums of this namespace are read by bare name; others print qualified
       CASE WHEN t.typnamespace = c.relnamespace THEN t.typtype END AS typtype,
       t.typname AS typname,
       CASE WHEN et.typnamespace = c.relnamespace THEN et.typtype END AS elem_typtype,
       et.typname AS elem_typname,
       a.attnotnull AS not_null,
       a.attidentity AS identity,
       a.attgenerated AS generated,
       pg_get_expr(ad.adbin, ad.adrelid, true) AS default_expr,
       col_description(c.oid, a.attnum) AS column_comment,
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
       ) AND pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%%' AS is_serial
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
