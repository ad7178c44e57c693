-- User triggers with the function they call and their timing/event bits
-- (tgtype: 1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate) and arguments
-- (tgargs: the tgnargs arguments, each NUL-terminated).
SELECT c.relname AS table_name,
       tg.tgname AS name,
       p.proname AS function_name,
       pn.nspname AS function_schema,
       tg.tgtype::int AS tgtype,
       tg.tgenabled AS enabled,
       tg.tgnargs AS nargs,
       tg.tgargs AS args
FROM pg_catalog.pg_trigger tg
JOIN pg_catalog.pg_class c ON c.oid = tg.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = tg.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE n.nspname = %(schema)s AND NOT tg.tgisinternal
  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, tg.tgname
