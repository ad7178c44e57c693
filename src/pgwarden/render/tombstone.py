"""SQL of the tombstone-guard ops (registered in :mod:`pgwarden.render.sql`'s registry)."""

from __future__ import annotations

from psycopg import sql

from pgwarden.planner.tombstone import CreateTombstoneGuard, DropTombstoneGuard
from pgwarden.render.sql import Statement, relation, renders

I = sql.Identifier  # noqa: E741 - short alias keeps the templates readable
S = sql.SQL
L = sql.Literal


def _body(op: CreateTombstoneGuard) -> str:
    g = op.guard
    col = I(g.column).as_string(None)
    key = I(g.key).as_string(None)
    flag = I(g.flag).as_string(None)
    owner = relation(g.owner).as_string(None)
    owner_name, table_name = g.owner.replace("%", "%%"), g.table.replace("%", "%%")
    message = L(f"{owner_name} % is deleted (a tombstone): no new {table_name} row may refer to it")
    hint = L(f"create the row for an active {g.owner}")
    # FOR KEY SHARE waits for a deletion that holds the owner row (FOR UPDATE) and
    # then reads the row as that deletion left it: no writer slips in between.
    return (
        "DECLARE\n  tombstoned boolean;\nBEGIN\n"
        f"  IF NEW.{col} IS NULL OR (TG_OP = 'UPDATE' AND NEW.{col} IS NOT DISTINCT FROM "
        f"OLD.{col}) THEN\n    RETURN NEW;\n  END IF;\n"
        f"  SELECT {flag} IS NOT NULL INTO tombstoned FROM {owner} WHERE {key} = NEW.{col} "
        "FOR KEY SHARE;\n"
        "  IF tombstoned THEN\n"
        f"    RAISE EXCEPTION {message.as_string(None)}, NEW.{col}\n"
        f"      USING ERRCODE = 'foreign_key_violation', HINT = {hint.as_string(None)};\n"
        "  END IF;\n  RETURN NEW;\nEND"
    )


@renders(CreateTombstoneGuard)
def _create_guard(op: CreateTombstoneGuard) -> list[Statement]:
    g = op.guard
    return [
        Statement(
            S("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}").format(
                I(g.name), L(_body(op))
            )
        ),
        Statement(
            S(
                "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OF {} ON {} FOR EACH ROW "
                "EXECUTE FUNCTION {}({}, {})"
            ).format(I(g.name), I(g.column), relation(g.table), I(g.name), L(g.owner), L(g.flag))
        ),
    ]


@renders(DropTombstoneGuard)
def _drop_guard(op: DropTombstoneGuard) -> list[Statement]:
    g = op.guard
    return [
        Statement(S("DROP TRIGGER {} ON {}").format(I(g.name), relation(g.table))),
        Statement(S("DROP FUNCTION {}()").format(I(g.name))),
    ]
