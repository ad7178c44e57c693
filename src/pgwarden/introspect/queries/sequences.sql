-- Sequences with their type and numbers (pg_sequence), comment, and the column
-- that owns them: an identity column ('i' dependency), a serial or OWNED BY
-- column ('a'), with whether that column's default calls nextval on it (serial).
SELECT n.nspname,
       c.relname,
       format_type(s.seqtypid, NULL),
       s.seqstart,
       s.seqincrement,
       s.seqmin,
       s.seqmax,
       s.seqcache,
       s.seqcycle,
       obj_description(c.oid, 'pg_class'),
       d.deptype,
       tn.nspname,
       t.relname,
       a.attname,
       EXISTS (
           SELECT 1
           FROM pg_catalog.pg_attrdef ad
           JOIN pg_catalog.pg_depend dd ON dd.classid = 'pg_catalog.pg_attrdef'::regclass
                AND dd.objid = ad.oid
                AND dd.refclassid = 'pg_catalog.pg_class'::regclass
                AND dd.refobjid = c.oid
           WHERE ad.adrelid = t.oid AND ad.adnum = a.attnum
       )
FROM pg_catalog.pg_sequence s
JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::regclass
     AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::regclass
     AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
LEFT JOIN pg_catalog.pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE n.nspname = ANY(%(schemas)s)
  AND NOT EXISTS (  -- an extension's own sequences belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend e
      WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'
  )
ORDER BY n.nspname, c.relname
