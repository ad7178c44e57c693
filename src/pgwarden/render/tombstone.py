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
    lock = f"  SELECT {flag} IS NOT NULL INTO tombstoned FROM {owner} WHERE {key} = NEW.{col} "
    # FOR KEY SHARE waits for a deletion that holds the owner row (FOR UPDATE) and
    # then reads the row as that deletion left it: no writer slips in between.
    refuse = (
        "  IF tombstoned THEN\n"
        f"    RAISE EXCEPTION {message.as_string(None)}, NEW.{col}\n"
        f"      USING ERRCODE = 'foreign_key_violation', HINT = {hint.as_string(None)};\n"
        "  END IF;\n  RETURN NEW;\nEND"
    )
    same = f"TG_OP = 'UPDATE' AND NEW.{col} IS NOT DISTINCT FROM OLD.{col}"
    if g.soft_delete is None:
        return (
            "DECLARE\n  tombstoned boolean;\nBEGIN\n"
            f"  IF NEW.{col} IS NULL OR ({same}) THEN\n    RETURN NEW;\n  END IF;\n"
            f"{lock}FOR KEY SHARE;\n{refuse}"
        )
    # an update that keeps the key goes through unless it restores the row (its
    # soft-delete column set back to NULL): a restore makes a new active row
    sd = I(g.soft_delete).as_string(None)
    busy = L(f"{owner_name} % is being deleted: its {table_name} rows cannot be restored now")
    again = L(f"{owner_name} % is deleted (a tombstone): its {table_name} rows stay deleted")
    keep = L(f"a row of a tombstoned {g.owner} cannot be restored")
    # a restore holds its row already and a deletion locks the owner before its rows:
    # waiting for the owner here could deadlock, so a deletion under way refuses it
    return (
        "DECLARE\n  tombstoned boolean;\nBEGIN\n"
        f"  IF NEW.{col} IS NULL OR ({same} AND NOT (OLD.{sd} IS NOT NULL AND "
        f"NEW.{sd} IS NULL)) THEN\n    RETURN NEW;\n  END IF;\n"
        f"  IF {same} THEN\n    BEGIN\n    {lock}FOR KEY SHARE NOWAIT;\n"
        "    EXCEPTION WHEN lock_not_available THEN\n"
        f"      RAISE EXCEPTION {busy.as_string(None)}, NEW.{col}\n"
        "        USING ERRCODE = 'lock_not_available', "
        "HINT = 'retry once the deletion has ended';\n    END;\n"
        "    IF tombstoned THEN\n"
        f"      RAISE EXCEPTION {again.as_string(None)}, NEW.{col}\n"
        f"        USING ERRCODE = 'foreign_key_violation', HINT = {keep.as_string(None)};\n"
        "    END IF;\n    RETURN NEW;\n  END IF;\n"
        f"{lock}FOR KEY SHARE;\n{refuse}"
    )


@renders(CreateTombstoneGuard)
def _create_guard(op: CreateTombstoneGuard) -> list[Statement]:
    g = op.guard
    # the trigger's columns and arguments are what introspection reads the guard back from
    columns = [I(g.column)] + ([I(g.soft_delete)] if g.soft_delete is not None else [])
    args = [L(g.owner), L(g.flag)] + ([L(g.soft_delete)] if g.soft_delete is not None else [])
    return [
        Statement(
            S("CREATE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql AS {}").format(
                I(g.name), L(_body(op))
            )
        ),
        Statement(
            S(
                "CREATE TRIGGER {} BEFORE INSERT OR UPDATE OF {} ON {} FOR EACH ROW "
                "EXECUTE FUNCTION {}({})"
            ).format(
                I(g.name), S(", ").join(columns), relation(g.table), I(g.name), S(", ").join(args)
            )
        ),
    ]


@renders(DropTombstoneGuard)
def _drop_guard(op: DropTombstoneGuard) -> list[Statement]:
    g = op.guard
    return [
        Statement(S("DROP TRIGGER {} ON {}").format(I(g.name), relation(g.table))),
        Statement(S("DROP FUNCTION {}()").format(I(g.name))),
    ]
