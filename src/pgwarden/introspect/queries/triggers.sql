-- Triggers with the function they call and their timing/event bits
-- (tgtype: 1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate, 64 instead)
-- and arguments (tgargs: the tgnargs arguments, each NUL-terminated); the UPDATE OF
-- columns in tgattr order, the transition tables, whether it is a constraint
-- trigger, its comment, and pg_get_triggerdef's text (for the WHEN condition).
-- Triggers on views are read too, to be listed as unmanaged.
SELECT n.nspname,
       c.relname,
       tg.tgname,
       p.proname,
       pn.nspname,
       tg.tgtype::int,
       tg.tgenabled,
       tg.tgnargs,
       tg.tgargs,
       c.relkind,
       ARRAY(
           SELECT a.attname
           FROM unnest(tg.tgattr) WITH ORDINALITY AS k(attnum, i)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = tg.tgrelid AND a.attnum = k.attnum
           ORDER BY k.i
       ),
       tg.tgoldtable,
       tg.tgnewtable,
       tg.tgconstraint <> 0,
       obj_description(tg.oid, 'pg_trigger'),
       CASE WHEN tg.tgqual IS NOT NULL THEN pg_get_triggerdef(tg.oid, true) END
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE n.nspname = ANY(%(schemas)s) AND NOT tg.tgisinternal
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
  AND NOT EXISTS (  -- an extension's own objects belong to the extension
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, tg.tgname
