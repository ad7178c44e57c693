"""SQL of the audit ops (registered in :mod:`pgwarden.render.sql`'s registry).

The row function is SECURITY DEFINER with a fixed ``search_path``, so the
application role needs no INSERT on the log, and it qualifies the log with
the audited table's own namespace (``TG_TABLE_SCHEMA``): one rendering works
in any namespace, as the rest of the DDL does.
"""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.audit import (
    CreateAuditLog,
    CreateAuditTrigger,
    DropAuditLog,
    DropAuditTrigger,
)
from pgwarden.render.sql import Statement, relation, renders
from pgwarden.spec import audit

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def _stmt(template: str, *args: sql.Composable) -> Statement:
    return Statement(S(template).format(*args))


#: Columns of the log. ``actor`` is the application user the session declared
#: (``SET app.user_id``); ``xact`` groups the rows one transaction wrote.
_LOG_COLUMNS = """(
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "at" timestamptz NOT NULL DEFAULT now(),
  "actor" text DEFAULT nullif(current_setting('app.user_id', true), ''),
  "xact" xid8 NOT NULL DEFAULT pg_current_xact_id(),
  "table_name" text NOT NULL,
  "op" text NOT NULL,
  "row_key" jsonb NOT NULL DEFAULT '{{}}',
  "changed" text[] NOT NULL DEFAULT '{{}}',
  "before" jsonb,
  "after" jsonb
)"""

# The trigger arguments are "key:<column>" and "redact:<column>" (see pgwarden.spec.audit).
# UPDATE records only the columns whose value changed (an UPDATE that changes
# nothing records nothing); INSERT and DELETE record the whole row. A redacted
# column is named in "changed" but its value is removed before anything is stored.
_ROW_BODY = """DECLARE
  old_row jsonb;
  new_row jsonb;
  cols text[];
  changed text[];
  keys text[] := '{}';
  hidden text[] := '{}';
  row_key jsonb;
  arg text;
BEGIN
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    arg := TG_ARGV[i];
    IF starts_with(arg, 'key:') THEN
      keys := keys || substr(arg, 5);
    ELSIF starts_with(arg, 'redact:') THEN
      hidden := hidden || substr(arg, 8);
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN
    old_row := to_jsonb(OLD);
    cols := ARRAY(SELECT json_object_keys(to_json(OLD)));
  ELSE
    new_row := to_jsonb(NEW);
    cols := ARRAY(SELECT json_object_keys(to_json(NEW)));
    IF TG_OP = 'UPDATE' THEN
      old_row := to_jsonb(OLD);
    END IF;
  END IF;
  row_key := coalesce(
    (SELECT jsonb_object_agg(k, coalesce(new_row, old_row) -> k)
       FROM unnest(keys) AS k WHERE k <> ALL (hidden)),
    '{}');
  IF TG_OP = 'UPDATE' THEN
    changed := ARRAY(
      SELECT c FROM unnest(cols) WITH ORDINALITY AS u(c, n)
      WHERE (old_row -> c) IS DISTINCT FROM (new_row -> c) ORDER BY n);
    IF cardinality(changed) = 0 THEN
      RETURN NULL;
    END IF;
    old_row := coalesce(
      (SELECT jsonb_object_agg(c, old_row -> c) FROM unnest(changed) AS c WHERE c <> ALL (hidden)),
      '{}');
    new_row := coalesce(
      (SELECT jsonb_object_agg(c, new_row -> c) FROM unnest(changed) AS c WHERE c <> ALL (hidden)),
      '{}');
  ELSE
    changed := cols;
    old_row := old_row - hidden;
    new_row := new_row - hidden;
  END IF;
  EXECUTE format(
    'INSERT INTO %I.%I (table_name, op, row_key, changed, before, after)'
    ' VALUES ($1, $2, $3, $4, $5, $6)', TG_TABLE_SCHEMA, {log})
  USING TG_TABLE_NAME::text, lower(TG_OP), row_key, changed, old_row, new_row;
  RETURN NULL;
END"""

_GUARD_BODY = """BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege',
          HINT = 'audit rows are never changed or removed; see docs/audit.md (retention)';
END"""


def _row_body() -> str:
    return _ROW_BODY.replace("{log}", L(audit.LOG_TABLE).as_string(None))


@renders(CreateAuditLog)
def _create_log(op: CreateAuditLog) -> list[Statement]:
    log = I(audit.LOG_TABLE)
    guard = I(audit.GUARD_FUNCTION)
    return [
        _stmt("CREATE TABLE {} " + _LOG_COLUMNS, log),
        _stmt(
            "CREATE INDEX {} ON {} ({}, {})",
            I(audit.LOG_INDEX),
            log,
            I("table_name"),
            I("row_key"),
        ),
        _stmt(
            "COMMENT ON TABLE {} IS {}",
            log,
            L("pgwarden audit log: one row per change to an audited table (append-only)"),
        ),
        _stmt("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}", guard, L(_GUARD_BODY)),
        _stmt(
            "CREATE TRIGGER {} BEFORE UPDATE OR DELETE OR TRUNCATE ON {}"
            " FOR EACH STATEMENT EXECUTE FUNCTION {}()",
            I(audit.GUARD_TRIGGER),
            log,
            guard,
        ),
        _stmt("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM PUBLIC", log),
        _stmt(
            "CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER"
            " SET search_path = pg_catalog, pg_temp AS {}",
            I(audit.ROW_FUNCTION),
            L(_row_body()),
        ),
        # it runs with its owner's rights: nobody else may attach it to a table of
        # theirs to write into the log (firing an existing trigger needs no EXECUTE)
        _stmt("REVOKE EXECUTE ON FUNCTION {}() FROM PUBLIC", I(audit.ROW_FUNCTION)),
    ]


@renders(DropAuditLog)
def _drop_log(op: DropAuditLog) -> list[Statement]:
    return [
        _stmt("DROP FUNCTION {}()", I(audit.ROW_FUNCTION)),
        # the table's triggers go with it; then its guard function
        _stmt("DROP TABLE {}", I(audit.LOG_TABLE)),
        _stmt("DROP FUNCTION {}()", I(audit.GUARD_FUNCTION)),
    ]


@renders(CreateAuditTrigger)
def _create_trigger(op: CreateAuditTrigger) -> list[Statement]:
    args = S(", ").join([L(a) for a in op.args])
    return [
        _stmt(
            "CREATE TRIGGER {} AFTER INSERT OR UPDATE OR DELETE ON {}"
            " FOR EACH ROW EXECUTE FUNCTION {}({})",
            I(op.name),
            relation(op.table),
            I(audit.ROW_FUNCTION),
            args,
        )
    ]


@renders(DropAuditTrigger)
def _drop_trigger(op: DropAuditTrigger) -> list[Statement]:
    return [_stmt("DROP TRIGGER {} ON {}", I(op.name), relation(op.table))]
