-- Indexes that do not back a primary key or unique constraint (those are read as
-- constraints), one row per index with one array element per key; an index
-- behind an exclusion constraint comes with the constraint's operators.
-- Keys are a column name or, for an expression (attnum 0), Postgres's text
-- for it (pg_get_indexdef with a column number: only those keys are deparsed).
-- Operator classes and collations come from indclass / indcollation and are
-- NULL where they are the key type's default, as pg_get_indexdef decides:
-- the default operator class of the type (a domain: of its base type) for the
-- method, or, when the type has none, a default class of a type it is
-- binary-coercible to (varchar under text_ops, an array under array_ops).
SELECT n.nspname,
       c.relname,
       i.relname,
       am.amname,
       ix.indisunique,
       ix.indnullsnotdistinct,
       ix.indnkeyatts,
       ARRAY(
           SELECT a.attname
           FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           LEFT JOIN pg_catalog.pg_attribute a
                  ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
           ORDER BY k.ord
       ),
       ARRAY(
           SELECT CASE WHEN k.attnum = 0
                       THEN pg_get_indexdef(ix.indexrelid, k.ord::int, true) END
           FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
           ORDER BY k.ord
       ),
       ARRAY(
           SELECT CASE
                      WHEN oc.opcdefault AND (
                          oc.opcintype = kt.base
                          OR NOT EXISTS (
                              SELECT 1 FROM pg_catalog.pg_opclass d
                              WHERE d.opcmethod = oc.opcmethod AND d.opcdefault
                                AND d.opcintype = kt.base
                          )
                      ) THEN NULL
                      WHEN ocn.nspname IN ('pg_catalog', %(default)s) THEN oc.opcname
                      ELSE ocn.nspname || '.' || oc.opcname
                  END
           FROM unnest(ix.indclass::oid[], ix.indkey::int2[]) WITH ORDINALITY AS k(opc, attnum, ord)
           JOIN pg_catalog.pg_opclass oc ON oc.oid = k.opc
           JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
           -- the key's type: the table column's, or the index column's for an
           -- expression (the expression's type unless the class stores another)
           JOIN pg_catalog.pg_attribute ka
                ON (k.attnum <> 0 AND ka.attrelid = ix.indrelid AND ka.attnum = k.attnum)
                OR (k.attnum = 0 AND ka.attrelid = ix.indexrelid AND ka.attnum = k.ord)
           JOIN pg_catalog.pg_type kty ON kty.oid = ka.atttypid
           CROSS JOIN LATERAL (
               SELECT CASE WHEN kty.typtype = 'd' THEN kty.typbasetype ELSE kty.oid END AS base
           ) kt
           ORDER BY k.ord
       ),
       ARRAY(
           SELECT CASE
                      WHEN k.coll = 0 THEN NULL
                      WHEN k.coll = coalesce(
                          (SELECT a.attcollation FROM pg_catalog.pg_attribute a
                           WHERE k.attnum <> 0 AND a.attrelid = ix.indrelid
                             AND a.attnum = k.attnum),
                          100  -- an expression key: the default collation
                      ) THEN NULL
                      WHEN con.nspname = 'pg_catalog' THEN co.collname
                      ELSE con.nspname || '.' || co.collname
                  END
           FROM unnest(ix.indcollation::oid[], ix.indkey::int2[]) WITH ORDINALITY
                AS k(coll, attnum, ord)
           LEFT JOIN pg_catalog.pg_collation co ON co.oid = k.coll
           LEFT JOIN pg_catalog.pg_namespace con ON con.oid = co.collnamespace
           ORDER BY k.ord
       ),
       ix.indoption::int2[],
       pg_get_expr(ix.indpred, ix.indrelid, true),
       ARRAY(
           SELECT CASE WHEN opn.nspname IN ('pg_catalog', %(default)s) THEN op.oprname
                       ELSE opn.nspname || '.' || op.oprname END
           FROM unnest(x.conexclop) WITH ORDINALITY AS k(opr, ord)
           JOIN pg_catalog.pg_operator op ON op.oid = k.opr
           JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
           ORDER BY k.ord
       ),
       x.condeferrable,
       x.condeferred
FROM pg_catalog.pg_index ix
JOIN pg_catalog.pg_class i ON i.oid = ix.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = ix.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = i.relam
LEFT JOIN pg_catalog.pg_constraint x
       ON x.conindid = ix.indexrelid AND x.conrelid = ix.indrelid AND x.contype = 'x'
WHERE n.nspname = ANY(%(schemas)s)
  AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_constraint con
      WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid
        AND con.contype IN ('p', 'u')
  )
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_depend d
      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
  )
ORDER BY n.nspname, c.relname, i.relname
